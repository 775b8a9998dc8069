"""Task: stage 2, execution, over one batch, in the process's shared sandbox pool."""

from __future__ import annotations

import atexit
import threading

from prefect import task

from api_registry.rest import RestExecutor
from api_registry.sandbox import SandboxLimits, SandboxPool
from api_registry.sources import load_registry
from apigen import progress
from apigen.batch import BatchResult
from apigen.config import ExecutionSettings
from apigen.stages import run_execution, skip_stage
from apigen.verify.execution import CallExecutor
from tasks import caching

_EXECUTORS: dict[ExecutionSettings, CallExecutor] = {}
_LOCK = threading.Lock()


def credentials_lookup(block_name: str | None):
    """Look credential sets up in an ApiCredentials block, loaded on first use (inside the task)."""
    if block_name is None:
        return None
    loaded = {}

    def lookup(name: str) -> dict:
        if "block" not in loaded:
            from blocks.credentials import ApiCredentials

            loaded["block"] = ApiCredentials.load(block_name)
        return loaded["block"].lookup(name)
    return lookup


def shared_executor(settings: ExecutionSettings) -> CallExecutor:
    """One pool per process and setting: workers are expensive to start, cheap to reuse."""
    with _LOCK:
        if settings not in _EXECUTORS:
            registry = load_registry(settings.registry)
            pool = SandboxPool(size=settings.workers, limits=SandboxLimits(timeout_s=settings.timeout_s))
            atexit.register(pool.close)
            rest = RestExecutor(credentials_lookup(settings.credentials_block), cache_dir=settings.resolved_rest_cache_dir())
            _EXECUTORS[settings] = CallExecutor(pool, registry.target, registry.get, rest)
        return _EXECUTORS[settings]


def verify_execution(batch: BatchResult, settings: ExecutionSettings, enabled: bool = True) -> BatchResult:
    if not enabled:
        return batch.with_samples(skip_stage(batch.samples, "execution"))
    result = batch.with_samples(run_execution(batch.samples, shared_executor(settings)))
    progress.report("execution", len(batch.samples))
    return result


verify_execution_task = task(verify_execution, name="verify-execution", task_run_name="execution-batch-{batch.index}",
                             cache_policy=caching.EXECUTION, persist_result=True)
