"""Task: stage 3, semantic (the LLM judge), over one batch."""

from __future__ import annotations

from prefect import task

from apigen import progress
from apigen.batch import BatchResult
from apigen.config import RunConfig
from apigen.llm import run_sync
from apigen.stages import run_semantic


def verify_semantic(config: RunConfig, batch: BatchResult) -> BatchResult:
    samples, stats = run_sync(run_semantic(batch.samples, config.judge.endpoint()))
    progress.report("semantic", len(batch.samples))
    return batch.with_samples(samples, "semantic", stats.as_dict())


verify_semantic_task = task(verify_semantic, name="verify-semantic", task_run_name="semantic-batch-{batch.index}")
