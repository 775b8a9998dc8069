"""Stop the servers a run started when the run itself is killed with ``kill -9``.

A run starts helper processes: Prefect's temporary API server, llama.cpp's server for ``--local``,
sandbox workers. ``atexit`` stops them on a normal exit, Ctrl-C or SIGTERM, but SIGKILL runs no
code in the dying process, and its children are adopted by init and live on. This watchdog runs in
its own session, notes the run's children every half second (pid and start time, so a recycled
pid is never hit), and when the run disappears terminates the ones it noted. Linux only (/proc);
elsewhere it is not started.

Run as ``python -m apigen.orphan_reaper <pid>``; ``start(pid)`` does that.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

POLL_S = 0.5
GRACE_S = 5.0


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == b"Z":
        return None
    return int(fields[1]), int(fields[19])


def children_of(pid: int) -> dict[int, int]:
    """{child pid: start time} of ``pid``'s direct children."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[0] == pid and int(entry) != os.getpid():
                found[int(entry)] = stat[1]
    return found


def _alive(pid: int, started: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[1] == started


def watch(parent: int) -> None:
    """Block until ``parent`` is gone, then stop the children it had."""
    parent_start = (_stat(parent) or (0, 0))[1]
    known: dict[int, int] = {}
    while _alive(parent, parent_start):
        known.update(children_of(parent))
        known = {pid: start for pid, start in known.items() if _alive(pid, start)}
        time.sleep(POLL_S)
    for pid, start in known.items():
        if _alive(pid, start):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and any(_alive(p, s) for p, s in known.items()):
        time.sleep(0.1)
    for pid, start in known.items():
        if _alive(pid, start):
            os.kill(pid, signal.SIGKILL)


def start(parent: int | None = None) -> subprocess.Popen | None:
    """Start the watchdog for ``parent`` (default: this process); None where /proc is missing."""
    if not os.path.isdir("/proc/self"):
        return None
    return subprocess.Popen([sys.executable, "-m", "apigen.orphan_reaper", str(parent or os.getpid())],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)


_STARTED: set[int] = set()


def start_once() -> None:
    """``start()`` for this process, at most once (the CLI may be called many times in one process)."""
    if os.getpid() not in _STARTED:
        _STARTED.add(os.getpid())
        start()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the run must not stop its watchdog
    watch(int(sys.argv[1]))
