"""Stage 2, execution: run every call of a sample through its registered implementation.

Only implementations the registry names are ever run, bound by keyword in a sandboxed worker;
the model's text is data, never code. Results are cached by (function, canonical arguments), so
the same call in two samples, or in a re-run, executes once.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from api_registry.sandbox import CallTarget, Outcome, SandboxPool
from apigen.models import Finding, FunctionCall, StageResult

STAGE = "execution"
Resolver = Callable[[str], CallTarget | None]
_UNCACHEABLE = {"timeout", "worker_died"}


def canonical_arguments(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def is_error_result(result: Any) -> str | None:
    """A result that reports failure in-band (``{"error": ...}``), as many APIs do."""
    if isinstance(result, dict):
        for key in ("error", "errors"):
            if result.get(key):
                return f"{key}: {str(result[key])[:200]}"
    return None


class CallExecutor:
    """Executes calls through a sandbox pool, with a result cache shared across samples."""

    def __init__(self, pool: SandboxPool, resolve: Resolver):
        self.pool, self.resolve = pool, resolve
        self._cache: dict[tuple[str, str], Outcome] = {}
        self._lock = threading.Lock()
        self.executed = 0

    def run(self, call: FunctionCall) -> Outcome:
        key = (call.name, canonical_arguments(call.arguments))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        target = self.resolve(call.name)
        if target is None:
            return Outcome(ok=False, code="no_implementation", message=f"{call.name!r} has no registered implementation")
        outcome = self.pool.call(target, call.arguments)
        with self._lock:
            self.executed += 1
            if outcome.code not in _UNCACHEABLE:
                self._cache[key] = outcome
        return outcome


def check_execution(calls: Sequence[FunctionCall], executor: CallExecutor) -> StageResult:
    missing = [i for i, c in enumerate(calls) if executor.resolve(c.name) is None]
    if missing:
        return StageResult(stage=STAGE, status="skipped", errors=tuple(
            Finding(code="no_implementation", call=i, message=f"{calls[i].name!r} has no registered implementation")
            for i in missing))
    errors: list[Finding] = []
    results: list[Any] = []
    for index, call in enumerate(calls):
        outcome = executor.run(call)
        if outcome.ok:
            results.append(outcome.result)
            problem = is_error_result(outcome.result)
            if problem:
                errors.append(Finding(code="error_result", call=index, message=f"{call.name} returned an error: {problem}"))
        else:
            results.append(None)
            errors.append(Finding(code=outcome.code or "execution_error", call=index, message=f"{call.name}: {outcome.message}"))
    return StageResult(stage=STAGE, status="failed" if errors else "passed", errors=tuple(errors), results=tuple(results))


def check_many(batch: Sequence[Sequence[FunctionCall]], executor: CallExecutor) -> list[StageResult]:
    """Execute several samples' calls, keeping every worker of the pool busy."""
    with ThreadPoolExecutor(max_workers=max(1, executor.pool.size)) as threads:
        return list(threads.map(lambda calls: check_execution(calls, executor), batch))
