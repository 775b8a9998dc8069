"""Task: ask the generator LLM for one batch of query/answer pairs."""

from __future__ import annotations

import logging

from prefect import get_run_logger, task

from apigen import progress
from apigen.batch import BatchResult
from apigen.config import LLMConfig
from apigen.generation import generate_batch
from apigen.llm import run_sync
from apigen.sampling import GenerationRequest
from prompts import prompt_version
from tasks import attempt_costs, caching
from tasks.retry import LLM_TASK_RETRIES, EndpointRejectedError, TransientBatchError


def generate(batch_index: int, requests: list[GenerationRequest], generator: LLMConfig, seed: int) -> BatchResult:
    provenance = {"seed": seed, "generator_model": generator.label, "prompt_version": prompt_version(),
                  "simulated": generator.simulated}
    earlier = attempt_costs.take_over()  # requests sent by attempts that failed and were retried
    batch = run_sync(generate_batch(requests, generator.endpoint(), provenance))
    batch.stats.merge(earlier)
    logger = get_run_logger()
    level = logging.WARNING if batch.stats.retries else logging.INFO  # retries are worth seeing by default
    logger.log(level, "batch %d: %d pairs from %d LLM requests, %d retries %s%s", batch_index, len(batch.samples),
               batch.stats.requests, batch.stats.retries, dict(batch.stats.failures) or "",
               f"; pairs not returned {dict(batch.not_returned)}" if batch.not_returned else "")
    if requests and len(batch.failed_requests) == len(requests):
        message = f"all {len(requests)} LLM requests of batch {batch_index} failed: {batch.failed_requests[0]['error']}"
        if not any(f["transient"] for f in batch.failed_requests):
            raise EndpointRejectedError(message)
        attempt_costs.leave(batch.stats)  # Prefect retries the task; the retry reports these requests too
        raise TransientBatchError(message)
    for failure in batch.failed_requests:
        logger.warning("batch %d: request %d lost after %d attempts: %s", batch_index, failure["request_index"],
                       failure["attempts"], failure["error"])
    progress.report("generate", len(batch.samples))
    return BatchResult(index=batch_index, samples=tuple(batch.samples), failed_requests=tuple(batch.failed_requests),
                       not_returned=dict(batch.not_returned), llm={"generate": batch.stats.as_dict()})


generate_task = task(generate, name="generate", task_run_name="generate-batch-{batch_index}",
                     cache_policy=caching.GENERATE, persist_result=True, **LLM_TASK_RETRIES)
