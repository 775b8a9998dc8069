"""Task: stage 3, semantic (grounding rules, then the LLM judge if one is configured), over one batch."""

from __future__ import annotations

import logging

from prefect import get_run_logger, task

from apigen import progress
from apigen.batch import BatchResult
from apigen.config import LLMConfig
from apigen.llm import run_sync
from apigen.stages import run_semantic, skip_stage
from apigen.verify.semantic import judge_outage
from tasks import caching
from tasks.retry import LLM_TASK_RETRIES, TransientBatchError


def verify_semantic(batch: BatchResult, judge: LLMConfig | None, enabled: bool = True) -> BatchResult:
    if not enabled:
        return batch.with_samples(skip_stage(batch.samples, "semantic"))
    samples, stats = run_sync(run_semantic(batch.samples, judge.endpoint() if judge else None))
    if judge_outage([s.verdicts.get("semantic") for s in samples]):
        raise TransientBatchError(f"the judge could not be reached for any sample of batch {batch.index}")
    if stats.requests:
        get_run_logger().log(logging.WARNING if stats.retries else logging.INFO, "batch %d: %d judge requests, %d retries %s",
                             batch.index, stats.requests, stats.retries, dict(stats.failures) or "")
    progress.report("semantic", len(batch.samples))
    return batch.with_samples(samples, "semantic", stats.as_dict())


verify_semantic_task = task(verify_semantic, name="verify-semantic", task_run_name="semantic-batch-{batch.index}",
                            cache_policy=caching.SEMANTIC, persist_result=True, **LLM_TASK_RETRIES)
