"""Flow ``generate-dataset``: APIs -> generated pairs -> format -> execution -> semantic -> Parquet.

One task per batch per stage. Batches are submitted together, so while one batch waits on the
judge the next is being generated; each stage's task for a batch starts when its input is ready.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from apigen.config import RunConfig
from tasks.export import export_task
from tasks.generate import generate_task
from tasks.sample import sample_batch
from tasks.verify_execution import verify_execution_task
from tasks.verify_format import verify_format_task
from tasks.verify_semantic import verify_semantic_task


@flow(name="generate-dataset", log_prints=True)
def generate_dataset(config: RunConfig) -> dict[str, Any]:
    logger = get_run_logger()
    logger.info("generating %d pairs in %d batches with %s (judge %s), prompt seed %d",
                config.n, config.batch_count, config.generator.model, config.judge.model, config.seed)
    finals = []
    for index in range(config.batch_count):
        requests = sample_batch.submit(config, index)
        generated = generate_task.submit(config, index, requests)
        formatted = verify_format_task.submit(generated)
        executed = verify_execution_task.submit(formatted, config.execution)
        finals.append(verify_semantic_task.submit(executed, config.judge))
    batches = [future.result() for future in finals]
    summary = export_task(config, batches)
    logger.info("verified %d of %d generated pairs; output in %s", summary["verified"], summary["generated"], config.out)
    return summary
