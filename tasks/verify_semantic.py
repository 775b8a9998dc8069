"""Task: stage 3, semantic (grounding rules, then the LLM judge if one is configured), over one batch.

A batch with undecided samples (the judge could not be reached) is returned but not cached: the next
run with the same parameters judges it again. A judge that refuses requests for good fails the task
at once (``EndpointRejectedError``, never retried), naming the cause.
"""

from __future__ import annotations

import logging

from prefect import get_run_logger, task

from apigen import progress
from apigen.batch import BatchResult
from apigen.config import LLMConfig
from apigen.llm import run_sync
from apigen.stages import run_semantic, skip_stage
from apigen.verify.semantic import JudgeRefused, is_undecided
from tasks import caching
from tasks.retry import EndpointRejectedError


def verify_semantic(batch: BatchResult, judge: LLMConfig | None, enabled: bool = True) -> BatchResult:
    if not enabled:
        return batch.with_samples(skip_stage(batch.samples, "semantic"))
    try:
        samples, stats = run_sync(run_semantic(batch.samples, judge.endpoint() if judge else None,
                                               judge.judge_batch if judge else 1))
    except JudgeRefused as exc:
        raise EndpointRejectedError(str(exc)) from None
    logger = get_run_logger()
    if stats.requests:
        logger.log(logging.WARNING if stats.retries else logging.INFO, "batch %d: %d judge requests, %d retries %s",
                   batch.index, stats.requests, stats.retries, dict(stats.failures) or "")
    undecided = sum(is_undecided(s.verdicts.get("semantic")) for s in samples)
    if undecided:
        caching.keep_out_of_cache()
        logger.warning("batch %d: the judge could not be reached for %d sample(s): undecided, and the batch is not "
                       "cached; run again to judge them", batch.index, undecided)
    progress.report("semantic", len(batch.samples))
    return batch.with_samples(samples, "semantic", stats.as_dict())


verify_semantic_task = task(verify_semantic, name="verify-semantic", task_run_name="semantic-batch-{batch.index}",
                            cache_policy=caching.SEMANTIC, persist_result=True)
