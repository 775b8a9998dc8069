"""Flow ``verify-dataset``: run the three stages over a dataset that already exists.

The same stage functions as generation, so a dataset verified here is judged exactly as our own
output is. Rows are read in chunks as they are needed; one ``verify-chunk`` task per chunk decodes
them and runs every stage asked for as far as it goes without the sandbox or the judge (format, calls
with no implementation, the grounding rules), in worker processes started once for the run
(``apigen.check_pool``: every core checks), and returns the chunk's verdict lines. Only a chunk with
calls that can run, or samples for the judge, goes on to the execution and semantic tasks of
generation. Chunks go to tasks wrapped in Prefect's ``quote`` (Prefect would otherwise walk every row
twice per task); at most ``IN_FLIGHT`` are between reading and writing, and verdicts are written in
input order as chunks finish: memory stays flat in the row count.
"""

from __future__ import annotations

from typing import Any, Iterator

from prefect import flow, get_run_logger
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from api_registry.sources import load_registry
from apigen import check_pool
from apigen.batch import BatchResult
from apigen.chunk_checks import ChunkPlan
from apigen.config import ExecutionSettings, LLMConfig
from apigen.dataset_io import RawChunk, iter_raw_chunks
from apigen.models import STAGES
from apigen.output_lock import OutputLock
from apigen.verdicts import VerdictWriter
from apigen.verify.execution import Signatures
from tasks.verify_chunk import verify_chunk_task
from tasks.verify_execution import shut_down_mcp_servers, verify_execution_task
from tasks.verify_semantic import verify_semantic_task

# Chunks between reading and writing at once: enough to keep every worker and stage busy, few enough
# that memory does not grow with the row count. Chunks of 2,000 rows (the CLI's default) keep the
# Prefect server's per-task-run work small; at 500 a 60k-row verify ran 2.5x slower, at 5,000 no faster.
IN_FLIGHT = 8
# Persisted results are read back from storage, not kept: Prefect's result store otherwise holds the
# last 1,000 results in memory (a chunk's result holds its verdict lines, or its samples when stages are left).
_CHUNK = verify_chunk_task.with_options(cache_result_in_memory=False)
_STREAMED = {"execution": verify_execution_task.with_options(cache_result_in_memory=False),
             "semantic": verify_semantic_task.with_options(cache_result_in_memory=False)}


@flow(name="verify-dataset")
def verify_dataset(input: str, out: str = "verdicts.jsonl", stages: tuple[str, ...] = STAGES,
                   judge: LLMConfig | None = None, execution: ExecutionSettings = ExecutionSettings(),
                   batch_size: int = 2000, dedup: bool = False, near_dup_threshold: float = 0.8,
                   decontaminate: tuple[str, ...] = ()) -> dict[str, Any]:
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; choose from {', '.join(STAGES)}")
    logger = get_run_logger()
    with OutputLock(out, f"verify-dataset flow run {flow_run.name} ({flow_run.id})"):
        logger.info("verifying %s in batches of %d; stages %s", input, batch_size, ",".join(stages))
        writer = VerdictWriter(out, stages, _dataset_filter(dedup, near_dup_threshold, decontaminate))
        try:
            with check_pool.opened():
                plan = ChunkPlan(stages=tuple(s for s in STAGES if s in stages), judge=judge is not None,
                                 signatures=_signatures(execution) if "execution" in stages else None,
                                 render=writer.dataset_filter is None)
                _run_chunks(iter_raw_chunks(input, batch_size), plan, judge, execution, writer)
            summary = writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            shut_down_mcp_servers()
    logger.info("%d of %d rows passed; verdicts in %s", summary["passed"], summary["rows"], out)
    return {**summary, "verdicts_path": str(writer.out), "summary_path": str(writer.summary_path)}


def _dataset_filter(dedup: bool, threshold: float, decontaminate: tuple[str, ...]):
    """``--dedup``/``--decontaminate``: the filter the writer applies in input order (the user's files
    only: an audited dataset may be a benchmark itself), or None."""
    from apigen.dedup.build import build_filter

    return build_filter(dedup=dedup, threshold=threshold, decontaminate=decontaminate, bundled=False,
                        eligible=lambda sample: sample.passed)


def _signatures(execution: ExecutionSettings) -> Signatures:
    """The parameters of every function the registry can execute: which calls a chunk can settle alone."""
    registry = load_registry(execution.registry)
    return Signatures.of(registry.executable_names(), registry.get, registry.refusal)


def _run_chunks(chunks: Iterator[RawChunk], plan: ChunkPlan, judge: LLMConfig | None, execution: ExecutionSettings,
                writer: VerdictWriter) -> None:
    """Check each chunk, at most ``IN_FLIGHT`` at a time, reading the next as one finishes; a chunk
    with stages left (``CheckedChunk.pending``) goes through their tasks, one after the other."""
    submit = {"execution": lambda b: _STREAMED["execution"].submit(quote(b), execution),
              "semantic": lambda b: _STREAMED["semantic"].submit(quote(b), judge)}
    pending: dict[Any, tuple[str, ...] | None] = {}  # future -> stages after it (None: a chunk's check)

    def start_next() -> None:
        for chunk in chunks:
            pending[_CHUNK.submit(quote(chunk), plan)] = None
            return

    def go_on(batch: BatchResult, stages_left: tuple[str, ...]) -> None:
        if stages_left:
            pending[submit[stages_left[0]](batch)] = stages_left[1:]
        else:
            writer.add(batch.index, batch.samples)
            start_next()

    for _ in range(IN_FLIGHT):
        start_next()
    while pending:
        for future in as_completed(list(pending)):
            stages_left = pending.pop(future)
            result = future.result()
            if stages_left is not None:
                go_on(result, stages_left)
            elif result.text is not None:
                writer.add_rendered(result.index, result.text, result.tally)
                start_next()
            else:
                go_on(BatchResult(index=result.index, samples=result.samples), result.pending)
