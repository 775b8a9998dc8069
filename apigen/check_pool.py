"""Worker processes for CPU-bound checks, started once per flow run and shared by its tasks.

Prefect's tasks run in threads of one process, so checks that are pure Python (decoding rows, the
format stage, the grounding rules) would use one core whatever the machine has. ``opened()`` starts
one worker per usable core (spawned: a fresh interpreter, never a fork of a process that has threads)
and warms each with the check modules' imports; ``run`` sends a call to them, or runs it in the
calling thread when no pool is open (a task run elsewhere, e.g. on a Dask worker, still works).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)
WARM_MODULES = ("apigen.chunk_checks",)  # imported by each worker as it starts, before any chunk arrives

_lock = threading.Lock()
_current: ProcessPoolExecutor | None = None


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _warm(modules: tuple[str, ...]) -> None:
    """A worker's start: its modules imported, then frozen out of its garbage collections
    (``apigen.gc_policy``: the worker is apigen's own process)."""
    import importlib

    from apigen import gc_policy

    gc_policy.own_process()
    for name in modules:
        importlib.import_module(name)
    gc_policy.freeze_loaded()


def _ready() -> int:
    return os.getpid()


@contextmanager
def opened(workers: int | None = None, modules: tuple[str, ...] = WARM_MODULES) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes (default: one per usable core) for the ``with`` block; ``run``
    uses it meanwhile. The workers start at once, importing ``modules``, while the caller goes on."""
    global _current
    size = workers or default_workers()
    pool = ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_warm, initargs=(modules,))
    for _ in range(size):
        pool.submit(_ready)  # start every worker now, not when the first chunk is ready
    with _lock:
        previous, _current = _current, pool
    try:
        yield pool
    finally:
        with _lock:
            _current = previous
        pool.shutdown(wait=True, cancel_futures=True)


def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a worker of the open pool (both must pickle), else in this thread; if the
    workers died (killed, or they could not start: a script run as ``python script.py`` is imported
    again by each worker and needs ``if __name__ == "__main__":``, as for any multiprocessing code), in
    this thread too, from then on, with a warning."""
    global _current
    with _lock:
        pool = _current
    if pool is None:
        return function(*args)
    try:
        return pool.submit(function, *args).result()
    except BrokenProcessPool:
        with _lock:
            if _current is pool:
                _current = None
                logger.warning("the check worker processes stopped; checking in this process from now on (a "
                               "script that starts the flow needs `if __name__ == \"__main__\":`)")
        return function(*args)
