"""Benchmark: `apigen verify` through the CLI, end to end and marginal rows/s, and peak memory.

    python benchmarks/bench_verify.py [--rows 1500 6000] [--stages format] [--batch-size 2000]

Rows are xlam-function-calling-60k's first 15 (tests/data/xlam, CC BY 4.0) repeated with fresh ids.
Each size runs `apigen verify` in a subprocess with a fresh PREFECT_HOME (so the temporary Prefect
server starts from nothing, as on a user's first run). Marginal rows/s is taken between the
smallest and largest size, so start-up cost cancels out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XLAM = ROOT / "tests" / "data" / "xlam" / "xlam_sample_15.jsonl"


def write_rows(path: Path, count: int) -> None:
    seed = [json.loads(line) for line in XLAM.read_text().splitlines() if line.strip()]
    with path.open("w") as handle:
        for i in range(count):
            handle.write(json.dumps({**seed[i % len(seed)], "id": i}) + "\n")


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(rows: int, stages: str, batch_size: int, work: Path) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB of the largest process, CPU seconds of the CLI and every process it
    started and waited for: check workers, the temporary Prefect server) for one verify of ``rows`` rows.
    On a loaded machine CPU seconds vary far less than wall seconds."""
    data = work / f"rows-{rows}.jsonl"
    write_rows(data, rows)
    env = {**os.environ, "PREFECT_HOME": tempfile.mkdtemp(prefix="bench-verify-home-"), "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "apigen.cli", "verify", str(data), "--stages", stages,
               "--judge-model", "none", "--batch-size", str(batch_size), "--out", str(work / f"verdicts-{rows}.jsonl")]
    started, cpu = time.perf_counter(), _cpu_of_children()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate()
    wall, cpu = time.perf_counter() - started, _cpu_of_children() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"verify of {rows} rows failed ({proc.returncode}): {err[-2000:]}")
    lines = sum(1 for _ in (work / f"verdicts-{rows}.jsonl").open())
    assert lines == rows, (lines, rows)
    # ru_maxrss of children is the largest child so far: sizes run smallest first, so it is this run's
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1500, 6000])
    parser.add_argument("--stages", default="format")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    sizes = sorted(args.rows)
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        results = {n: run(n, args.stages, args.batch_size, Path(tmp)) for n in sizes}
    for n, (wall, peak, cpu) in results.items():
        print(f"verify --stages {args.stages}: {n:>7} rows  {wall:7.1f} s end to end  {n / wall:8.0f} rows/s  "
              f"{cpu:7.1f} CPU-s  peak RSS of the largest run so far {peak:6.0f} MiB")
    if len(sizes) > 1:
        (small, (t1, _, c1)), (large, (t2, _, c2)) = (sizes[0], results[sizes[0]]), (sizes[-1], results[sizes[-1]])
        marginal = (large - small) / max(t2 - t1, 1e-9)
        target = 10_000 if args.stages == "format" else 2_000  # issue 10: format only / all stages, no judge
        print(f"marginal: {marginal:.0f} rows/s between {small} and {large} rows "
              f"(target >= {target:,}; ratio to target {marginal / target:.2f}); "
              f"{(c2 - c1) / (large - small) * 1e6:.0f} CPU-us per row (all processes)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

if __name__ == "__main__":
    main()
