"""Task: stage 3, semantic (grounding rules, then the LLM judge if one is configured), over one batch."""

from __future__ import annotations

from prefect import task

from apigen import progress
from apigen.batch import BatchResult
from apigen.config import LLMConfig
from apigen.llm import run_sync
from apigen.stages import run_semantic, skip_stage


def verify_semantic(batch: BatchResult, judge: LLMConfig | None, enabled: bool = True) -> BatchResult:
    if not enabled:
        return batch.with_samples(skip_stage(batch.samples, "semantic"))
    samples, stats = run_sync(run_semantic(batch.samples, judge.endpoint() if judge else None))
    progress.report("semantic", len(batch.samples))
    return batch.with_samples(samples, "semantic", stats.as_dict())


verify_semantic_task = task(verify_semantic, name="verify-semantic", task_run_name="semantic-batch-{batch.index}")
