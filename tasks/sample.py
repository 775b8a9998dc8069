"""Plan the generation requests of a batch (APIs, examples, prompt variant per request).

Planning is a cheap, seeded, deterministic function of the run's parameters (about a millisecond per
batch), so the flow plans each batch itself when it starts it: no task run, nothing persisted. A
resumed run plans the same requests again, and the generate task's cache key (a digest of the
requests) finds the batches that had finished.
"""

from __future__ import annotations

from api_registry.sources import load_registry
from apigen.config import RunConfig
from apigen.sampling import (ApiSampler, ExampleSampler, GenerationRequest, PromptSampler, RequestPlanner,
                             load_example_pool)


def planner_for(config: RunConfig) -> RequestPlanner:
    pool = load_example_pool(config.examples_from) if config.examples_from else None
    return RequestPlanner(apis=ApiSampler(load_registry(config.execution.registry).specs()), examples=ExampleSampler(pool),
                          prompts=PromptSampler(), styles=config.styles, seed=config.seed, n=config.n,
                          pairs_per_request=config.pairs_per_request, no_call_share=config.no_call_share)


class BatchPlanner:
    """The requests of each batch of a run, from one planner (the registry and example pool are
    loaded once, not per batch)."""

    def __init__(self, config: RunConfig):
        self.requests_per_batch = config.requests_per_batch
        self.planner = planner_for(config)

    def plan(self, batch_index: int) -> list[GenerationRequest]:
        start = batch_index * self.requests_per_batch
        return self.planner.plan_range(start, start + self.requests_per_batch)


def plan_batch(config: RunConfig, batch_index: int) -> list[GenerationRequest]:
    return BatchPlanner(config).plan(batch_index)
