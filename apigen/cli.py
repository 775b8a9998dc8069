"""``apigen``: the command line. Generate datasets, run the simulated LLM endpoint.

Exit codes: 0 success, 1 the run failed, 2 bad usage or configuration (nothing was started).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Any, Sequence
from urllib.parse import urlparse

from pydantic import ValidationError

from apigen.models import Style

SIM_MODEL = "openai/apigen-sim"
MODEL_ENV = "APIGEN_MODEL"


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apigen", description="Generate verified function-calling datasets (APIGen).")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="generate a dataset and verify it in three stages")
    gen.add_argument("--n", type=int, default=200, help="query/answer pairs to generate (default 200)")
    gen.add_argument("--model", help=f"generator model, litellm style (e.g. openai/gpt-4o-mini); or set {MODEL_ENV}")
    gen.add_argument("--api-base", help="base URL of an OpenAI-compatible endpoint (vLLM, Ollama, ...)")
    gen.add_argument("--judge-model", help="semantic judge model (default: the generator model)")
    gen.add_argument("--judge-api-base", help="base URL for the judge (default: --api-base)")
    gen.add_argument("--styles", nargs="+", default=[s.value for s in Style],
                     help="query styles: simple multiple parallel parallel_multiple (default: all)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", default="out", help="output directory (default out/)")
    gen.add_argument("--batch-size", type=int, default=50, help="samples per batch task (default 50)")
    gen.add_argument("--concurrency", type=int, default=8, help="concurrent LLM requests per endpoint (default 8)")
    gen.add_argument("--pairs-per-request", type=int, default=4, help="pairs asked for in each LLM call (default 4)")
    gen.add_argument("--timeout", type=float, default=60.0, help="LLM request timeout in seconds (default 60)")
    gen.add_argument("--simulate", action="store_true",
                     help="use a simulated LLM on loopback (dry run; output is marked simulated)")
    gen.add_argument("--flaw-rate", type=_rate, default=0.2, help="with --simulate: share of deliberately flawed pairs")
    gen.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs")

    sim = sub.add_parser("sim-llm", help="serve the simulated OpenAI-compatible LLM endpoint")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8001)
    sim.add_argument("--latency-ms", type=_non_negative_float, default=0.0)
    sim.add_argument("--error-rate", type=_rate, default=0.0, help="share of requests answered 429/500/too late")
    sim.add_argument("--flaw-rate", type=_rate, default=0.2, help="share of generated pairs with a planted flaw")
    sim.add_argument("--delay-s", type=_non_negative_float, default=30.0, help="length of an injected delay")
    sim.add_argument("--seed", type=int, default=0)
    return parser


def check_reachable(url: str, timeout_s: float = 3.0) -> None:
    """Fail fast, before any work, when an endpoint's host does not accept connections."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"--api-base {url!r} is not an http(s) URL")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot reach the LLM endpoint {url} ({reason}); check --api-base, or use --simulate "
                         "for a dry run") from None


def _config_from_args(args: argparse.Namespace, api_base: str | None, model: str, simulated: bool):
    from apigen.config import LLMConfig, RunConfig

    if args.n is None or args.n < 1:
        raise UsageError(f"--n must be a positive number of pairs, got {args.n}")
    try:
        generator = LLMConfig(model=model, api_base=api_base, concurrency=args.concurrency,
                              timeout_s=args.timeout, simulated=simulated)
        judge = generator if simulated else LLMConfig(
            model=args.judge_model or model, api_base=args.judge_api_base or api_base,
            concurrency=args.concurrency, timeout_s=args.timeout, temperature=0.0)
        return RunConfig(n=args.n, generator=generator, judge=judge, styles=args.styles, seed=args.seed,
                         out=args.out, batch_size=args.batch_size, pairs_per_request=args.pairs_per_request)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
        raise UsageError(problems.replace("Value error, ", "")) from None


def cmd_generate(args: argparse.Namespace) -> int:
    model = args.model or os.environ.get(MODEL_ENV)
    if not args.simulate and not model:
        raise UsageError(f"no generator model configured. Pass --model (e.g. --model openai/gpt-4o-mini, with "
                         f"--api-base for a self-hosted endpoint), set {MODEL_ENV}, or use --simulate for a dry run "
                         "against the built-in simulated LLM.")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out!r} exists and is not a directory")
    config = _config_from_args(args, args.api_base, model or SIM_MODEL, simulated=args.simulate)  # validate first
    if not args.simulate:
        for url in {config.generator.api_base, config.judge.api_base} - {None}:
            check_reachable(url)
        return _run(config, args.verbose)

    from apigen.sim.server import SimConfig, SimServer

    with SimServer(SimConfig(seed=args.seed, flaw_rate=args.flaw_rate)) as server:
        config = _config_from_args(args, server.api_base, SIM_MODEL, simulated=True)
        print(f"simulated LLM on {server.api_base} (output is marked simulated=true)", file=sys.stderr)
        return _run(config, args.verbose)


def _run(config: Any, verbose: bool) -> int:
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from apigen.cli_view import print_summary, progress_bars
    from flows.generate_dataset import generate_dataset

    with progress_bars(config.n):
        summary = generate_dataset(config)
    print_summary(summary, config.out)
    return 0


def cmd_sim_llm(args: argparse.Namespace) -> int:
    from apigen.sim.server import SimConfig, SimServer

    server = SimServer(SimConfig(seed=args.seed, latency_ms=args.latency_ms, error_rate=args.error_rate,
                                 flaw_rate=args.flaw_rate, delay_s=args.delay_s), host=args.host, port=args.port)
    print(f"simulated LLM serving on http://{args.host}:{server.port}/v1 (stats at /stats)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"generate": cmd_generate, "sim-llm": cmd_sim_llm}
    try:
        return handlers[args.command](args)
    except UsageError as exc:
        print(f"apigen {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; no complete dataset was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
