"""Task: plan one batch of generation requests (APIs, examples, prompt variant per request)."""

from __future__ import annotations

from prefect import task

from api_registry.sources import load_registry
from apigen.config import RunConfig
from apigen.sampling import (ApiSampler, ExampleSampler, GenerationRequest, PromptSampler, RequestPlanner,
                             load_example_pool)
from tasks import caching


def planner_for(config: RunConfig) -> RequestPlanner:
    pool = load_example_pool(config.examples_from) if config.examples_from else None
    return RequestPlanner(apis=ApiSampler(load_registry(config.execution.registry).specs()), examples=ExampleSampler(pool),
                          prompts=PromptSampler(), styles=config.styles, seed=config.seed, n=config.n,
                          pairs_per_request=config.pairs_per_request)


def plan_batch(config: RunConfig, batch_index: int) -> list[GenerationRequest]:
    start = batch_index * config.requests_per_batch
    return planner_for(config).plan_range(start, start + config.requests_per_batch)


sample_batch = task(plan_batch, name="sample", task_run_name="sample-batch-{batch_index}",
                    cache_policy=caching.SAMPLE, persist_result=True)
