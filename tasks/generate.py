"""Task: ask the generator LLM for one batch of query/answer pairs."""

from __future__ import annotations

from prefect import task

from apigen import progress
from apigen.batch import BatchResult
from apigen.config import RunConfig
from apigen.generation import generate_batch
from apigen.llm import run_sync
from apigen.sampling import GenerationRequest
from prompts import prompt_version


def generate(config: RunConfig, batch_index: int, requests: list[GenerationRequest]) -> BatchResult:
    provenance = {"seed": config.seed, "generator_model": config.generator.model,
                  "prompt_version": prompt_version(), "simulated": config.generator.simulated}
    batch = run_sync(generate_batch(requests, config.generator.endpoint(), provenance))
    progress.report("generate", len(batch.samples))
    return BatchResult(index=batch_index, samples=tuple(batch.samples),
                       failed_requests=tuple(batch.failed_requests), llm={"generate": batch.stats.as_dict()})


generate_task = task(generate, name="generate", task_run_name="generate-batch-{batch_index}")
