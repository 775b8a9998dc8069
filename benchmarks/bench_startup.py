"""Benchmark: start-up of short runs (issue 10, target 3), wall seconds of the whole CLI process.

    python benchmarks/bench_startup.py [--repeat 3] [--root DIR]

Two commands, each in three settings:
- ``apigen generate --simulate --n 8`` (target <= 10 s) and ``apigen verify`` of xlam's 15 sample rows
  with ``--judge-model none`` (target <= 8 s);
- ``first``: a new PREFECT_HOME on a machine that never ran apigen (the temporary Prefect server
  migrates a new database; ``APIGEN_NO_DB_TEMPLATE=1``), ``fresh``: a new PREFECT_HOME where an
  earlier run left the migrated empty database in ~/.cache/apigen, ``reused``: the same PREFECT_HOME
  again, and ``server``: with ``apigen server start`` up (no server to start).

Medians of ``--repeat`` runs, with the ratio to the target (<= 1.00 meets it). ``--root`` runs the
CLI of another checkout (e.g. a pristine copy for "before" figures; it has no ``apigen server``, so
that setting is skipped). The machine's load average is printed: figures on a busy machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XLAM = ROOT / "tests" / "data" / "xlam" / "xlam_sample_15.jsonl"
TARGETS = {"generate": 10.0, "verify": 8.0}


def _env(root: Path, home: Path, first: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "APIGEN_NO_DB_TEMPLATE"}
    if first:
        env["APIGEN_NO_DB_TEMPLATE"] = "1"
    env.update({"PREFECT_HOME": str(home), "DO_NOT_TRACK": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "LITELLM_LOG": "ERROR", "PYTHONPATH": str(root)})
    return env


def _command(name: str, work: Path) -> list[str]:
    if name == "generate":
        return ["generate", "--simulate", "--n", "8", "--out", str(work / "out")]
    return ["verify", str(XLAM), "--judge-model", "none", "--out", str(work / "verdicts.jsonl")]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(root: Path, home: Path, args: list[str], first: bool = False) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one CLI process and the children it waited for (a temporary
    Prefect server, not a background one); exits on failure."""
    cpu = _cpu()
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "apigen.cli", *args], cwd=root, env=_env(root, home, first),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"apigen {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, _cpu() - cpu


def measure(root: Path, name: str, setting: str, repeat: int, work: Path) -> list[tuple[float, float]]:
    walls = []
    shared_home = work / f"home-{name}-{setting}"
    new_home = setting in ("first", "fresh")
    if not new_home:
        timed(root, shared_home, _command(name, work))  # creates the database: not timed
    if setting == "server":
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "apigen.cli", "server", "start", "--no-ui"], cwd=root,
                              env=_env(root, shared_home), capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"apigen server start failed: {proc.stderr[-2000:]}")
        print(f"  (apigen server start: {time.perf_counter() - began:.1f} s, once)")
    try:
        for i in range(repeat):
            home = work / f"home-{name}-{setting}-{i}" if new_home else shared_home
            walls.append(timed(root, home, _command(name, work), first=setting == "first"))
    finally:
        if setting == "server":
            subprocess.run([sys.executable, "-m", "apigen.cli", "server", "stop"], cwd=root,
                           env=_env(root, shared_home), capture_output=True)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose CLI to run (default: this one)")
    parser.add_argument("--commands", nargs="+", default=["generate", "verify"], choices=["generate", "verify"])
    parser.add_argument("--settings", nargs="+", default=["first", "fresh", "reused", "server"],
                        choices=["first", "fresh", "reused", "server"])
    args = parser.parse_args()
    root = args.root.resolve()
    has_server = "server" in subprocess.run([sys.executable, "-m", "apigen.cli", "--help"], cwd=root,
                                            env=_env(root, Path(tempfile.gettempdir())), capture_output=True,
                                            text=True).stdout
    print(f"CLI of {root}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for name in args.commands:
            for setting in args.settings:
                if setting == "server" and not has_server:
                    print(f"{name:>8} {setting:>6}: skipped (this CLI has no `apigen server`)")
                    continue
                runs = measure(root, name, setting, args.repeat, Path(tmp))
                median = statistics.median(w for w, _ in runs)
                cpu = statistics.median(c for _, c in runs)
                print(f"{name:>8} {setting:>6}: median {median:5.1f} s wall, {cpu:5.1f} s CPU  "
                      f"(runs {', '.join(f'{w:.1f}' for w, _ in runs)})  "
                      f"target <= {TARGETS[name]:.0f} s, ratio {median / TARGETS[name]:.2f}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
