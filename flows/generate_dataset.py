"""Flow ``generate-dataset``: APIs -> generated pairs -> format -> execution -> semantic -> Parquet.

The parent flow picks the task runner (threads, or Dask for scale-out) from its parameters and runs
the pipeline as a subflow; then it publishes the run's dashboard: the pass-rate table, failure
examples, breakdowns and one ``apigen.stage.completed`` event per stage.

In the pipeline, one task per batch per stage; batches are submitted together, so while one batch
waits on the judge the next is being generated. Every batch task is cached on what determines its
output, with persisted results, so a killed run started again only redoes unfinished batches.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.exceptions import TerminationSignal
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import as_completed
from prefect.runtime import flow_run

from apigen.config import RunConfig
from apigen.export import recover_output
from apigen.llm import cancel_in_flight
from apigen.output_lock import OutputLock
from flows.dashboard import publish_dashboard
from tasks.caching import result_storage
from tasks.export import export_task
from tasks.generate import generate_task
from tasks.sample import sample_batch
from tasks.verify_execution import verify_execution_task
from tasks.verify_format import verify_format_task
from tasks.verify_semantic import verify_semantic_task


def task_runner_for(config: RunConfig):
    if config.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if config.dask_address:
            return DaskTaskRunner(address=config.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": config.dask_workers, "processes": True,
                                              "threads_per_worker": 2, "dashboard_address": None})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=8)


def _result_or_root_cause(chain):
    """The batch's final result; if a task upstream failed, raise *its* error, not "upstream not ready"."""
    for future in chain:
        future.wait()
        if future.state.is_failed() or future.state.is_crashed():
            future.result()  # raises the task's own exception
    return chain[-1].result()


@flow(name="generate-dataset-pipeline")
def run_pipeline(config: RunConfig, progress_artifact: str | None = None) -> dict[str, Any]:
    # Loads the DatasetStore block here, at the flow's edge: its options never become parameters.
    storage = result_storage(config.result_storage, store_block=config.store_block)
    options = {"result_storage": storage} if storage is not None else {}
    sample, generate = sample_batch.with_options(**options), generate_task.with_options(**options)
    fmt, execute = verify_format_task.with_options(**options), verify_execution_task.with_options(**options)
    judge = verify_semantic_task.with_options(**options)
    chains = {}
    for index in range(config.batch_count):
        requests = sample.submit(config, index)
        generated = generate.submit(index, requests, config.generator, config.seed)
        formatted = fmt.submit(generated)
        executed = execute.submit(formatted, config.execution)
        final = judge.submit(executed, config.judge)
        chains[final] = (requests, generated, formatted, executed, final)
    batches = []
    try:
        for done, future in enumerate(as_completed(list(chains)), start=1):
            batches.append(_result_or_root_cause(chains[future]))
            if progress_artifact:
                update_progress_artifact(progress_artifact, progress=100.0 * done / len(chains))
    except (KeyboardInterrupt, TerminationSignal):
        # Ctrl-C, or SIGTERM (which Prefect turns into TerminationSignal here): the task threads are
        # blocked on LLM requests that may take minutes; cancel them so the task runner can shut down.
        cancel_in_flight()
        raise
    return export_task(config, sorted(batches, key=lambda b: b.index))


@flow(name="generate-dataset")
def generate_dataset(config: RunConfig) -> dict[str, Any]:
    logger = get_run_logger()
    out = None if config.store_block else config.out  # a DatasetStore is written by the marker protocol
    with OutputLock(out, f"generate-dataset flow run {flow_run.name} ({flow_run.id})"):
        for line in recover_output(out):
            logger.warning(line)
        logger.info("generating %d pairs in %d batches with %s (judge %s), seed %d, %s task runner", config.n,
                    config.batch_count, config.generator.label, config.judge.label, config.seed, config.task_runner)
        progress = create_progress_artifact(progress=0.0, key="apigen-progress",
                                            description=f"batches of {config.batch_count} finished")
        pipeline = run_pipeline.with_options(task_runner=task_runner_for(config))
        result = pipeline(config, str(progress))
    summary, failures = result["summary"], result["failures_markdown"]
    publish_dashboard(summary, failures)
    location = result.get("location", config.out)
    logger.info("verified %d of %d generated pairs; output in %s", summary["verified"], summary["generated"], location)
    return {**summary, "output": location}
