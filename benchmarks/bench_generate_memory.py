"""Benchmark: `apigen generate` at scale (issue 10, target 4): wall, peak RSS, parts, Prefect growth.

    python benchmarks/bench_generate_memory.py [--n 60000] [--batch-size 50] [--root /tmp/base] [--root .]
        [--extra "--pairs-per-request 20 --judge-batch 16"]

Each run is `apigen generate` in a subprocess against `apigen sim-llm` (its own process, 0 ms
latency, flaw rate 0.2) with a fresh PREFECT_HOME, so the temporary Prefect server, its SQLite
database and the persisted task results start from nothing. Printed per code root (``--root`` may be
given twice: before and after): wall seconds, peak RSS of the generate process (its VmHWM, polled
from /proc), the Parquet parts written, and the Prefect database (``prefect.db*``) and result storage
(``PREFECT_HOME/storage``) in MB, also per 10k pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(root: Path, home: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": home, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "APIGEN_LLM_API_KEY": "sim-key",
           "PYTHONPATH": str(root)}
    env.pop("PREFECT_API_URL", None)
    return env


def _peak_rss_mib(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """Poll the process's own high-water mark (VmHWM) until it exits."""
    while not stop.is_set():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except OSError:
            return
        stop.wait(0.2)


def _size_mb(paths: list[Path]) -> float:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total / 1e6


def run(root: Path, n: int, batch_size: int, work: Path, extra: list[str]) -> dict[str, float]:
    port = _free_port()
    home = tempfile.mkdtemp(prefix="bench-gen-home-", dir=work)
    env = _env(root, home)
    sim = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--seed", "1",
                            "--latency-ms", "0", "--flaw-rate", "0.2"], cwd=root, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        sim.stdout.readline()  # "serving on ..."
        out = work / f"out-{root.name}-{n}"
        command = [sys.executable, "-m", "apigen.cli", "generate", "--model", "openai/apigen-sim", "--api-base",
                   f"http://127.0.0.1:{port}/v1", "--n", str(n), "--batch-size", str(batch_size), "--seed", "1",
                   "--out", str(out), *extra]
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        stop, peak = threading.Event(), [0.0]
        poller = threading.Thread(target=_peak_rss_mib, args=(proc.pid, stop, peak), daemon=True)
        poller.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - started
        stop.set()
        poller.join()
        if proc.returncode != 0:
            raise SystemExit(f"generate --n {n} in {root} failed ({proc.returncode}): {err[-3000:]}")
    finally:
        sim.terminate()
        sim.wait()
    summary = json.loads((out / "summary.json").read_text())
    parts = len(list(out.glob("verified/*.parquet"))) + len(list(out.glob("rejected/*.parquet")))
    db = _size_mb(list(Path(home).glob("prefect.db*")))
    results = _size_mb([Path(home) / "storage"])
    return {"wall": wall, "peak": peak[0], "parts": parts, "generated": summary["generated"], "db": db,
            "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--extra", default="", help="more `apigen generate` arguments, e.g. '--pairs-per-request 20'")
    parser.add_argument("--root", type=Path, action="append",
                        help="code root to run (repeatable; default: this checkout)")
    args = parser.parse_args()
    roots = [r.resolve() for r in (args.root or [ROOT])]
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        for root in roots:
            r = run(root, args.n, args.batch_size, Path(tmp), shlex.split(args.extra))
            per10k = 10_000 / max(r["generated"], 1)
            print(f"{root}: n={args.n} batch={args.batch_size} {args.extra}  wall {r['wall']:.1f} s  peak RSS {r['peak']:.0f} MiB "
                  f"(target < 1024; ratio {r['peak'] / 1024:.2f})  parts {r['parts']}  generated {r['generated']}  "
                  f"Prefect DB {r['db']:.1f} MB ({r['db'] * per10k:.1f} MB/10k pairs)  "
                  f"results {r['results']:.1f} MB ({r['results'] * per10k:.1f} MB/10k pairs)", flush=True)


if __name__ == "__main__":
    main()
