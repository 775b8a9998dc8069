"""Task: stage 1, format, over one batch."""

from __future__ import annotations

from prefect import task

from apigen import progress
from apigen.batch import BatchResult
from apigen.stages import run_format, skip_stage
from tasks import caching


def verify_format(batch: BatchResult, enabled: bool = True) -> BatchResult:
    result = batch.with_samples(run_format(batch.samples) if enabled else skip_stage(batch.samples, "format"))
    progress.report("format", len(batch.samples))
    return result


verify_format_task = task(verify_format, name="verify-format", task_run_name="format-batch-{batch.index}",
                          cache_policy=caching.FORMAT, persist_result=True)
