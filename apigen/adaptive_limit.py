"""Adaptive concurrency per endpoint: AIMD, as TCP congestion control and NeMo Data Designer do it.

A fixed concurrency either wastes an endpoint's capacity or floods it: under a 429 storm a fixed
client keeps every slot busy re-sending requests that are refused. ``AimdController`` is the pure
rule: the limit starts at the ceiling (``--concurrency``), is multiplied by ``decrease`` on an
overload signal (HTTP 429/503/529, a timeout, or the recent latency rising well above the long-run
latency) and grows by one after ``limit`` successes in a row (about one round of the window), never
above the ceiling nor below the floor. One overload decreases the limit once per window: requests
already in flight when the limit dropped were sent under the old limit, and their refusals say
nothing new (each request carries the ``epoch`` it started in).

``AdaptiveLimiter`` is the asyncio side: a semaphore whose size is the controller's limit. Both run
without Prefect or HTTP; ``apigen.llm`` owns one limiter per endpoint.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Callable

OVERLOAD_STATUSES = frozenset({429, 503, 529})  # rate limited, unavailable, "overloaded" (Anthropic)


@dataclass(frozen=True)
class Change:
    """A move of the limit, for the one log line it deserves."""

    old: int
    new: int
    reason: str


class AimdController:
    """Additive increase, multiplicative decrease of a concurrency limit between floor and ceiling.

    ``latency_factor``: a success whose recent latency (fast moving average) exceeds this multiple
    of the long-run average counts as overload; None turns the latency signal off. Both averages
    need ``latency_warmup`` samples first, so a mix of long and short requests is not mistaken for
    a slowing server.
    """

    def __init__(self, ceiling: int, floor: int = 1, decrease: float = 0.5, latency_factor: float | None = 3.0,
                 latency_warmup: int = 20, fast_alpha: float = 0.2, slow_alpha: float = 0.02):
        if ceiling < 1 or not 1 <= floor <= ceiling or not 0 < decrease < 1:
            raise ValueError("need 1 <= floor <= ceiling and 0 < decrease < 1")
        self.ceiling, self.floor, self.decrease = ceiling, floor, decrease
        self.latency_factor, self.latency_warmup = latency_factor, latency_warmup
        self.fast_alpha, self.slow_alpha = fast_alpha, slow_alpha
        self.limit = ceiling
        self.epoch = 0          # bumped on every decrease
        self._streak = 0        # successes since the last change
        self._fast: float | None = None
        self._slow: float | None = None
        self._samples = 0

    def on_success(self, epoch: int, latency_s: float | None = None) -> Change | None:
        """A request started in ``epoch`` succeeded after ``latency_s``; the change it causes, if any."""
        if latency_s is not None and self._latency_rose(latency_s):
            return self.on_overload(epoch, "latency rose")
        self._streak += 1
        if self._streak >= self.limit and self.limit < self.ceiling:
            return self._move(self.limit + 1, "successes")
        return None

    def on_overload(self, epoch: int, reason: str = "overload") -> Change | None:
        """A request started in ``epoch`` was refused for overload: one decrease per window."""
        self._streak = 0
        if epoch < self.epoch:
            return None  # sent before the last decrease: already accounted for
        self.epoch += 1
        self._fast = self._slow  # the latency spike that caused this is not a new signal
        return self._move(max(self.floor, int(self.limit * self.decrease)), reason)

    def _latency_rose(self, latency_s: float) -> bool:
        self._samples += 1
        if self._fast is None or self._slow is None:
            self._fast = self._slow = latency_s
            return False
        self._fast += self.fast_alpha * (latency_s - self._fast)
        self._slow += self.slow_alpha * (latency_s - self._slow)
        return (self.latency_factor is not None and self._samples >= self.latency_warmup
                and self._fast > self.latency_factor * self._slow)

    def _move(self, new: int, reason: str) -> Change | None:
        self._streak = 0
        if new == self.limit:
            return None
        change, self.limit = Change(self.limit, new, reason), new
        return change


class AdaptiveLimiter:
    """An asyncio semaphore sized by an ``AimdController``; all use must be on one event loop.

    ``async with limiter.slot() as slot`` waits for a free slot; the body reports the outcome with
    ``slot.succeeded(latency_s)`` or ``slot.overloaded(reason)``. ``on_change`` hears every move of the
    limit (to log it once).
    """

    def __init__(self, controller: AimdController, on_change: Callable[[Change], None] | None = None):
        self.controller = controller
        self.on_change = on_change
        self.in_flight = 0
        self._waiters: deque[asyncio.Future] = deque()

    @property
    def limit(self) -> int:
        return self.controller.limit

    def slot(self) -> "_Slot":
        return _Slot(self)

    async def acquire(self) -> int:
        """Take a slot; returns the epoch the request starts in."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return self.controller.epoch
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # the releaser counted this slot as taken before waking us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot, but cancelled before using it
            else:
                self._waiters.remove(waiter)
            raise
        return self.controller.epoch

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def report(self, change: Change | None) -> None:
        if change is not None:
            self._wake()
            if self.on_change is not None:
                self.on_change(change)

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)


class _Slot:
    def __init__(self, limiter: AdaptiveLimiter):
        self.limiter = limiter
        self.epoch = 0

    async def __aenter__(self) -> "_Slot":
        self.epoch = await self.limiter.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.limiter.release()

    def succeeded(self, latency_s: float | None = None) -> None:
        self.limiter.report(self.limiter.controller.on_success(self.epoch, latency_s))

    def overloaded(self, reason: str) -> None:
        self.limiter.report(self.limiter.controller.on_overload(self.epoch, reason))
