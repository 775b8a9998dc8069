"""Task: write the verified and rejected Parquet files and summary.json."""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

from prefect import task

from apigen.batch import BatchResult
from apigen.config import RunConfig
from apigen.dashboard import failure_markdown
from apigen.export import write_dataset
from apigen.llm import CallStats
from apigen.summary import summarize
from prompts import prompt_version


def run_summary(config: RunConfig, batches: Sequence[BatchResult]) -> dict[str, Any]:
    samples = [s for b in batches for s in b.samples]
    failed = [f for b in batches for f in b.failed_requests]
    llm: dict[str, CallStats] = {}
    for b in batches:
        for stage, stats in b.llm.items():
            llm.setdefault(stage, CallStats()).merge(CallStats.from_dict(stats))
    not_returned: Counter = Counter()
    for b in batches:
        not_returned.update(b.not_returned)
    return summarize(samples, {
        "requested_pairs": config.n, "failed_requests": len(failed),
        "pairs_not_returned": sum(not_returned.values()), "pairs_not_returned_by_reason": dict(not_returned),
        "pairs_lost_to_failed_requests": sum(f["pairs"] for f in failed),
        "failed_request_errors": [f["error"] for f in failed][:20],
        "llm_calls": {stage: s.as_dict() for stage, s in llm.items()},
        "generator_model": config.generator.label, "judge_model": config.judge.label,
        "simulated": config.generator.simulated, "seed": config.seed, "prompt_version": prompt_version(),
        "styles": [s.value for s in config.styles]})


def destination(config: RunConfig) -> tuple[str, dict[str, Any] | None]:
    """Where the dataset goes, with its fsspec options: the ``DatasetStore`` block when one is named
    (loaded here, inside the task, so its secrets never travel as parameters), else ``config.out``."""
    if config.store_block:
        from blocks.store import DatasetStore

        store = DatasetStore.load(config.store_block, _sync=True)
        return store.url, store.options()
    return config.out, None


def export(config: RunConfig, batches: Sequence[BatchResult]) -> dict[str, Any]:
    """Write the dataset; return its summary, where it went and the failure examples for the dashboard."""
    samples = [s for b in batches for s in b.samples]
    summary = run_summary(config, batches)
    location, options = destination(config)
    write_dataset(samples, summary, location, options)
    return {"summary": summary, "failures_markdown": failure_markdown(summary, samples), "location": location}


export_task = task(export, name="export")
