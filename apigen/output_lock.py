"""One run per output location: an exclusive lock beside the output, held for the whole run.

Two runs writing the same ``--out`` would each swap their dataset in, one silently replacing the
other, or race between the renames (``FileNotFoundError``, ``ENOTEMPTY``). A run first takes a
non-blocking ``flock`` on ``<parent>/.<name>.lock``, which records the holder (pid, host, start
time, command); a second run fails at once with ``OutputLocked`` naming that holder. The kernel
drops a flock when its holder dies, so a killed run never leaves a stale lock. The lock file is
left in place: removing it would let two runs lock two different files under one name.

The lock is re-entrant within a process: the CLI takes it before anything starts (to fail fast),
and the flow takes it again, for runs started without the CLI (deployments).

Object-store URLs (``s3://``) cannot be locked this way and are not: one writer per prefix is the
rule there (``apigen.storage``).
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import socket
import threading
from pathlib import Path

from apigen import storage


class OutputLocked(Exception):
    """Another run holds the output location."""


_HELD: dict[str, list[int]] = {}  # lock path -> [fd, depth]
_GUARD = threading.Lock()


def lock_path(out: str | Path) -> Path:
    """``<parent>/.<name>.lock`` for a local output path."""
    path = Path(str(out).removeprefix("file://")).resolve()
    return path.parent / f".{path.name}.lock"


class OutputLock:
    """``with OutputLock(out, command):`` holds ``out`` from construction (which raises
    ``OutputLocked`` if another process holds it) to the end of the block. A URL or None: no lock."""

    def __init__(self, out: str | Path | None, command: str):
        self.path = None if out is None or storage.is_url(out) else lock_path(out)
        if self.path is None:
            return
        with _GUARD:
            held = _HELD.get(str(self.path))
            if held:
                held[1] += 1
            else:
                _HELD[str(self.path)] = [_acquire(self.path, out, command), 1]

    def __enter__(self) -> Path | None:
        return self.path

    def __exit__(self, *exc: object) -> None:
        if self.path is None:
            return
        with _GUARD:
            held = _HELD[str(self.path)]
            held[1] -= 1
            if held[1] == 0:
                del _HELD[str(self.path)]
                _release(held[0])


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)  # the next contender must not read this run as the holder
    except OSError:
        pass
    os.close(fd)  # closing the descriptor releases the flock


def _acquire(path: Path, out: str | Path, command: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except PermissionError:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # someone else's lock file: lock it, do not write
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OutputLocked(f"{out} is being written by another run ({describe_holder(path)}); wait for it "
                           "to finish or choose another --out") from None
    except BaseException:
        os.close(fd)
        raise
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
              "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
    except OSError:
        pass  # a read-only lock file still locks; only the holder's description is missing
    return fd


def describe_holder(path: Path) -> str:
    """The recorded holder of a lock file, in words."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return (f"pid {int(holder['pid'])} on {holder['host']}, started {holder['started']}: "
                f"{str(holder['command'])[:200]}; lock {path}")
    except (OSError, ValueError, KeyError, TypeError):
        return f"holder not recorded yet; lock {path}"
