"""One live MCP session (a server process over stdio, or one streamable-HTTP session), one call at a time.

The SDK is async and its transports are context managers that must be entered and left by the same
task, while stage 2 runs calls from worker threads. So each connection is one task on a shared event
loop (``LoopThread``) that holds the session open and serves calls from a queue. A call that outlasts
its timeout or whose server goes away ends the task, which shuts the server down; the owner starts a
new one for the next call.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from typing import Any

from api_registry.importers.mcp_server import McpSpec, leaf_error, server_identity, stderr_tail, transport


class ServerDied(RuntimeError):
    """The server exited (or the HTTP session closed) while the call was in flight."""


class CallTimedOut(RuntimeError):
    """No reply within the call's timeout: the server is shut down (it may still be busy)."""


class StartFailed(RuntimeError):
    """The server could not be started, or did not complete ``initialize``."""


class RpcError(RuntimeError):
    """A JSON-RPC error reply to ``tools/call`` (e.g. invalid params): the server is still fine."""


class LoopThread:
    """An asyncio loop in a daemon thread, for sync callers: ``run(coro, timeout)`` blocks on it."""

    def __init__(self, name: str = "apigen-mcp"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)


class McpConnection:
    """A session to ``spec``'s server; ``start``, ``call`` and ``close`` run on the owner's loop."""

    def __init__(self, spec: McpSpec, start_timeout_s: float = 30.0):
        self.spec = spec
        self.start_timeout_s = start_timeout_s
        self.identity: tuple[str, str] | None = None  # (name, version) the live server reported
        self._run: _Run | None = None
        self._ending: set[asyncio.Task] = set()  # earlier runs still shutting their server down
        self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") if not spec.url else None

    @property
    def alive(self) -> bool:
        """Whether calls are still served (a session winding down after a timeout is not alive)."""
        return self._run is not None and self._run.accepting

    async def start(self) -> None:
        ready = asyncio.get_running_loop().create_future()
        if self._run is not None and self._run.task is not None and not self._run.task.done():
            self._ending.add(self._run.task)  # a timed-out run: ``close`` waits for its server to go too
        self._ending = {task for task in self._ending if not task.done()}
        self._run = run = _Run()
        run.task = asyncio.create_task(self._serve(run, ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.start_timeout_s)
        except asyncio.TimeoutError:
            run.task.cancel()
            raise StartFailed(f"no reply to initialize within {self.start_timeout_s:.0f} s") from None

    async def call(self, name: str, arguments: dict, timeout_s: float) -> Any:
        run = self._run
        if run is None or not run.accepting:
            raise ServerDied("the server had already exited")
        done = asyncio.get_running_loop().create_future()
        await run.jobs.put((name, arguments, timeout_s, done))
        return await done

    async def close(self, grace_s: float = 8.0) -> None:
        """End the session and wait for every server this connection started, a timed-out one still
        shutting down included (the SDK escalates to a kill within ~6 s); stopping the loop before
        that would leave it running."""
        run = self._run
        tasks = {task for task in self._ending if not task.done()}
        if run is not None and run.task is not None and not run.task.done():
            await run.jobs.put(None)
            tasks.add(run.task)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace_s)
            for task in late:
                task.cancel()
        self._ending.clear()
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    def stderr_tail(self) -> str:
        """"; its stderr ends: ..." for a stdio server that wrote to stderr, else ""."""
        return stderr_tail(self._errlog) if self._errlog is not None else ""

    async def _serve(self, run: "_Run", ready: asyncio.Future) -> None:
        from mcp import ClientSession
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        try:
            async with transport(self.spec, self._errlog) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    self.identity = server_identity(await session.initialize())
                    ready.set_result(self.identity)
                    while (job := await run.jobs.get()) is not None:
                        name, arguments, timeout_s, run.current = job
                        try:
                            reply = await session.call_tool(name, arguments, read_timeout_seconds=timeout_s)
                        except MCPError as exc:
                            if exc.code == REQUEST_TIMEOUT:
                                run.end(CallTimedOut(f"no reply within {timeout_s:g} s"))
                                return
                            if exc.code == CONNECTION_CLOSED:
                                run.end(ServerDied(str(exc)))
                                return
                            run.settle(RpcError(f"JSON-RPC error {exc.code}: {exc}"))
                            continue
                        run.settle(reply)
        except asyncio.CancelledError:
            run.end(ServerDied("the connection was cancelled"))
            raise
        except BaseException as exc:  # the SDK's task groups wrap the cause in exception groups
            cause = leaf_error(exc)
            if not ready.done():
                ready.set_exception(StartFailed(f"{type(cause).__name__}: {cause}"))
            run.end(ServerDied(f"{type(cause).__name__}: {cause}"))
        finally:
            run.end(ServerDied("the server session ended"))
            if not ready.done():
                ready.set_exception(StartFailed("the server closed the connection before initializing"))


class _Run:
    """One started server: its job queue and the call in flight. A run that ended takes no more calls,
    and every call still queued on it fails as ``ServerDied``, so no caller waits on a dead session."""

    def __init__(self):
        self.jobs: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None
        self.current: asyncio.Future | None = None
        self.accepting = True

    def settle(self, outcome: Any) -> None:
        done, self.current = self.current, None
        if done is not None and not done.done():
            if isinstance(outcome, BaseException):
                done.set_exception(outcome)
            else:
                done.set_result(outcome)

    def end(self, outcome: BaseException) -> None:
        self.accepting = False
        self.settle(outcome)
        while not self.jobs.empty():
            job = self.jobs.get_nowait()
            if job is not None and not job[3].done():
                job[3].set_exception(ServerDied("the server session ended before the call was sent"))
