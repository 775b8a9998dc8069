"""A pool of sandboxed worker processes that execute registered Python functions.

Each worker is a separate interpreter in its own session and scratch directory, started with an
allow-listed environment (under a dedicated uid when the pool runs as root: see ``_MODES``), that limits itself
(memory, CPU, processes, no capabilities, a seccomp filter against the network: ``sandbox_confine``)
and reports what applied. Requests and answers travel over a socketpair, bound by id and nonce
(``sandbox_protocol``). The parent enforces a wall-clock timeout per call: a worker that overruns,
dies or breaks the protocol is killed with every process it started, and replaced; only that
call fails, and never with a result. ``SandboxPool.isolation`` says what isolation is in force.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Sequence

from api_registry import sandbox_isolation as iso
from api_registry.sandbox_processes import kill_session
from api_registry.sandbox_protocol import Channel, ProtocolViolation, expect_answer

STARTUP_TIMEOUT_S = 60.0
TERM_GRACE_S = 0.5
# How a pool running as root gives its workers an identity, most isolated first; the first worker
# decides, and every later one uses the same mode. "exec": started as the dedicated uid. "switch":
# started as root, the worker becomes the dedicated uid itself keeping CAP_DAC_READ_SEARCH (for an
# interpreter that uid cannot read). "root": uid 0 without capabilities, where neither works.
_MODES = ("exec", "switch", "root")


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
    max_processes: int = 50   # per worker, itself included


_FAILED = {"exec": "the dedicated uid cannot run the worker", "switch": "the worker cannot switch to it",
           "root": "the worker cannot start as uid 0", "parent": "the worker cannot start"}


class WorkerFailed(Exception):
    """A worker that cannot be used: it did not start, or started without the pool's isolation."""


class _StaleWorker(Exception):
    """The worker died or sent bytes while idle: replace it before the request is sent."""


class _Worker:
    """One worker process and its end of the channel."""

    def __init__(self, name: str, limits: SandboxLimits, scratch: str, uid: int | None, switch: bool,
                 env_names: Sequence[str], cgroup: iso.PidsCgroup | None):
        self.name, self.scratch, self.uid, self.cgroup = name, scratch, uid, cgroup
        self.hello: dict[str, Any] | None = None
        self.loaded_files: set[str] = set()
        self.calls = 0
        self.released = False
        self.env = iso.worker_environment(scratch, env_names)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = [sys.executable, "-P", "-s", "-m", "api_registry.sandbox_worker", "--fd", str(theirs.fileno()),
                   "--memory-mb", str(limits.memory_mb), "--cpu-s", str(limits.cpu_s),
                   "--max-processes", str(limits.max_processes)]
        identity: dict[str, Any] = {}
        if uid is not None and switch:
            command += ["--switch-to-uid", str(uid)]
        elif uid is not None:
            command.append("--dedicated-uid")
            identity = {"user": uid, "group": uid, "extra_groups": []}
        try:
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, cwd=scratch, env=self.env,
                                         pass_fds=(theirs.fileno(),), start_new_session=True, **identity)
        except BaseException:
            ours.close()
            iso.remove_tree(scratch)
            raise
        finally:
            theirs.close()
        self.in_cgroup = cgroup.enter(name, self.proc.pid) if cgroup is not None else False
        try:  # readable once the worker exits: its death is seen even while a child holds the channel
            self.exit_fd: int | None = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self.exit_fd = None
        self.channel = Channel(ours, blocking=False, exit_fd=self.exit_fd)

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        """The worker's hello (what isolation applied); WorkerFailed if it does not come."""
        if self.hello is None:
            try:
                message = self.channel.read(time.monotonic() + timeout_s)
            except TimeoutError:
                raise WorkerFailed(f"no hello within {timeout_s:g} s") from None
            except (EOFError, OSError):
                self.proc.wait()
                raise WorkerFailed(f"it exited with code {self.proc.returncode} before it was ready") from None
            except ProtocolViolation as exc:
                raise WorkerFailed(f"its hello was unreadable ({exc})") from None
            if not isinstance(message.get("hello"), dict):
                raise WorkerFailed("its first frame was not a hello")
            self.hello = message["hello"]
        return self.hello

    def request(self, payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """The answer to ``payload``; TimeoutError, EOFError/OSError (died) or ProtocolViolation otherwise."""
        try:
            self.channel.ensure_quiet()
        except (EOFError, OSError, ProtocolViolation) as exc:
            raise _StaleWorker(str(exc) or type(exc).__name__) from None
        self.calls += 1
        deadline = time.monotonic() + timeout_s
        self.channel.send(payload, deadline)
        return expect_answer(self.channel.read(deadline), payload["id"], payload["nonce"])

    def kill(self) -> None:
        """Stop the worker and every process of its session, then clean up.

        SIGTERM first: the worker kills and reaps its descendants itself (no zombies left to an init
        that does not reap). Then SIGKILL for whatever is left, the worker last.
        """
        if self.released:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=TERM_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
        kill_session(self.proc.pid)
        self.proc.wait()
        self._release()

    def close(self) -> None:
        """Let the worker exit on end-of-file (it kills its descendants), else kill it."""
        try:
            self.channel.sock.shutdown(socket.SHUT_RDWR)
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def _release(self) -> None:
        self.released = True
        self.channel.sock.close()
        if self.exit_fd is not None:
            os.close(self.exit_fd)
        iso.remove_tree(self.scratch)
        if self.cgroup is not None:
            self.cgroup.leave(self.name)


class _Unstarted:
    """Stands in a pool slot for a worker that could not even be spawned; the next call retries."""

    def __init__(self, reason: str):
        self.reason, self.calls, self.hello = reason, 0, None

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        raise WorkerFailed(self.reason)

    def kill(self) -> None:
        pass

    close = kill


class SandboxPool:
    """Thread-safe: ``call`` borrows an idle worker, so up to ``size`` calls run at once.

    ``env_names`` are extra environment variables the user wants the functions to see.
    """

    def __init__(self, size: int = 2, limits: SandboxLimits | None = None, env_names: Sequence[str] = ()):
        self.limits = limits or SandboxLimits()
        self.size = size
        self.env_names = tuple(env_names)
        self.replaced = 0
        self._closed = False
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._names = itertools.count()
        self._parent_protected = iso.protect_parent()
        self._base = tempfile.mkdtemp(prefix="apigen-sandbox-")
        os.chmod(self._base, 0o711)  # a dedicated uid reaches its own scratch directory, lists nothing
        self._cgroup = iso.PidsCgroup.create(self.limits.max_processes)
        self._mode = "parent"
        self._uid_note = "the pool does not run as root"
        self._idle: queue.Queue[_Worker | _Unstarted] = queue.Queue()
        try:
            first = self._first_worker()
        except BaseException:
            self._cleanup()
            raise
        self._promised = self._promise(first.hello)
        self.isolation = iso.account(first.hello, uid_note=self._uid_note, cgroup=self._cgroup,
                                     max_processes=self.limits.max_processes, scratch_base=self._base,
                                     env_names=sorted(first.env), parent_protected=self._parent_protected)
        self._idle.put(first)
        for _ in range(size - 1):
            self._idle.put(self._spawn())

    def _first_worker(self) -> _Worker:
        """Start one worker in the most isolated identity mode that works here (``_MODES``)."""
        failures: list[str] = []
        for mode in _MODES if os.geteuid() == 0 else ("parent",):
            self._mode = mode
            worker = None
            try:
                worker = self._spawn(strict=True)
                hello = worker.wait_ready(STARTUP_TIMEOUT_S)
                if mode == "switch" and not hello.get("dedicated_uid"):
                    raise WorkerFailed(hello.get("switch_problem") or "it did not switch")
            except (OSError, WorkerFailed) as exc:
                if worker is not None:
                    worker.kill()
                failures.append(f"{_FAILED[mode]} ({exc})")
                continue
            if failures:
                self._uid_note = "; ".join(failures)
            return self._settle_cgroup(worker)
        raise RuntimeError(f"the sandbox worker cannot start: {'; '.join(failures)}")

    def _settle_cgroup(self, worker: _Worker) -> _Worker:
        """Drop the pids cgroup if the first worker could not enter it: then it bounds nothing."""
        if self._cgroup is not None and not worker.in_cgroup:
            self._cgroup.close()
            self._cgroup = worker.cgroup = None
        return worker

    def _spawn(self, strict: bool = False) -> "_Worker | _Unstarted":
        name = f"w{next(self._names)}"
        uid = None
        if self._mode in ("exec", "switch"):
            uid, why = iso.dedicated_id()
            if uid is None:
                if strict:
                    raise OSError(why)
                return _Unstarted(why)
        try:
            scratch = iso.make_scratch(self._base, name, uid)
            return _Worker(name, self.limits, scratch, uid, self._mode == "switch", self.env_names, self._cgroup)
        except OSError as exc:
            if strict:
                raise
            return _Unstarted(f"the worker could not be spawned: {exc}")

    @staticmethod
    def _promise(hello: dict[str, Any]) -> tuple:
        """The parts of a hello every later worker must match: no worker runs with less than was reported."""
        return (hello.get("seccomp"), hello.get("dedicated_uid"), hello.get("switched"), hello.get("read_all_files"),
                hello.get("capabilities_dropped"), hello.get("subreaper"))

    def call(self, target: CallTarget, arguments: dict[str, Any], timeout_s: float | None = None) -> Outcome:
        if self._closed:
            raise RuntimeError("the sandbox pool is closed")
        timeout = timeout_s if timeout_s is not None else self.limits.timeout_s
        for _ in range(2):
            worker = self._idle.get()
            healthy = False
            try:
                outcome, healthy = self._run(worker, target, arguments, timeout)
                return outcome
            except _StaleWorker:
                continue  # replaced below; the call, not yet sent, goes to another worker
            finally:
                self._give_back(worker, healthy)
        return Outcome(ok=False, code="worker_died", message="no sandbox worker was usable")

    def _give_back(self, worker: "_Worker | _Unstarted", healthy: bool) -> None:
        if healthy and worker.calls < self.limits.calls_per_worker:
            self._idle.put(worker)
            return
        (worker.close if healthy else worker.kill)()
        with self._lock:
            self.replaced += 1
        self._idle.put(self._spawn())

    def _run(self, worker: "_Worker | _Unstarted", target: CallTarget, arguments: dict[str, Any],
             timeout: float) -> tuple[Outcome, bool]:
        """The call's outcome, and whether the worker may serve again."""
        try:
            hello = worker.wait_ready(STARTUP_TIMEOUT_S)
            if self._promise(hello) != self._promised:
                raise WorkerFailed(f"it started with less isolation than reported ({hello})")
            if self._cgroup is not None and not worker.in_cgroup:
                raise WorkerFailed("it could not be put in its pids cgroup")
        except WorkerFailed as exc:
            return Outcome(ok=False, code="worker_died", message=f"the sandbox worker did not start: {exc}"), False
        payload = {"id": next(self._ids), "nonce": secrets.token_hex(16), "module": target.module,
                   "qualname": target.qualname, "file": target.file, "arguments": arguments}
        if target.file and target.file not in worker.loaded_files:
            try:
                with open(target.file, "rb") as handle:
                    payload["source"] = importlib.util.decode_source(handle.read())
            except (OSError, UnicodeDecodeError, SyntaxError) as exc:
                return Outcome(ok=False, code="import_error", message=f"cannot read {target.file}: {exc}"), True
        started = time.monotonic()
        try:
            answer = worker.request(payload, timeout)
        except TimeoutError:
            return Outcome(ok=False, code="timeout", message=f"the call ran longer than {timeout:g} s",
                           seconds=time.monotonic() - started), False
        except ProtocolViolation as exc:
            return Outcome(ok=False, code="worker_died", seconds=time.monotonic() - started,
                           message=f"protocol violation: the sandbox worker sent {exc}; it was killed"), False
        except (EOFError, OSError):
            worker.kill()
            return Outcome(ok=False, code="worker_died", seconds=time.monotonic() - started,
                           message=f"the sandbox worker died (exit {worker.proc.returncode})"), False
        elapsed = time.monotonic() - started
        if target.file and answer.get("code") != "import_error":
            worker.loaded_files.add(target.file)
        if answer.get("ok"):
            return Outcome(ok=True, result=answer.get("result"), seconds=elapsed), True
        return Outcome(ok=False, code=answer.get("code", "execution_error"), message=answer.get("message", ""),
                       seconds=elapsed), True

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        self._cleanup()

    def _cleanup(self) -> None:
        iso.remove_tree(self._base)
        if self._cgroup is not None:
            self._cgroup.close()

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
