"""Benchmark: `apigen generate` against a simulated endpoint, as a ratio to the endpoint's bound (issue 10,
targets 2 and 6).

    python benchmarks/bench_generate.py [--n 2000] [--concurrency 8 32] [--latency-ms 200] [--tree /tmp/base]
    python benchmarks/bench_generate.py --llm-only [--requests 1000]     # client CPU per LLM request
    python benchmarks/bench_generate.py --storm-only                     # AIMD in a 429 storm

For each concurrency: a fresh `apigen sim-llm --latency-ms L` (from this checkout, with GET /log) and
`apigen generate --model openai/apigen-sim --api-base ...` from ``--tree`` (the code measured: this
checkout, or a pristine copy for "before"), both against one Prefect server started for the
benchmark (so the temporary server's start-up, issue 10 target 3, is not in these figures).
Printed: wall of the CLI, the span from the simulator's first to last request, the endpoint bound
(requests x latency / concurrency, requests from the simulator), both ratios, and the CLI process's
own CPU seconds per request (its /proc counters, children excluded), also marginal: less the CPU of
a run of 8 pairs (imports, flow start and export: the fixed cost).

``--llm-only``: CPU milliseconds per ``apigen.llm.complete_reply`` with real generation prompts
against the simulator at 0 ms latency (the client side of target 2, without Prefect).
``--storm-only``: requests/s before, during and after a 429 storm for the adaptive limit and for a
fixed one (floor = ceiling).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(tree: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", **extra}
    return env


def start_sim(latency_ms: float, *extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--latency-ms",
                                str(latency_ms), *extra], cwd=ROOT, env=env_for(ROOT), stdout=subprocess.PIPE,
                               text=True)
    process.stdout.readline()
    return process, port


def get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return json.load(response)


def self_cpu_s(pid: int) -> float | None:
    """utime + stime of one process (children excluded), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_generate(tree: Path, n: int, concurrency: int, latency_ms: float, api_url: str) -> dict:
    sim, port = start_sim(latency_ms)
    out = tempfile.mkdtemp(prefix="bench-generate-out-")
    command = [sys.executable, "-m", "apigen.cli", "generate", "--model", "openai/apigen-sim", "--api-base",
               f"http://127.0.0.1:{port}/v1", "--n", str(n), "--concurrency", str(concurrency), "--out", out]
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=tree, env=env_for(tree, PREFECT_API_URL=api_url),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cpu = 0.0
        while proc.poll() is None:
            cpu = self_cpu_s(proc.pid) or cpu  # the last reading before exit (to within the poll interval)
            time.sleep(0.2)
        wall = time.perf_counter() - started
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"generate failed ({proc.returncode}): {stderr[-2000:]}")
        requests = get(port, "/stats")["requests"]
        log = get(port, "/log")
        span = (log[-1][0] - min(t for t, _, _ in log)) if log else None
    finally:
        sim.terminate()
        sim.wait()
    bound = requests * latency_ms / 1000 / concurrency
    verified = next((line.strip() for line in stdout.splitlines() if "verified" in line.lower()), "")
    return {"concurrency": concurrency, "wall_s": wall, "span_s": span, "requests": requests, "bound_s": bound,
            "cpu_s": cpu, "verified": verified}


def bench_generate(args: argparse.Namespace) -> None:
    from prefect_server import prefect_server

    with prefect_server(Path(tempfile.mkdtemp(prefix="bench-generate-prefect-"))) as api_url:
        print(f"tree {args.tree}; n={args.n}, latency {args.latency_ms:.0f} ms; load {os.getloadavg()[0]:.1f}")
        # A run of 8 pairs: the fixed cost (imports, flow start, export), subtracted for the marginal CPU.
        base = run_generate(Path(args.tree), 8, 8, args.latency_ms, api_url)
        print(f"n=8 run: wall {base['wall_s']:.1f} s, CLI CPU {base['cpu_s']:.1f} s, {base['requests']} requests")
        print("conc  requests  bound_s  wall_s  wall/bound  span_s  span/bound  cli_cpu_s  cpu_ms/request  "
              "marginal_cpu_ms/request")
        for concurrency in args.concurrency:
            r = run_generate(Path(args.tree), args.n, concurrency, args.latency_ms, api_url)
            span = f"{r['span_s']:6.1f}  {r['span_s'] / r['bound_s']:10.2f}" if r["span_s"] else "     -           -"
            marginal = 1000 * (r["cpu_s"] - base["cpu_s"]) / (r["requests"] - base["requests"])
            print(f"{concurrency:4d}  {r['requests']:8d}  {r['bound_s']:7.1f}  {r['wall_s']:6.1f}  "
                  f"{r['wall_s'] / r['bound_s']:10.2f}  {span}  {r['cpu_s']:9.1f}  "
                  f"{1000 * r['cpu_s'] / r['requests']:13.1f}  {marginal:23.1f}   {r['verified'][:60]}", flush=True)


LLM_ONLY = r'''
import sys, time
from pydantic import SecretStr
from apigen.config import LLMConfig, RunConfig
from apigen.generation import build_messages, generation_format
from apigen.llm import Endpoint, complete_reply, gather_limited, run_sync
from tasks.sample import planner_for
port, n, concurrency = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
api_base = f"http://127.0.0.1:{port}/v1"
llm = LLMConfig(model="openai/apigen-sim", api_base=api_base)
requests = planner_for(RunConfig(n=4 * n + 200, generator=llm, judge=llm)).plan_range(0, n + 40)
endpoint = Endpoint(model="openai/apigen-sim", api_base=api_base, api_key=SecretStr("sim"), concurrency=concurrency)
prepared = [(build_messages(r), generation_format(r, endpoint)) for r in requests]
run_sync(gather_limited([complete_reply(endpoint, m, response_format=f) for m, f in prepared[:40]]))  # warm up
cpu, wall = time.process_time(), time.perf_counter()
run_sync(gather_limited([complete_reply(endpoint, m, response_format=f) for m, f in prepared[40:]]))
print(1000 * (time.process_time() - cpu) / n, 1000 * (time.perf_counter() - wall) / n)
'''


def bench_llm_only(args: argparse.Namespace) -> None:
    sim, port = start_sim(0)
    try:
        for concurrency in args.concurrency:
            figures = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-c", LLM_ONLY, str(port), str(args.requests), str(concurrency)],
                                     cwd=args.tree, env=env_for(Path(args.tree)), capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(out.stderr[-2000:])
                figures.append(float(out.stdout.split()[0]))
            print(f"tree {args.tree}: client CPU per LLM request at concurrency {concurrency}: "
                  f"median {sorted(figures)[len(figures) // 2]:.2f} ms "
                  f"(runs {', '.join(f'{f:.2f}' for f in figures)}); "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        sim.terminate()
        sim.wait()


def bench_storm(args: argparse.Namespace) -> None:
    """The end-to-end test's scenario, printed: 200s and 429s per second before, during, after the storm."""
    import test_adaptive_concurrency as scenario

    print(f"storm {scenario.STORM[0]}-{scenario.STORM[1]} s, capacity {scenario.STORM[2]} in flight; "
          f"ceiling {scenario.CONCURRENCY}, latency {scenario.LATENCY_MS} ms")
    for label, floor in (("adaptive (AIMD)", 1), ("fixed", scenario.CONCURRENCY)):
        counts = scenario._run_against_storm(scenario._free_port(), f"openai/apigen-sim-{floor}", floor)
        print(f"{label:16s} " + "  ".join(f"{phase}: {c[200]:5.1f} ok/s {c[429]:5.1f} 429/s"
                                          for phase, c in counts.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", default=str(ROOT), help="the checkout whose apigen is measured")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--llm-only", action="store_true")
    parser.add_argument("--requests", type=int, default=1000, help="with --llm-only")
    parser.add_argument("--repeat", type=int, default=3, help="with --llm-only")
    parser.add_argument("--storm-only", action="store_true")
    args = parser.parse_args()
    if args.llm_only:
        bench_llm_only(args)
    elif args.storm_only:
        bench_storm(args)
    else:
        bench_generate(args)


if __name__ == "__main__":
    main()
