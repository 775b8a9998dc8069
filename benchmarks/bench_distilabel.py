"""Benchmark: `apigen generate` against distilabel 1.5.3's APIGen pipeline on one simulated endpoint.

    python benchmarks/bench_distilabel.py [--n 2000] [--concurrency 8] [--latency-ms 200]
                                          [--root /tmp/base .] [--judge-batch 1 4]
                                          [--skip-distilabel | --skip-ours]

distilabel is installed once, with pinned versions, in its own venv (``--venv``, default
~/.cache/apigen-bench/distilabel-1.5.3); the project's venv is never touched. Each side runs in turn
against a fresh ``apigen sim-llm`` (same seed and settings); requests and peak requests in flight are
its ``/stats`` counters. Both sides start as a first run would: ours with a fresh PREFECT_HOME
(temporary Prefect server included), distilabel from a fresh process. Wall is the whole process;
verified pairs per minute = verified pairs / wall. ``--judge-batch 1 4`` runs our side once per
value (1, the default, judges one sample per request as the paper and distilabel do). ``--root`` runs
our side from other checkouts too (e.g. a pristine copy of main, then this one: a before/after back
to back), the simulator always from this one.

distilabel's rows: the bundled registry's functions, cycled, one function and its tool per row (as
its docs do); its few-shot examples come from the bundled xlam seeds through DataSampler and
PrepareExamples; its execution checker loads a generated Python file re-exporting those functions.
The simulator reads distilabel's prompts through ``apigen/sim/distilabel_prompts.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "benchmarks" / "distilabel_apigen_pipeline.py"
DEFAULT_VENV = Path.home() / ".cache" / "apigen-bench" / "distilabel-1.5.3"
# distilabel 1.5.3 (Jan 2025) with the releases of its time: newer datasets/huggingface-hub drop
# `requests`, which distilabel imports.
PINS = ["distilabel[openai]==1.5.3", "openai==1.59.7", "datasets==3.2.0", "huggingface-hub==0.27.1",
        "pydantic==2.10.5", "httpx==0.28.1", "requests==2.32.3", "numpy==2.2.1", "pandas==2.2.3",
        "pyarrow==18.1.0", "setuptools==75.8.0", "typer==0.15.1", "rich==13.9.4"]
SIM_MODEL = "apigen-sim"
QUIET_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "DO_NOT_TRACK": "1",
             "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DISTILABEL_LOG_LEVEL": "WARNING"}


def ensure_venv(venv: Path) -> Path:
    """The distilabel venv's python, created and filled on first use (a marker records the pins)."""
    python, marker = venv / "bin" / "python", venv / ".apigen-bench-pins"
    if python.exists() and marker.exists() and marker.read_text() == "\n".join(PINS):
        return python
    print(f"installing distilabel 1.5.3 into {venv} (once) ...", file=sys.stderr, flush=True)
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
    marker.write_text("\n".join(PINS))
    return python


def write_spec(path: Path, n: int, seed: int) -> None:
    """distilabel's inputs: n rows over the bundled functions, the xlam seeds, and a libpath file."""
    sys.path.insert(0, str(ROOT))
    from api_registry.registry import Registry
    from prompts import seed_examples

    functions = sorted(Registry.bundled().functions.values(), key=lambda f: f.name)
    lib = path.with_name("lib_apigen.py")
    lines = ['"""The bundled registry\'s functions, for distilabel\'s APIGenExecutionChecker."""',
             "import sys", f"sys.path.insert(0, {str(ROOT)!r})"]
    lines += [f"from {f.module} import {f.qualname} as {f.name}" for f in functions]
    lib.write_text("\n".join(lines) + "\n")
    order = list(functions)
    random.Random(seed).shuffle(order)
    rows = [{"func_name": f.name, "func_desc": f.spec.description, "tools": json.dumps([f.spec.to_openai()])}
            for f in (order[i % len(order)] for i in range(n))]
    seeds = [{"query": s["query"], "answers": json.dumps(s["answers"])} for s in seed_examples()]
    path.write_text(json.dumps({"rows": rows, "seeds": seeds, "libpath": str(lib), "model": SIM_MODEL,
                                "api_key": "sim-benchmark-key"}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def start_sim(latency_ms: float, seed: int) -> tuple[subprocess.Popen, str]:
    port, errors = free_port(), tempfile.TemporaryFile()  # a file, not a pipe nobody drains
    env = {**os.environ, **QUIET_ENV, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port),
                             "--latency-ms", str(latency_ms), "--seed", str(seed)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            get_json(f"{base}/stats")
            return proc, base
        except OSError:
            if proc.poll() is not None:
                errors.seek(0)
                raise SystemExit(f"sim-llm exited: {errors.read().decode()[-2000:]}")
            time.sleep(0.1)
    raise SystemExit("sim-llm did not start in 30 s")


def timed(command: list[str], env: dict, cwd: Path, sim: str) -> tuple[float, dict, str]:
    """(wall seconds, the simulator's request counts, stdout) of one process on a fresh simulator."""
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    stats = get_json(f"{sim}/stats")
    return wall, {"requests": stats["requests"], "peak_in_flight": stats.get("peak_in_flight")}, proc.stdout


def run_distilabel(python: Path, args: argparse.Namespace, sim: str, work: Path) -> dict:
    spec = work / "distilabel_spec.json"
    write_spec(spec, args.n, args.seed)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(QUIET_ENV)
    command = [str(python), str(PIPELINE), "--spec", str(spec), "--base-url", f"{sim}/v1",
               "--concurrency", str(args.concurrency)]
    if args.dump_distilabel:
        command += ["--dump", str(args.dump_distilabel.resolve())]
    wall, counts, out = timed(command, env, work, sim)
    figures = json.loads(out.strip().splitlines()[-1])
    return {"side": "distilabel 1.5.3", **counts, "wall_s": wall, **figures}


def run_ours(side: tuple[Path, int], args: argparse.Namespace, sim: str, work: Path) -> dict:
    root, judge_batch = side
    out = work / f"ours-{root.name}-k{judge_batch}"
    env = {**os.environ, **QUIET_ENV, "PYTHONPATH": str(root),
           "PREFECT_HOME": tempfile.mkdtemp(prefix="prefect-home-", dir=work)}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "apigen.cli", "generate", "--model", f"openai/{SIM_MODEL}",
               "--api-base", f"{sim}/v1", "--n", str(args.n), "--concurrency", str(args.concurrency),
               "--seed", str(args.seed), "--out", str(out), *(["--judge-batch", str(judge_batch)] if judge_batch > 1 else [])]
    wall, counts, _ = timed(command, env, root, sim)
    summary = json.loads((out / "summary.json").read_text())
    return {"side": f"apigen ({root}{f', --judge-batch {judge_batch}' if judge_batch > 1 else ''})", **counts, "wall_s": wall, "rows": summary["generated"],
            "generated": summary["generated"], "verified": summary["verified"]}


def table(results: list[dict], n: int, concurrency: int, latency_ms: float) -> str:
    """A Markdown table; ratios compare each later side (apigen) with the first (distilabel).

    rows: what the pipeline outputs (distilabel: one row per input row, parsed or not; apigen: one per
    pair returned). parsed: rows holding a query and its calls. verified: passed all three checks."""
    lines = [f"n={n}, concurrency={concurrency}, latency={latency_ms:g} ms, load average {os.getloadavg()[0]:.2f}",
             "| side | requests | peak in flight | wall s | rows | parsed | verified | requests/s | rows/min "
             "| verified pairs/min |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        r["rows_per_min"] = 60 * r["rows"] / r["wall_s"]
        r["verified_per_min"] = 60 * r["verified"] / r["wall_s"]
        lines.append(f"| {r['side']} | {r['requests']:,} | {r.get('peak_in_flight')} | {r['wall_s']:.1f} | {r['rows']:,} | {r['generated']:,} "
                     f"| {r['verified']:,} | {r['requests'] / r['wall_s']:.1f} | {r['rows_per_min']:,.0f} "
                     f"| {r['verified_per_min']:,.0f} |")
    if len(results) >= 2 and results[0]["verified_per_min"]:
        first = results[0]
        for last in results[1:]:
            lines.append(f"ratio {last['side']} / {first['side']}: verified pairs/min "
                         f"{last['verified_per_min'] / first['verified_per_min']:.2f}x, rows/min "
                         f"{last['rows_per_min'] / first['rows_per_min']:.2f}x")
        lines.append("verified pairs per request: " + ", ".join(
            f"{r['side']} {r['verified'] / r['requests']:.2f}" for r in results if r["requests"]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="rows (distilabel) and pairs (apigen) to generate")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="apigen --concurrency; distilabel: input_batch_size of each LLM task")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", type=Path, nargs="+", default=[ROOT],
                        help="checkouts to run our side from, one run each in this order (e.g. /tmp/base .)")
    parser.add_argument("--judge-batch", type=int, nargs="+", default=[1], metavar="K",
                        help="our side's --judge-batch, one run per value (default 1, as the paper judges)")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="where distilabel's venv lives")
    parser.add_argument("--skip-distilabel", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--dump-distilabel", type=Path, help="write distilabel's output rows here (JSON lines)")
    args = parser.parse_args()

    python = None if args.skip_distilabel else ensure_venv(args.venv)
    sides = ([(run_distilabel, python)] if python else []) + [
        (run_ours, (root.resolve(), k)) for root in (() if args.skip_ours else args.root) for k in args.judge_batch]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-distilabel-") as tmp:
        for run, first in sides:  # each side on a fresh simulator: its counters are that side's alone
            sim_proc, sim = start_sim(args.latency_ms, args.seed)
            try:
                results.append(run(first, args, sim, Path(tmp)))
            finally:
                sim_proc.terminate()
                sim_proc.wait(timeout=10)
            print(json.dumps(results[-1]), flush=True)
    print(table(results, args.n, args.concurrency, args.latency_ms))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
