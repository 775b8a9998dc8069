"""A pool of sandboxed worker processes that execute registered Python functions.

Each worker is a separate interpreter with an address-space limit (a huge allocation fails inside
it), a CPU-time limit, no network (its own empty network namespace where the OS allows, and a
socket guard always) and a scratch working directory. The parent enforces a wall-clock timeout per
call: a worker that overruns or dies is killed and replaced, and only that call fails.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

TIMED_OUT, DIED = "timed_out", "died"


@dataclass(frozen=True)
class CallTarget:
    """What to run: a module (or file) and a function name, taken from the registry."""

    module: str
    qualname: str
    file: str | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    result: Any = None
    code: str | None = None  # execution_error | timeout | memory_limit | worker_died | result_not_json | ...
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float = 5.0
    memory_mb: int = 1024
    cpu_s: int = 120          # per worker lifetime; workers are recycled well before
    calls_per_worker: int = 2000


class _Worker:
    def __init__(self, limits: SandboxLimits, workdir: str):
        env = {k: v for k, v in os.environ.items() if not _looks_secret(k)}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "api_registry.sandbox_worker",
             "--memory-mb", str(limits.memory_mb), "--cpu-s", str(limits.cpu_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=workdir, env=env,
            start_new_session=True)
        self.buffer = b""
        self.calls = 0

    def request(self, payload: dict, timeout_s: float) -> dict | str:
        """The worker's JSON answer, or ``TIMED_OUT`` / ``DIED`` (the caller then kills and replaces it)."""
        self.calls += 1
        try:
            self.proc.stdin.write((json.dumps(payload) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return DIED
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return TIMED_OUT
                chunk = os.read(fd, 65536)
                if not chunk:
                    return DIED
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except Exception:
            self.kill()


def _looks_secret(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in ("KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL"))


class SandboxPool:
    """Thread-safe: ``call`` borrows an idle worker, so up to ``size`` calls run at once."""

    def __init__(self, size: int = 2, limits: SandboxLimits | None = None):
        self.limits = limits or SandboxLimits()
        self.size = size
        self._workdir = tempfile.TemporaryDirectory(prefix="apigen-sandbox-")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._ids = itertools.count()
        self._closed = False
        self._lock = threading.Lock()
        self.replaced = 0
        for _ in range(size):
            self._idle.put(_Worker(self.limits, self._workdir.name))

    def call(self, target: CallTarget, arguments: dict[str, Any], timeout_s: float | None = None) -> Outcome:
        if self._closed:
            raise RuntimeError("the sandbox pool is closed")
        timeout = timeout_s if timeout_s is not None else self.limits.timeout_s
        worker = self._idle.get()
        started = time.monotonic()
        payload = {"id": next(self._ids), "module": target.module, "qualname": target.qualname,
                   "file": target.file, "arguments": arguments}
        try:
            answer = worker.request(payload, timeout)
        except (OSError, ValueError):  # an unreadable answer: treat the worker as gone
            answer = DIED
        elapsed = time.monotonic() - started
        if isinstance(answer, str):
            worker.kill()
            self._idle.put(self._replacement())
            if answer == TIMED_OUT:
                return Outcome(ok=False, code="timeout", message=f"the call ran longer than {timeout:g} s", seconds=elapsed)
            return Outcome(ok=False, code="worker_died",
                           message=f"the sandbox worker died (exit {worker.proc.returncode})", seconds=elapsed)
        if worker.calls >= self.limits.calls_per_worker:
            worker.close()
            worker = self._replacement()
        self._idle.put(worker)
        if answer.get("ok"):
            return Outcome(ok=True, result=answer.get("result"), seconds=elapsed)
        return Outcome(ok=False, code=answer.get("code", "execution_error"), message=answer.get("message", ""), seconds=elapsed)

    def _replacement(self) -> _Worker:
        with self._lock:
            self.replaced += 1
        return _Worker(self.limits, self._workdir.name)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        self._workdir.cleanup()

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
