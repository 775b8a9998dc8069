"""Flow ``verify-dataset``: run the three stages over a dataset that already exists.

The same stage tasks as generation, so a dataset verified here is judged exactly as our own
output is. Only the stages asked for become tasks; the others are recorded as ``skipped`` in the
flow, at no cost. Batches go to their tasks wrapped in Prefect's ``quote``: Prefect would otherwise
walk every sample of every batch twice per task (resolving and recording its inputs), which cost
more than the checks themselves. The next stage of a batch is submitted as soon as its previous
stage finishes, so batches still flow through the stages concurrently. Rows are read as batches
are needed and verdicts written, in input order, as batches finish: memory stays flat in the row
count (a 60k or 200k-row dataset is never held whole).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from prefect import flow, get_run_logger
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from apigen.batch import BatchResult
from apigen.config import ExecutionSettings, LLMConfig
from apigen.dataset_io import iter_batches
from apigen.models import STAGES
from apigen.output_lock import OutputLock
from apigen.stages import skip_stage
from apigen.verdicts import VerdictWriter
from tasks.verify_execution import verify_execution_task
from tasks.verify_format import verify_format_task
from tasks.verify_semantic import verify_semantic_task

# Batches between reading and writing at once: enough to keep every stage's tasks busy, few enough that
# memory does not grow with the row count.
IN_FLIGHT = 8
# Persisted results are read back from storage, not kept: Prefect's result store otherwise holds the
# last 1,000 results in memory, which for batches of 500 rows is every row of the dataset.
_STREAMED = {stage: task.with_options(cache_result_in_memory=False) for stage, task in
             (("format", verify_format_task), ("execution", verify_execution_task), ("semantic", verify_semantic_task))}


@flow(name="verify-dataset")
def verify_dataset(input: str, out: str = "verdicts.jsonl", stages: tuple[str, ...] = STAGES,
                   judge: LLMConfig | None = None, execution: ExecutionSettings = ExecutionSettings(),
                   batch_size: int = 500) -> dict[str, Any]:
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; choose from {', '.join(STAGES)}")
    logger = get_run_logger()
    with OutputLock(out, f"verify-dataset flow run {flow_run.name} ({flow_run.id})"):
        logger.info("verifying %s in batches of %d; stages %s", input, batch_size, ",".join(stages))
        writer = VerdictWriter(out, stages)
        try:
            _run_stages(iter_batches(input, batch_size), stages, judge, execution, writer.add)
            summary = writer.close()
        except BaseException:
            writer.abort()
            raise
    logger.info("%d of %d rows passed; verdicts in %s", summary["passed"], summary["rows"], out)
    return {**summary, "verdicts_path": str(writer.out), "summary_path": str(writer.summary_path)}


def _run_stages(batches: Iterator[BatchResult], stages: tuple[str, ...], judge: LLMConfig | None,
                execution: ExecutionSettings, finished: Callable[[int, tuple], None]) -> None:
    """Send each batch through the stages asked for, at most ``IN_FLIGHT`` batches at a time, reading
    the next batch as one finishes; ``finished(index, samples)`` gets each batch at its end."""
    submit = {"format": lambda b: _STREAMED["format"].submit(quote(b)),
              "execution": lambda b: _STREAMED["execution"].submit(quote(b), execution),
              "semantic": lambda b: _STREAMED["semantic"].submit(quote(b), judge)}
    chain = [stage for stage in STAGES if stage in stages]
    pending: dict[Any, int] = {}

    def start_next() -> None:
        for batch in batches:
            if not chain:
                finished(batch.index, batch.samples)
                continue
            pending[submit[chain[0]](_skip_unasked(batch, stages, before=chain[0]))] = 0
            return

    for _ in range(IN_FLIGHT):
        start_next()
    while pending:
        for future in as_completed(list(pending)):
            step = pending.pop(future) + 1
            batch = future.result()
            if step < len(chain):
                pending[submit[chain[step]](_skip_unasked(batch, stages, before=chain[step]))] = step
            else:
                finished(batch.index, batch.samples)  # stages not asked for after the last are written as skipped
                start_next()


def _skip_unasked(batch: BatchResult, stages: tuple[str, ...], before: str) -> BatchResult:
    """The batch with the stages not asked for ahead of ``before`` recorded as skipped: no task runs them."""
    order = STAGES[:STAGES.index(before)]
    samples = batch.samples
    for stage in order:
        if stage not in stages:
            samples = skip_stage(samples, stage)
    return batch if samples is batch.samples else batch.with_samples(samples)
