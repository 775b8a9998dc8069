"""Benchmark: stage-1 rows/s and stage-2 sandboxed calls/s on this machine.

    python benchmarks/bench_stages.py [--rows 20000] [--calls 3000] [--workers 2]

Stage 1 runs the format checker over BFCL ground truths (tests/data/bfcl), repeated to --rows.
Stage 2 sends distinct calls (so the result cache never answers) through the sandbox pool.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api_registry.registry import bundled_registry  # noqa: E402
from api_registry.sandbox import SandboxPool  # noqa: E402
from api_registry.spec import ToolSpec  # noqa: E402
from apigen.models import FunctionCall  # noqa: E402
from apigen.verify.execution import CallExecutor, check_many  # noqa: E402
from apigen.verify.format_check import check_format  # noqa: E402

BFCL = ROOT / "tests" / "data" / "bfcl"


def bfcl_rows() -> list[tuple[str, list[ToolSpec], list[dict]]]:
    rows = []
    for name in ("simple_python", "multiple", "parallel", "parallel_multiple"):
        answers = {json.loads(l)["id"]: json.loads(l)["ground_truth"]
                   for l in (BFCL / "possible_answer" / f"BFCL_v4_{name}.json").read_text().splitlines() if l.strip()}
        for line in (BFCL / f"BFCL_v4_{name}.json").read_text().splitlines():
            q = json.loads(line)
            calls = [{"name": fn, "arguments": {p: v[0] for p, v in args.items() if "" not in v}}
                     for gt in answers[q["id"]] for fn, args in gt.items()]
            rows.append((q["question"][0][-1]["content"], [ToolSpec(**f) for f in q["function"]], calls))
    return rows


def bench_format(n: int) -> float:
    rows = bfcl_rows()
    started = time.perf_counter()
    for i in range(n):
        query, tools, calls = rows[i % len(rows)]
        check_format(query, tools, calls)
    return n / (time.perf_counter() - started)


def bench_execution(n: int, workers: int) -> tuple[float, float]:
    registry = bundled_registry()
    calls = [[FunctionCall(name="greatest_common_divisor", arguments={"a": 1000 + i, "b": 36})] for i in range(n)]
    with SandboxPool(size=workers) as pool:
        executor = CallExecutor(pool, registry.target, registry.get)
        check_many(calls[:workers * 2], executor)  # warm the workers (imports)
        started = time.perf_counter()
        results = check_many(calls[workers * 2:], executor)
        elapsed = time.perf_counter() - started
    assert all(r.status == "passed" for r in results)
    return (n - workers * 2) / elapsed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"stage 1 (format): {bench_format(args.rows):,.0f} rows/s over {args.rows} BFCL ground-truth rows")
    rate, elapsed = bench_execution(args.calls, args.workers)
    print(f"stage 2 (execution): {rate:,.0f} sandboxed calls/s with {args.workers} workers "
          f"({args.calls} distinct calls in {elapsed:.2f} s)")


if __name__ == "__main__":
    main()
