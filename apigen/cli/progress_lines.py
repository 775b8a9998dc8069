"""Progress without a terminal (CI logs, ``nohup``, a pipe): a plain line every few seconds, so a long
run is never silent; the rich bars of ``view`` draw only on a TTY."""

from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO

from apigen import progress

INTERVAL_S = 5.0


class ProgressLines:
    """Counts the batches ``apigen.progress`` reports and prints, every ``interval_s``,
    ``generate: 12 of 100 batches (4,800 of 40,000 pairs); format: 10 of 100 batches ..., 35 s``;
    without a known total (verify reads its input as it goes), ``format: 3 batches (6,000 rows), 12 s``."""

    def __init__(self, total_pairs: int | None, total_batches: int | None, stages: tuple[str, ...],
                 interval_s: float = INTERVAL_S, unit: str = "pairs", stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.total_pairs, self.total_batches = total_pairs, total_batches
        self.stages, self.interval_s, self.unit = stages, interval_s, unit
        self.stream = stream or sys.stderr
        self.clock = clock
        self.batches = {stage: 0 for stage in stages}
        self.pairs = {stage: 0 for stage in stages}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._printed = False
        self._started = clock()

    def add(self, stage: str, samples: int) -> None:
        if stage in self.batches:
            with self._lock:
                self.batches[stage] += 1
                self.pairs[stage] += samples

    def line(self) -> str:
        with self._lock:
            parts = [f"{stage}: {self.batches[stage]:,}{self._of(self.total_batches)} batches "
                     f"({self.pairs[stage]:,}{self._of(self.total_pairs)} {self.unit})"
                     for stage in self.stages if stage == self.stages[0] or self.batches[stage]]
        return f"{'; '.join(parts)}, {self.clock() - self._started:.0f} s"

    @staticmethod
    def _of(total: int | None) -> str:
        return f" of {total:,}" if total else ""

    def __enter__(self) -> "ProgressLines":
        self._unsubscribe = progress.subscribe(self.add)
        self._thread = threading.Thread(target=self._loop, name="apigen-progress-lines", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._unsubscribe()
        if self._printed and exc[0] is None:  # the final counts; a run shorter than one interval stays quiet
            print(self.line(), file=self.stream, flush=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            print(self.line(), file=self.stream, flush=True)
            self._printed = True
