"""Task: write the verified and rejected Parquet files and summary.json."""

from __future__ import annotations

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
    return summarize(samples, {
        "requested_pairs": config.n, "failed_requests": len(failed),
        "pairs_lost_to_failed_requests": sum(f["pairs"] for f in failed),
        "failed_request_errors": [f["error"] for f in failed][:20],
        "llm_calls": {stage: s.as_dict() for stage, s in llm.items()},
        "generator_model": config.generator.label, "judge_model": config.judge.label,
        "simulated": config.generator.simulated, "seed": config.seed, "prompt_version": prompt_version(),
        "styles": [s.value for s in config.styles]})


def export(config: RunConfig, batches: Sequence[BatchResult]) -> dict[str, Any]:
    """Write the dataset; return its summary and the failure-examples markdown for the dashboard."""
    samples = [s for b in batches for s in b.samples]
    summary = run_summary(config, batches)
    write_dataset(samples, summary, config.out)
    return {"summary": summary, "failures_markdown": failure_markdown(summary, samples)}


export_task = task(export, name="export")
