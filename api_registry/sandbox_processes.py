"""Find and kill every process a sandbox worker started, through /proc (Linux).

A worker is a session leader and a child subreaper, and its seccomp filter refuses ``setsid`` and
``PR_SET_CHILD_SUBREAPER``: so while it lives every descendant, orphaned or not, stays in its process
tree (the cheap check after each call), and after it died they all still carry its session id (the
sweep after a timeout or a crash).
"""

from __future__ import annotations

import os
import signal
import time

SWEEP_LIMIT_S = 5.0


def _stat(pid: int) -> list[bytes] | None:
    """/proc/<pid>/stat fields after the command name (state first), or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Running, sleeping or stopped: anything but gone or a zombie."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in (b"Z", b"X")


def children(pid: int) -> set[int]:
    """Direct children of every thread of ``pid``."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:  # raw os calls: this runs after every call, almost always to find nothing
        try:
            fd = os.open(f"/proc/{pid}/task/{task}/children", os.O_RDONLY)
        except OSError:
            continue
        data = b""
        try:
            while chunk := os.read(fd, 1 << 16):
                data += chunk
        except OSError:
            pass
        finally:
            os.close(fd)
        found.update(int(child) for child in data.split())
    return found


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    frontier = children(pid)
    while frontier:
        found |= frontier
        frontier = set().union(*(children(p) for p in frontier)) - found
    return found


def kill_descendants(pid: int) -> int:
    """In the worker (``pid`` is itself): SIGKILL every descendant and reap them; returns how many it killed.

    Killed parents hand their children to the subreaper, so the loop ends with none left (or gives up
    after ``SWEEP_LIMIT_S``; the pool's session sweep then finishes the job).
    """
    killed: set[int] = set()
    deadline = time.monotonic() + SWEEP_LIMIT_S
    while time.monotonic() < deadline:
        found = descendants(pid)
        if not found:
            break
        for child in found:
            _kill(child)
        killed |= found
        for child in children(pid) & killed:  # a child that appeared since is killed on the next round
            try:
                os.waitpid(child, 0)
            except ChildProcessError:
                pass
    return len(killed)


def session_members(sid: int) -> set[int]:
    """Live processes of session ``sid``."""
    members: set[int] = set()
    try:
        entries = os.listdir("/proc")
    except OSError:  # not Linux: nothing to find
        return members
    for entry in entries:
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and fields[0] not in (b"Z", b"X") and int(fields[3]) == sid:
                members.add(int(entry))
    return members


def kill_session(sid: int) -> bool:
    """From the pool: SIGKILL every process of session ``sid``, the leader (the worker) after the rest.

    True when none is left alive (it gives up after ``SWEEP_LIMIT_S``, e.g. on a process stuck in the kernel).
    """
    deadline = time.monotonic() + SWEEP_LIMIT_S
    while time.monotonic() < deadline:
        members = session_members(sid)
        if members - {sid}:
            members.discard(sid)
        if not members:
            return True
        for pid in members:
            _kill(pid)
        time.sleep(0.001)
    return not session_members(sid)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
