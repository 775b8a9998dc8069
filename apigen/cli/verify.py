"""``apigen verify``: run the three stages over an existing dataset (xlam layout) and write verdicts."""

from __future__ import annotations

import argparse
import os

from apigen.cli import prefect_api
from apigen.cli.common import (DEDUP_HELP_VERIFY, HOSTED_TIMEOUT_S, JUDGE_BATCH_HELP, LOCAL_TIMEOUT_S, MODEL_ENV,
                               SANDBOX_ENV_HELP, UsageError, add_dedup_options, add_mcp_sources, add_verbose,
                               decontamination_files, default_timeout, judge_batch, mcp_sources, preflight_endpoints,
                               quiet_prefect, sandbox_env, split_list)
from apigen.models import STAGES

NAME = "verify"
REAPS_ORPHANS = True


def register(sub: argparse._SubParsersAction) -> None:
    ver = sub.add_parser(NAME, help="run the three stages over an existing dataset (xlam layout)")
    # Optional to argparse only: ``--stages format data.jsonl`` gives the file to --stages (several
    # values), and ``run`` takes it back from there.
    ver.add_argument("input", nargs="?", help=".jsonl, .json (a list) or .parquet with id, query, tools, answers, "
                     "or a BFCL question file")
    ver.add_argument("--stages", nargs="+", default=None, metavar="STAGE",
                     help=f"stages to run, separated by commas and/or spaces: any of {', '.join(STAGES)} "
                          "(default: all three)")
    ver.add_argument("--functions", nargs="+", default=[], metavar="FILE.py",
                     help="Python modules whose public functions implement the dataset's tools (without them the "
                          "execution stage is skipped for the rows that call them)")
    ver.add_argument("--sandbox-env", nargs="+", default=[], metavar="NAME", help=SANDBOX_ENV_HELP)
    add_mcp_sources(ver)
    ver.add_argument("--judge-model", help="semantic judge (litellm style), or 'none' for the deterministic rules only")
    ver.add_argument("--judge-api-base", metavar="URL", help="base URL of the judge's endpoint")
    ver.add_argument("--judge-batch", type=judge_batch, default=1, metavar="K", help=JUDGE_BATCH_HELP)
    ver.add_argument("--out", default="verdicts.jsonl", help="verdicts, one JSON object per row (default verdicts.jsonl)")
    ver.add_argument("--batch-size", type=int, default=2000, help="rows per chunk task (default 2000)")
    ver.add_argument("--concurrency", type=int, default=8, help="concurrent judge requests (default 8)")
    ver.add_argument("--timeout", type=float, default=None, help="judge request timeout in seconds "
                     f"(default {HOSTED_TIMEOUT_S:.0f}; {LOCAL_TIMEOUT_S:.0f} for a server on this machine)")
    ver.add_argument("--dedup", action="store_true", help="reject rows that repeat an earlier row (exact: same "
                     "normalized query and answers; near: MinHash on query word 3-grams); the first occurrence is kept")
    add_dedup_options(ver, DEDUP_HELP_VERIFY)
    add_verbose(ver)


def stages_of(values: list[str] | None) -> tuple[str, ...]:
    """The stages asked for, in the order given; UsageError naming the choices otherwise."""
    stages = tuple(split_list(values)) if values is not None else STAGES
    unknown = [s for s in stages if s not in STAGES]
    if not stages or unknown:
        raise UsageError(f"unknown stage(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(STAGES)}")
    return stages


def run(args: argparse.Namespace) -> int:
    from api_registry.sources import RegistrySources
    from apigen.config import ExecutionSettings, LLMConfig

    if args.input is None and args.stages and args.stages[-1] not in STAGES and "," not in args.stages[-1]:
        args.input = args.stages.pop()  # ``--stages format data.jsonl``: the last value was the input file
    if args.input is None:
        raise UsageError("the input file is missing: apigen verify FILE [options]")
    stages = stages_of(args.stages)
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
    quiet_prefect(args.verbose)
    prefect_api.start()
    from apigen.cli.view import print_verify_summary, progress_lines
    from apigen.dataset_io import InputError
    from flows.verify_dataset import verify_dataset

    if judge is not None:
        prefect_api.prewarm_litellm()
    prefect_api.ready()
    execution = ExecutionSettings(registry=RegistrySources(functions=tuple(os.path.abspath(p) for p in args.functions),
                                                           **mcp_sources(args)),
                                  sandbox_env=sandbox_env(args), mcp_timeout_s=args.mcp_timeout)
    from apigen.output_lock import OutputLock, OutputLocked

    try:
        # No bars on a terminal: the row count is unknown until the input is read. Lines, always.
        with OutputLock(args.out, "apigen verify"), progress_lines(None, None, stages, unit="rows"):
            summary, run_url = prefect_api.run_flow(
                verify_dataset, input=os.path.abspath(args.input), out=args.out, stages=stages, judge=judge,
                execution=execution, batch_size=args.batch_size, dedup=args.dedup,
                near_dup_threshold=args.near_dup_threshold, decontaminate=decontamination_files(args.decontaminate))
    except (InputError, OutputLocked) as exc:
        raise UsageError(str(exc)) from None
    print_verify_summary(summary, run_url)
    return 0
