"""What several subcommands share: the usage error, argument types, option groups, endpoint checks.

Kept free of Prefect and litellm imports: ``apigen --help`` and a usage error stay instant.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from typing import Any, Iterable, Sequence
from urllib.parse import urlparse

MODEL_ENV = "APIGEN_MODEL"
HOSTED_TIMEOUT_S = 60.0
LOCAL_TIMEOUT_S = 900.0  # a 1.5B model on 2 CPU cores needs minutes for a 4-pair reply

JUDGE_BATCH_HELP = "samples the judge decides in one request, 1-32 (default 1, one per sample as in the paper)"
SANDBOX_ENV_HELP = ("environment variables the sandboxed Python functions may read (names; space- or comma-separated). "
                    "Workers otherwise see only PATH, locale and TZ, with a private HOME")
DEDUP_HELP_GENERATE = "reject verified pairs whose query overlaps a question of FILE (besides the bundled BFCL v4 set)"
DEDUP_HELP_VERIFY = "reject rows whose query overlaps a question of FILE"


class UsageError(Exception):
    """A problem with what the user asked for; reported in one line, exit code 2."""


def non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def threshold(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {text}")
    return value


def judge_batch(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 32:
        raise argparse.ArgumentTypeError(f"must be between 1 and 32, got {text}")
    return value


def split_list(values: Iterable[str] | None) -> list[str] | None:
    """``--styles a,b c`` and ``--stages a b,c``: one separator rule for every list option (commas
    and/or spaces); None stays None (the option was not given)."""
    if values is None:
        return None
    return [part for value in values for part in re.split(r"[,\s]+", value) if part]


def quiet_prefect(verbose: bool) -> None:
    """Prefect's own logs only with -v: the CLI prints what the user needs."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs and a failed run's traceback")


def add_sim_plant_rates(parser: argparse.ArgumentParser, prefix: str) -> None:
    """The simulator's planted pairs for the dedup and decontamination filters (stage "dedup")."""
    parser.add_argument("--duplicate-rate", type=rate, default=0.0,
                        help=f"{prefix}share of pairs that repeat an earlier clean pair exactly (default 0)")
    parser.add_argument("--near-duplicate-rate", type=rate, default=0.0,
                        help=f"{prefix}share of pairs that repeat an earlier clean pair's query reworded by one "
                             "word (default 0)")
    parser.add_argument("--contamination-rate", type=rate, default=0.0,
                        help=f"{prefix}share of pairs whose query copies a bundled BFCL v4 question (default 0)")


def sim_plant_rates(args: argparse.Namespace) -> dict[str, float]:
    return {"duplicate_rate": args.duplicate_rate, "near_duplicate_rate": args.near_duplicate_rate,
            "contamination_rate": args.contamination_rate}


def add_dedup_options(parser: argparse.ArgumentParser, decontaminate_help: str) -> None:
    parser.add_argument("--near-dup-threshold", type=threshold, default=0.8, metavar="J",
                        help="Jaccard similarity of query word 3-grams (MinHash/LSH candidates, checked exactly) at or "
                             "above which a query is a near duplicate of an earlier one or of a benchmark question "
                             "(default 0.8)")
    parser.add_argument("--decontaminate", nargs="+", default=[], metavar="FILE",
                        help=decontaminate_help + ": BFCL question files, xlam-layout .jsonl/.json/.parquet, or a text "
                             "file of one query per line; a query holding half or more of a question's word 8-grams, or a "
                             "near duplicate of it, is `contaminated` (naming the file and the question's id)")


def decontamination_files(paths: Sequence[str]) -> tuple[str, ...]:
    for path in paths:
        if not os.path.isfile(path):
            raise UsageError(f"--decontaminate {path}: no such file")
    return tuple(os.path.abspath(p) for p in paths)


def add_registry_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--functions", nargs="+", default=[], metavar="FILE.py",
                        help="Python modules whose public functions implement tools")
    parser.add_argument("--rest", nargs="+", default=[], metavar="FILE", help="REST API definition files")
    parser.add_argument("--toolbench", nargs="+", default=[], metavar="FILE", help="ToolBench api_list files")
    parser.add_argument("--toolbench-base-url", default=None, metavar="URL", help="mirror serving ToolBench APIs")
    parser.add_argument("--tools", nargs="+", default=[], metavar="FILE",
                        help="tool docs (xlam rows, OpenAI tools, BFCL files): documentation only")
    parser.add_argument("--no-bundled", action="store_true", help="leave out the bundled function library")
    parser.add_argument("--with-bundled", action="store_true",
                        help="with --mcp or --mcp-block: keep the bundled function library too (left out by default, "
                             "so a run is about your server's tools)")
    add_mcp_sources(parser)


def add_mcp_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mcp", action="append", default=[], metavar="SPEC",
                        help="an MCP server whose tools are imported and run by tools/call (repeatable): a stdio "
                             "command line such as \"python -m mcp_server_time\", or an http(s) URL")
    parser.add_argument("--mcp-block", action="append", default=[], metavar="NAME",
                        help="an McpServer block: a server with secret environment variables or headers (repeatable)")
    parser.add_argument("--allow-destructive", action="store_true",
                        help="also sample and execute MCP tools their server marks destructive (never by default)")
    parser.add_argument("--mcp-timeout", type=float, default=30.0, metavar="S",
                        help="seconds per MCP tool call before it is a timeout (default 30)")


def mcp_sources(args: argparse.Namespace) -> dict:
    """The RegistrySources fields for the MCP options (command lines as given, block names)."""
    from api_registry.importers.mcp_server import McpSpec

    for text in args.mcp:
        try:
            McpSpec.parse(text)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return {"mcp": tuple(args.mcp), "mcp_blocks": tuple(args.mcp_block), "allow_destructive": args.allow_destructive}


def registry_sources(args: argparse.Namespace):
    from api_registry.sources import DEFAULT_TOOLBENCH_BASE, RegistrySources

    for flag in ("functions", "rest", "toolbench", "tools"):
        for path in getattr(args, flag):
            if not os.path.isfile(path):
                raise UsageError(f"--{flag} {path}: no such file")
    absolute = lambda paths: tuple(os.path.abspath(p) for p in paths)  # noqa: E731
    mcp = mcp_sources(args)
    bundled = not args.no_bundled and (args.with_bundled or not (mcp["mcp"] or mcp["mcp_blocks"]))
    return RegistrySources(bundled=bundled, functions=absolute(args.functions), rest=absolute(args.rest),
                           toolbench=absolute(args.toolbench), tools=absolute(args.tools),
                           toolbench_base_url=args.toolbench_base_url or DEFAULT_TOOLBENCH_BASE, **mcp)


def sandbox_env(args: argparse.Namespace) -> tuple[str, ...]:
    """The variable names given to --sandbox-env (never their values: the workers' parent reads those)."""
    from pydantic import ValidationError

    from apigen.config import ExecutionSettings

    try:
        return ExecutionSettings(sandbox_env=" ".join(getattr(args, "sandbox_env", ()))).sandbox_env
    except ValidationError as exc:
        raise UsageError(f"--sandbox-env: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None


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
    from apigen.cli import prefect_api
    from apigen.preflight import PreflightError, preflight

    seen = set()
    for role, config in named:
        if config is None or config.simulated:
            continue
        if config.block:
            prefect_api.ready()  # the block is loaded from the Prefect API
        endpoint = config.endpoint()
        if (endpoint.model, endpoint.api_base) in seen:
            continue
        seen.add((endpoint.model, endpoint.api_base))
        try:
            preflight(role, endpoint)
        except PreflightError as exc:
            raise UsageError(str(exc)) from None
