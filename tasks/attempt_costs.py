"""What the failed attempts of a retried task cost: their LLM requests count in the attempt that succeeds.

Prefect retries a task by calling it again, in the same process and thread, from scratch; the requests
the failed attempts sent would vanish from the run's accounting (``llm_calls``). A failing attempt
leaves its ``CallStats`` here, under its task run's id; the next attempt takes them over.
"""

from __future__ import annotations

import threading

from prefect.runtime import task_run

from apigen.llm import CallStats

_LEFT: dict[str, CallStats] = {}
_LOCK = threading.Lock()


def take_over() -> CallStats:
    """What earlier attempts of the running task cost (nothing on a first attempt)."""
    with _LOCK:
        return _LEFT.pop(str(task_run.get_id()), None) or CallStats()


def leave(stats: CallStats) -> None:
    """Record what this attempt cost, before it fails with an error Prefect retries."""
    with _LOCK:
        _LEFT[str(task_run.get_id())] = stats
