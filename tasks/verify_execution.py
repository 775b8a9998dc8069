"""Task: stage 2, execution, over one batch, in the process's shared sandbox pool."""

from __future__ import annotations

import atexit
import logging
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

_EXECUTORS: dict[tuple[ExecutionSettings, int], CallExecutor] = {}
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
    """One pool per process, setting and loaded registry: workers are expensive to start, cheap to
    reuse; a registry reloaded after an edit gets fresh workers (they keep the modules they imported)."""
    with _LOCK:
        registry = load_registry(settings.registry)
        key = (settings, id(registry))  # the executor holds the registry, so its id is not reused
        if key not in _EXECUTORS:
            pool = SandboxPool(size=settings.workers, limits=SandboxLimits(timeout_s=settings.timeout_s),
                               env_names=settings.sandbox_env)
            atexit.register(pool.close)
            _log_isolation(pool.isolation.describe())
            rest = RestExecutor(credentials_lookup(settings.credentials_block), cache_dir=settings.resolved_rest_cache_dir())
            mcp = None
            if registry.mcp:
                from api_registry.mcp_executor import McpExecutor

                mcp = McpExecutor(size=settings.workers, timeout_s=settings.mcp_timeout_s)
                atexit.register(mcp.close)
            _EXECUTORS[key] = CallExecutor(pool, registry.target, registry.get, rest, mcp=mcp, refuse=registry.refusal)
        return _EXECUTORS[key]


def shut_down_mcp_servers() -> None:
    """At a run's end: stop the MCP servers this process started for it (a worker process serving many
    runs would otherwise keep them all alive); the next run that needs one starts it again."""
    with _LOCK:
        executors = list(_EXECUTORS.values())
    for executor in executors:
        if executor.mcp is not None:
            executor.mcp.close()


def _log_isolation(line: str) -> None:
    """Once per pool: the isolation that really applies (never more than what the workers reported)."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        get_run_logger().info(line)
    except MissingContextError:
        logging.getLogger(__name__).info(line)


def verify_execution(batch: BatchResult, settings: ExecutionSettings, enabled: bool = True) -> BatchResult:
    if not enabled:
        return batch.with_samples(skip_stage(batch.samples, "execution"))
    result = batch.with_samples(run_execution(batch.samples, shared_executor(settings)))
    progress.report("execution", len(batch.samples))
    return result


verify_execution_task = task(verify_execution, name="verify-execution", task_run_name="execution-batch-{batch.index}",
                             cache_policy=caching.EXECUTION, persist_result=True)
