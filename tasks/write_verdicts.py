"""Task: write ``apigen verify``'s verdicts (JSONL, input order) and their summary."""

from __future__ import annotations

from typing import Any, Sequence

from prefect import task

from apigen.batch import BatchResult
from apigen.verdicts import verify_summary, write_verdicts


def write_verify_output(batches: Sequence[BatchResult], stages: Sequence[str], out: str) -> dict[str, Any]:
    samples = [s for b in sorted(batches, key=lambda b: b.index) for s in b.samples]
    summary = verify_summary(samples, stages)
    verdicts_path, summary_path = write_verdicts(samples, summary, out)
    return {**summary, "verdicts_path": str(verdicts_path), "summary_path": str(summary_path)}


write_verdicts_task = task(write_verify_output, name="write-verdicts")
