"""A process-wide hook through which tasks report finished batches; the CLI draws a progress bar.

Tasks call ``report(stage, samples)``; by default nothing listens. Kept out of task arguments on
purpose: a callback would make task inputs unhashable and silently disable caching.
"""

from __future__ import annotations

import threading
from typing import Callable

Listener = Callable[[str, int], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def subscribe(listener: Listener) -> Callable[[], None]:
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)
    return unsubscribe


def report(stage: str, samples: int) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(stage, samples)
