"""Task: stage 2, execution, over one batch, in the process's shared sandbox pool."""

from __future__ import annotations

import atexit
import threading

from prefect import task

from api_registry.registry import bundled_registry
from api_registry.sandbox import SandboxLimits, SandboxPool
from apigen import progress
from apigen.batch import BatchResult
from apigen.config import RunConfig
from apigen.stages import run_execution
from apigen.verify.execution import CallExecutor

_EXECUTORS: dict[tuple[int, float], CallExecutor] = {}
_LOCK = threading.Lock()


def shared_executor(workers: int, timeout_s: float) -> CallExecutor:
    """One pool per process and setting: workers are expensive to start, cheap to reuse."""
    key = (workers, timeout_s)
    with _LOCK:
        if key not in _EXECUTORS:
            pool = SandboxPool(size=workers, limits=SandboxLimits(timeout_s=timeout_s))
            atexit.register(pool.close)
            _EXECUTORS[key] = CallExecutor(pool, bundled_registry().target)
        return _EXECUTORS[key]


def verify_execution(config: RunConfig, batch: BatchResult) -> BatchResult:
    executor = shared_executor(config.sandbox_workers, config.execution_timeout_s)
    result = batch.with_samples(run_execution(batch.samples, executor))
    progress.report("execution", len(batch.samples))
    return result


verify_execution_task = task(verify_execution, name="verify-execution", task_run_name="execution-batch-{batch.index}")
