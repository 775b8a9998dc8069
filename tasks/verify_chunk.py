"""Task: check one chunk of an existing dataset (``apigen verify``) in the flow's worker processes.

One task per chunk runs every stage that needs nothing but the rows (``apigen.chunk_checks``), so a
60k-row dataset is a few dozen task runs, and what is persisted per chunk is its verdict lines and
counts. The cache key is the chunk's rows as read (the bytes of each line), where they are, the file's
name (verdict messages quote it), the stages, whether a judge follows, and the parameters of every
executable function (which calls can run); the stages that need the sandbox or the judge run after
this task in their own tasks, with their own keys (``tasks.caching``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from prefect import task
from prefect.cache_policies import TASK_SOURCE, CacheKeyFnPolicy

from apigen import check_pool, progress
from apigen.cache_keys import digest
from apigen.chunk_checks import CheckedChunk, ChunkPlan, check_chunk
from apigen.dataset_io import RawChunk


def rows_digest(chunk: RawChunk) -> str:
    """A digest of the rows as read: bytes as they are, decoded rows (JSON lists, Parquet) by repr
    (key order kept: it can change a verdict's wording), each with where it is."""
    h = hashlib.sha256()
    for where, row in chunk.rows:
        data = row if isinstance(row, bytes) else repr(row).encode("utf-8", "surrogatepass")
        h.update(repr(sorted(where.items())).encode())
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _chunk_key(context: Any, p: dict[str, Any]) -> str:
    chunk, plan = p["chunk"], p["plan"]
    return digest("verify-chunk", chunk.index, chunk.source, rows_digest(chunk), plan.stages, plan.judge,
                  plan.signatures.params if plan.signatures else None, *(() if plan.render else ("samples",)))


CHUNK = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_chunk_key)


def verify_chunk(chunk: RawChunk, plan: ChunkPlan) -> CheckedChunk:
    checked = check_pool.run(check_chunk, chunk, plan)
    for stage in plan.stages:
        if stage not in checked.pending:
            progress.report(stage, checked.rows)
    return checked


verify_chunk_task = task(verify_chunk, name="verify-chunk", task_run_name="chunk-{chunk.index}", cache_policy=CHUNK,
                         persist_result=True, cache_result_in_memory=False)
