"""``apigen sim-llm``: serve the simulated OpenAI-compatible LLM (planted flaws, errors, latency, 429 storms)."""

from __future__ import annotations

import argparse

from apigen.cli.common import UsageError, add_sim_plant_rates, non_negative_float, rate, sim_plant_rates, split_list

NAME = "sim-llm"
REAPS_ORPHANS = False
ERROR_KINDS = ("429", "500", "hang")


def register(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser(NAME, help="serve the simulated OpenAI-compatible LLM endpoint")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    sim.add_argument("--latency-ms", type=non_negative_float, default=0.0,
                     help="added to every reply, in milliseconds (default 0)")
    sim.add_argument("--error-rate", type=rate, default=0.0, help="share of requests answered 429/500/too late (default 0)")
    sim.add_argument("--flaw-rate", type=rate, default=0.2, help="share of generated pairs with a planted flaw (default 0.2)")
    add_sim_plant_rates(sim, "")
    sim.add_argument("--delay-s", type=non_negative_float, default=30.0,
                     help="length of an injected delay, seconds (default 30)")
    sim.add_argument("--error-kinds", default="429,500,hang",
                     help="which errors to inject, separated by commas: any of 429,500,hang (default all three)")
    sim.add_argument("--seed", type=int, default=0, help="seed of the simulated replies and flaws (default 0)")
    sim.add_argument("--capacity", type=int, help="answer 429 to a request arriving while this many are in flight")
    sim.add_argument("--storm", metavar="START:END[:CAPACITY]", help="a 429 storm from START to END seconds after the "
                     "first request: 429 beyond CAPACITY requests in flight (default 0: every request); see GET /log")


def run(args: argparse.Namespace) -> int:
    from apigen.sim.server import SimConfig, SimServer, Storm

    kinds = tuple(split_list([args.error_kinds]))
    if not kinds or set(kinds) - set(ERROR_KINDS):
        raise UsageError(f"--error-kinds takes 429, 500 and/or hang, got {args.error_kinds!r}")
    try:
        storm = Storm.parse(args.storm) if args.storm else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    server = SimServer(SimConfig(seed=args.seed, latency_ms=args.latency_ms, error_rate=args.error_rate,
                                 flaw_rate=args.flaw_rate, delay_s=args.delay_s, error_kinds=kinds,
                                 **sim_plant_rates(args), capacity=args.capacity, storm=storm),
                       host=args.host, port=args.port)
    print(f"simulated LLM serving on http://{args.host}:{server.port}/v1 (stats at /stats)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0
