"""Flow ``generate-dataset``: APIs -> generated pairs -> format -> execution -> semantic -> Parquet.

One flow run per job: the flow picks the task runner (threads, or Dask for scale-out) from its
parameters and submits the batch tasks to it itself, so the run's tasks, progress and dashboard (the
pass-rate table, failure examples, breakdowns and one ``apigen.stage.completed`` event per stage) all
sit on that one run.

In the pipeline, the flow plans each batch's requests (``tasks.sample``) and runs one task per batch
per stage: generate, format, execution, semantic. A batch's next stage is submitted when its previous
one finishes, so no worker thread ever waits on an upstream future, and a bounded number of batches
is in flight at once: while some wait on the judge, others are being generated, and the endpoint's
concurrency limit (shared by all batches) always has requests queued. A finished batch is written
as its own Parquet parts at once and dropped (``tasks.export.RunExport``): memory does not grow with
``--n``. Batches go to tasks wrapped in ``quote`` (Prefect would walk every sample) and results are
not kept in Prefect's in-memory result cache.

Resume: the tasks that cost LLM requests or sandbox runs (generate, execution, semantic) are cached
on what determines their output, with persisted (compressed) results, so a killed run started again
only redoes unfinished batches. Planning and the format check are cheap, deterministic functions of
their inputs: they are recomputed, not persisted (the cache keys downstream come out the same).
"""

from __future__ import annotations

import math
import queue
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import TerminationSignal
from prefect.runtime import flow_run
from prefect.serializers import CompressedPickleSerializer
from prefect.utilities.annotations import quote
from prefect.utilities.callables import get_call_parameters

from apigen.config import RunConfig
from apigen.export import recover_output
from apigen.llm import cancel_in_flight
from apigen.output_lock import OutputLock
from flows.dashboard import LiveDashboard, publish_dashboard
from tasks.caching import result_storage
from tasks.export import RunExport
from tasks.generate import generate_task
from tasks.sample import BatchPlanner
from tasks.verify_execution import shut_down_mcp_servers, verify_execution_task
from tasks.verify_format import verify_format_task
from tasks.verify_semantic import verify_semantic_task


# Persisted results are compressed: a batch of samples is repetitive text (zlib: ~5x smaller at ~2 ms
# per batch of 50; Prefect's default for "compressed/pickle", lzma, is 15x slower for 8% less).
# (The API keeps only the serializer's type; the stored record names the library, so readers decompress it.)
RESULT_SERIALIZER = CompressedPickleSerializer(compressionlib="zlib")


def batches_in_flight(config: RunConfig) -> int:
    """Batches running at once: enough that the endpoints' concurrency limit always has requests
    queued (twice the limit, in the LLM stage with the fewest requests per batch, plus two batches in
    the CPU stages), few enough that each batch finishes soon after it starts (requests are served in
    the order asked, so every batch in flight delays the others) and memory stays small."""
    limit = max(config.generator.concurrency, config.judge.concurrency)
    judge_requests = math.ceil(config.batch_size / config.judge.judge_batch)
    return 2 + math.ceil(2 * limit / max(1, min(config.requests_per_batch, judge_requests)))


def task_runner_for(config: RunConfig):
    if config.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if config.dask_address:
            return DaskTaskRunner(address=config.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": config.dask_workers, "processes": True,
                                              "threads_per_worker": 2, "dashboard_address": None})
    from prefect.task_runners import ThreadPoolTaskRunner

    # One thread per batch in flight: a batch has one task running at a time, and none waits on another.
    return ThreadPoolTaskRunner(max_workers=batches_in_flight(config))


def stage_tasks(config: RunConfig, storage: Any, runner: Any) -> dict[str, Any]:
    """The batch tasks of this run, in stage order: ``submit(batch index, previous stage's result) ->
    future`` on ``runner``; the first plans its batch's requests here, in the flow (a millisecond,
    deterministic)."""
    kept = {"cache_result_in_memory": False, "result_serializer": RESULT_SERIALIZER,
            **({"result_storage": storage} if storage is not None else {})}
    recomputed = {"persist_result": False, "cache_policy": NO_CACHE}
    planner = BatchPlanner(config)
    # Quoted, Prefect does not walk a batch's samples (in this process, for the thread runner); the
    # Dask runner hands a quoted value to the task as it is, so there batches go unquoted.
    wrap = quote if config.task_runner == "threads" else (lambda value: value)
    generate = generate_task.with_options(**kept)
    fmt = verify_format_task.with_options(**recomputed)
    execute = verify_execution_task.with_options(**kept)
    judge = verify_semantic_task.with_options(**kept)

    def submit(task: Any, *args: Any) -> Any:
        return runner.submit(task, get_call_parameters(task.fn, args, {}))

    return {"generate": lambda index: submit(generate, index, wrap(planner.plan(index)), config.generator, config.seed),
            "format": lambda index, batch: submit(fmt, wrap(batch)),
            "execution": lambda index, batch: submit(execute, wrap(batch), config.execution),
            "semantic": lambda index, batch: submit(judge, wrap(batch), config.judge)}


def progress_text(batches: int, batch_count: int, pairs: int, n: int) -> str:
    """What the progress artifact says under its bar: ``12 of 100 batches (4,800 of 40,000 pairs)``."""
    return f"{batches:,} of {batch_count:,} batches ({pairs:,} of {n:,} pairs)"


def _run_batches(config: RunConfig, tasks: dict[str, Any], export: RunExport, progress_artifact: str | None,
                 live: LiveDashboard | None = None) -> None:
    """Run every batch through the stages and into ``export``; a batch's next stage is submitted as
    soon as its previous stage's future completes. At most ``batches_in_flight`` batches run at once,
    and at most twice that many are started but not yet written (finished ones waiting, in the
    export, for an earlier batch)."""
    chain = list(tasks)
    window = batches_in_flight(config)
    completed: queue.SimpleQueue = queue.SimpleQueue()  # futures, as they complete
    stage_of: dict[Any, tuple[int, int]] = {}  # pending future -> (batch index, stage position)
    started = handed = pairs_done = 0

    def submit(index: int, step: int, *args: Any) -> None:
        future = tasks[chain[step]](index, *args)
        stage_of[future] = (index, step)
        future.add_done_callback(completed.put)

    while handed < config.batch_count:
        while (started < config.batch_count and started - handed < window
               and started - export.next_index < 2 * window):
            submit(started, 0)
            started += 1
        future = completed.get()
        index, step = stage_of.pop(future)
        value = future.result()  # raises the task's own error
        del future  # the batch is only in ``value`` now, dropped once handed on
        if step == 0:
            export.prepare()  # the dedup index is built beside the batches, once the first requests are out
        if live is not None:
            if step == 0:
                live.generated(config.batch_pairs(index), value.samples)
            else:
                live.stage_done(chain[step], value.samples)
        if step + 1 < len(chain):
            submit(index, step + 1, value)
            continue
        export.add(value)
        handed += 1
        pairs_done += config.batch_pairs(index)
        if progress_artifact:
            update_progress_artifact(progress_artifact, progress=100.0 * handed / config.batch_count,
                                     description=progress_text(handed, config.batch_count, pairs_done, config.n))


def run_pipeline(config: RunConfig, progress_artifact: str | None = None, live: LiveDashboard | None = None) -> dict[str, Any]:
    """Every batch through the stages on the run's task runner, written as it finishes."""
    # Loads the DatasetStore block here, at the flow's edge: its options never become parameters.
    storage = result_storage(config.result_storage, store_block=config.store_block)
    export = RunExport(config)
    try:
        with task_runner_for(config) as runner:
            try:
                _run_batches(config, stage_tasks(config, storage, runner), export, progress_artifact, live)
            except (KeyboardInterrupt, TerminationSignal):
                # Ctrl-C, or SIGTERM (which Prefect turns into TerminationSignal here): the task threads are
                # blocked on LLM requests that may take minutes; cancel them before the task runner waits
                # for its threads on the way out.
                cancel_in_flight()
                raise
        return export.finish()
    except BaseException:
        export.abort()
        raise


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
                                            description=progress_text(0, config.batch_count, 0, config.n))
        live = LiveDashboard(config.batch_count)
        try:
            result = run_pipeline(config, str(progress), live)
        finally:
            shut_down_mcp_servers()
    summary, failures = result["summary"], result["failures_markdown"]
    publish_dashboard(summary, failures, live)
    location = result.get("location", config.out)
    logger.info("verified %d of %d generated pairs; output in %s", summary["verified"], summary["generated"], location)
    return {**summary, "output": location}
