"""Stage 2 for MCP tools: ``tools/call`` on the tool's own server, with the sandbox's verdict codes.

Each server gets as many sessions as stage 2 has workers (``size``), started on first use and reused
across calls: a stdio server is one process per worker, not one per call. What can happen to a call:

- the reply has ``isError: true``, or is a JSON-RPC error: ``execution_error`` with the server's text;
- no reply within ``timeout_s``: ``timeout``; that server process is shut down (it may still be busy);
- the server exits during the call: ``worker_died``; it is started again for the next call;
- the server cannot be started: ``server_unavailable``; after two failed starts in a row the server
  is given up for the run, so a broken command is not spawned once per call.

Successful and in-band failed results are cached for the process by the tool's ``McpEntry.identity``
(command or URL, the server's reported name and version, the tool's schema) and the canonical
arguments; transient outcomes are not. Secret values a server was given (its env, its headers) are
masked in everything that comes back, results included.
"""

from __future__ import annotations

import atexit
import queue
import threading
from typing import Any

from api_registry.importers.mcp_server import masked
from api_registry.mcp_connection import CallTimedOut, LoopThread, McpConnection, RpcError, ServerDied, StartFailed
from api_registry.mcp_result import error_text, result_value
from api_registry.registry import McpEntry
from api_registry.sandbox import Outcome
from apigen import redaction

MAX_FAILED_STARTS = 2
_CACHE: dict[tuple[str, str], Outcome] = {}
_CACHE_LIMIT = 100_000
_CACHE_LOCK = threading.Lock()


class _ServerPool:
    """The sessions of one server: a queue of connections, each used by one caller at a time."""

    def __init__(self, entry: McpEntry, size: int, start_timeout_s: float):
        self.text = entry.server.text
        self.free: queue.Queue[McpConnection] = queue.Queue()
        for _ in range(size):
            self.free.put(McpConnection(entry.server, start_timeout_s))
        self.all = list(self.free.queue)
        self.failed_starts = 0
        self.given_up: str | None = None
        self.started = 0  # server processes (or HTTP sessions) started, restarts included
        self.lock = threading.Lock()


class McpExecutor:
    """Runs MCP tool calls for stage 2 (thread-safe; ``close`` shuts every server down)."""

    def __init__(self, size: int = 2, timeout_s: float = 30.0, start_timeout_s: float = 30.0, cached: bool = True):
        self.size, self.timeout_s, self.start_timeout_s = max(1, size), timeout_s, start_timeout_s
        self.cached = cached  # False: every call reaches the server, and nothing it returns is kept
        self._pools: dict[str, _ServerPool] = {}
        self._lock = threading.Lock()
        self._loop: LoopThread | None = None
        self.calls = 0  # tools/call requests really sent
        atexit.register(self.close)

    def call(self, entry: McpEntry, arguments: dict[str, Any]) -> Outcome:
        if not self.cached:
            return self._call(entry, arguments)
        from apigen.verify.execution import canonical_arguments  # the CallExecutor cache's form too

        key = (entry.identity, canonical_arguments(arguments))
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
        outcome = self._call(entry, arguments)
        if outcome.ok or outcome.code == "execution_error":
            with _CACHE_LOCK:
                if len(_CACHE) >= _CACHE_LIMIT:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[key] = outcome
        return outcome

    def servers_started(self, entry: McpEntry) -> int:
        pool = self._pools.get(entry.server.text)
        return pool.started if pool else 0

    def close(self) -> None:
        """Shut every server down (idempotent); the executor can start them again if called later."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
            loop, self._loop = self._loop, None
        if loop is None:
            return
        for pool in pools:
            for connection in pool.all:
                try:
                    loop.run(connection.close(), timeout=10)
                except Exception:  # shutting down: a server that will not close is killed with the loop
                    pass
        loop.stop()

    def _pool(self, entry: McpEntry) -> tuple[_ServerPool, LoopThread]:
        with self._lock:
            if self._loop is None:
                self._loop = LoopThread()
            pool = self._pools.get(entry.server.text)
            if pool is None:
                pool = self._pools[entry.server.text] = _ServerPool(entry, self.size, self.start_timeout_s)
            return pool, self._loop

    def _call(self, entry: McpEntry, arguments: dict[str, Any]) -> Outcome:
        pool, loop = self._pool(entry)
        connection = pool.free.get()
        try:
            problem = self._ensure_started(pool, loop, connection)
            if problem is not None:
                return problem
            with self._lock:
                self.calls += 1
            return self._outcome(entry, pool, loop, connection, arguments)
        finally:
            pool.free.put(connection)

    def _ensure_started(self, pool: _ServerPool, loop: LoopThread, connection: McpConnection) -> Outcome | None:
        if connection.alive:
            return None
        with pool.lock:
            if pool.given_up:
                return Outcome(ok=False, code="server_unavailable", message=pool.given_up)
        try:
            loop.run(connection.start(), timeout=self.start_timeout_s + 10)
        except (StartFailed, TimeoutError, OSError) as exc:
            why = _masked_text(f"MCP server {pool.text!r} could not be started: {exc}"
                               + connection.stderr_tail(), connection)
            with pool.lock:
                pool.failed_starts += 1
                if pool.failed_starts >= MAX_FAILED_STARTS:
                    pool.given_up = f"{why} (given up after {pool.failed_starts} failed starts)"
            return Outcome(ok=False, code="server_unavailable", message=why)
        with pool.lock:
            pool.failed_starts = 0
            pool.started += 1
        return None

    def _outcome(self, entry: McpEntry, pool: _ServerPool, loop: LoopThread, connection: McpConnection,
                 arguments: dict[str, Any]) -> Outcome:
        try:
            reply = loop.run(connection.call(entry.spec.name, arguments, self.timeout_s), timeout=self.timeout_s + 30)
        except CallTimedOut as exc:
            return Outcome(ok=False, code="timeout",
                           message=f"{exc}; the server process was shut down and starts again")
        except (ServerDied, TimeoutError) as exc:
            return Outcome(ok=False, code="worker_died", message=_masked_text(
                f"MCP server {pool.text!r} went away during the call ({exc}); "
                f"it starts again for the next call" + connection.stderr_tail(), connection))
        except RpcError as exc:
            return Outcome(ok=False, code="execution_error", message=_masked_text(str(exc), connection))
        if getattr(reply, "is_error", False):
            return Outcome(ok=False, code="execution_error", message=_masked_text(error_text(reply), connection))
        return Outcome(ok=True, result=_masked_value(result_value(reply), connection))


def _masked_text(text: str, connection: McpConnection) -> str:
    return redaction.bounded(masked(text, connection.spec))


def _masked_value(value: Any, connection: McpConnection) -> Any:
    """The result with every secret the server was given (and every one this process knows) masked."""
    def mask(item: Any) -> Any:
        if isinstance(item, str):
            return masked(item, connection.spec, shapes=False)
        if isinstance(item, list):
            return [mask(v) for v in item]
        if isinstance(item, dict):
            return {mask(k) if isinstance(k, str) else k: mask(v) for k, v in item.items()}
        return item
    return mask(value)
