"""Stage 2, execution: run every call of a sample through its registered implementation.

Only implementations the registry names are ever run, bound by keyword in a sandboxed worker;
the model's text is data, never code. Results are cached by (function, canonical arguments), so
the same call in two samples, or in a re-run, executes once.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from api_registry.registry import DESTRUCTIVE_REFUSED, McpEntry
from api_registry.rest import RestApi, RestExecutor
from api_registry.sandbox import CallTarget, Outcome, SandboxPool
from apigen.models import Finding, FunctionCall, StageResult

STAGE = "execution"
Resolver = Callable[[str], "CallTarget | RestApi | McpEntry | None"]
Unavailable = tuple[str, str]  # (verdict code, why): a call that is not run
# Transient outcomes are not cached: a later call may well succeed.
_UNCACHEABLE = {"timeout", "worker_died", "server_unavailable", "http_429", "http_500", "http_502", "http_503",
                "http_504", "connection_error"}


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
    """Executes calls through a sandbox pool (Python), ``requests`` (REST) or an MCP session, with a
    result cache shared across samples.

    ``describe`` (name -> registry entry with a ``spec``) guards against name collisions: a dataset's
    tool that merely shares a name with a registered function, but not its parameters, is not run.
    ``refuse`` (name -> why, or None) names calls that must not run at all (destructive MCP tools).
    """

    def __init__(self, pool: SandboxPool, resolve: Resolver, describe: Callable[[str], Any] | None = None,
                 rest: RestExecutor | None = None, mcp: Any = None, refuse: Callable[[str], str | None] | None = None):
        self.pool, self.resolve, self.describe, self.rest = pool, resolve, describe, rest
        self.mcp, self.refuse = mcp, refuse
        self._cache: dict[tuple[str, str], Outcome] = {}
        self._lock = threading.Lock()
        self.executed = 0

    def unavailable(self, call: FunctionCall) -> Unavailable | None:
        """Why ``call`` is not executed here, as (code, why), or None if it is."""
        if self.resolve(call.name) is None:
            return _no_implementation(call)
        refused = self.refuse(call.name) if self.refuse else None
        if refused:
            return DESTRUCTIVE_REFUSED, refused
        entry = self.describe(call.name) if self.describe else None
        return _other_signature(call, entry.spec.properties, entry.spec.required) if entry is not None else None

    def run(self, call: FunctionCall) -> Outcome:
        key = (call.name, canonical_arguments(call.arguments))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        target = self.resolve(call.name)
        if target is None:
            return Outcome(ok=False, code="no_implementation", message=f"{call.name!r} has no registered implementation")
        if isinstance(target, RestApi):
            outcome = self._call_rest(target, call)
        elif isinstance(target, McpEntry):
            outcome = self._call_mcp(target, call)
        else:
            outcome = self.pool.call(target, call.arguments)
        with self._lock:
            self.executed += 1
            if outcome.code not in _UNCACHEABLE:
                self._cache[key] = outcome
        return outcome

    def _call_mcp(self, entry: McpEntry, call: FunctionCall) -> Outcome:
        """MCP tools run on their own server (``tools/call``); a refused one never reaches it."""
        refused = self.refuse(call.name) if self.refuse else None
        if refused:
            return Outcome(ok=False, code=DESTRUCTIVE_REFUSED, message=refused)
        if self.mcp is None:
            from api_registry.mcp_executor import McpExecutor

            with self._lock:
                if self.mcp is None:
                    self.mcp = McpExecutor(size=self.pool.size if self.pool is not None else 2)
        return self.mcp.call(entry, call.arguments)

    def _call_rest(self, api: RestApi, call: FunctionCall) -> Outcome:
        """REST calls run in-process through ``requests`` (no user code runs); secrets never reach the result."""
        executor = self.rest or RestExecutor()
        result = executor.call(api, call.arguments)
        if result.ok:
            return Outcome(ok=True, result=result.result)
        return Outcome(ok=False, code=result.error_code or "rest_error", message=result.message)


def _no_implementation(call: FunctionCall) -> Unavailable:
    return "no_implementation", f"{call.name!r} has no registered implementation"


def _other_signature(call: FunctionCall, properties: Iterable[str], required: Iterable[str]) -> Unavailable | None:
    unknown = sorted(set(call.arguments) - set(properties))
    missing = sorted(set(required) - set(call.arguments))
    if unknown or missing:
        return "no_implementation", (f"the registered {call.name!r} has another signature "
                                     f"(unknown here: {unknown or '-'}, required there: {missing or '-'})")
    return None


@dataclass(frozen=True)
class Signatures:
    """The parameters of every function a registry can execute: enough to tell, without the registry
    or a sandbox, which calls cannot run (``unavailable`` says why, as ``CallExecutor.unavailable``
    does). Plain data, so it crosses to worker processes and into cache keys."""

    params: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # name -> (properties, required)
    refused: dict[str, str] = field(default_factory=dict)  # name -> why it is not run (destructive)

    @classmethod
    def of(cls, names: Iterable[str], describe: Callable[[str], Any],
           refuse: Callable[[str], str | None] = lambda name: None) -> "Signatures":
        names = list(names)
        specs = {name: describe(name).spec for name in names}
        return cls({name: (tuple(sorted(spec.properties)), tuple(sorted(spec.required))) for name, spec in specs.items()},
                   {name: why for name in names if (why := refuse(name))})

    def unavailable(self, call: FunctionCall) -> Unavailable | None:
        signature = self.params.get(call.name)
        if signature is None:
            return _no_implementation(call)
        if call.name in self.refused:
            return DESTRUCTIVE_REFUSED, self.refused[call.name]
        return _other_signature(call, *signature)


def missing_implementations(calls: Sequence[FunctionCall],
                            unavailable: Callable[[FunctionCall], Unavailable | None]) -> StageResult | None:
    """The verdict of calls some of which are not run (the stage is skipped, naming each), or None when
    every call can run: only then is anything executed."""
    missing = [(i, why) for i, why in ((i, unavailable(c)) for i, c in enumerate(calls)) if why]
    if missing:
        return StageResult(stage=STAGE, status="skipped", errors=tuple(
            Finding(code=code, call=i, message=why) for i, (code, why) in missing))
    return None


def check_execution(calls: Sequence[FunctionCall], executor: CallExecutor) -> StageResult:
    skipped = missing_implementations(calls, executor.unavailable)
    if skipped is not None:
        return skipped
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
