"""The one boundary to LLMs: ``complete(endpoint, messages) -> text``, through litellm.

Transient failures (429, 5xx, timeouts, dropped connections) are retried with exponential backoff
and full jitter; permanent ones (400, 401, 404) fail at once. A per-endpoint semaphore bounds
concurrency across every batch of the process: all calls run on one background event loop, so one
semaphore really is shared. litellm is imported on first use (it costs seconds and ~170 MiB).

Exceptions::

    LLMError                 the call failed for good; .transient says whether retrying could help
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Coroutine, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr

log = logging.getLogger("apigen.llm")
T = TypeVar("T")

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOG", "ERROR")


class Endpoint(BaseModel):
    """Where and how to call a model. The key is a SecretStr: it never prints."""

    model_config = ConfigDict(frozen=True)
    model: str
    api_base: str | None = None
    api_key: SecretStr | None = None
    temperature: float = 0.7
    max_tokens: int = 4096
    timeout_s: float = 60.0
    concurrency: int = 8
    rpm: int | None = None  # requests per minute, shared by every batch of the process
    max_attempts: int = 6
    backoff_s: float = 0.5
    backoff_cap_s: float = 20.0

    @property
    def limit_key(self) -> str:
        return f"{self.model}@{self.api_base or 'default'}"


class LLMError(RuntimeError):
    def __init__(self, message: str, transient: bool, status: int | None = None, attempts: int = 1):
        super().__init__(message)
        self.transient, self.status, self.attempts = transient, status, attempts


@dataclass
class CallStats:
    """What a batch of LLM calls cost: requests sent, retries, failures by kind."""

    requests: int = 0
    retries: int = 0
    failures: Counter = field(default_factory=Counter)

    def merge(self, other: "CallStats") -> None:
        self.requests += other.requests
        self.retries += other.retries
        self.failures.update(other.failures)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CallStats":
        return cls(data.get("requests", 0), data.get("retries", 0), Counter(data.get("failures", {})))

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "retries": self.retries, "failures": dict(self.failures)}


def classify(exc: BaseException) -> tuple[bool, int | None]:
    """(transient, HTTP status) for an exception raised by litellm or the HTTP stack."""
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if isinstance(status, int):
        if status == 429 or status >= 500 or status == 408:
            return True, status
        return False, status
    if name in ("Timeout", "APITimeoutError", "TimeoutError", "APIConnectionError", "ServiceUnavailableError",
                "InternalServerError", "RateLimitError", "ReadTimeout", "ConnectError"):
        return True, None
    if isinstance(exc, (asyncio.TimeoutError, ConnectionError)):
        return True, None
    return False, None


def _scrub(text: str, endpoint: Endpoint) -> str:
    if endpoint.api_key is not None:
        secret = endpoint.api_key.get_secret_value()
        if secret:
            text = text.replace(secret, "***")
    return text


def _litellm():
    import litellm  # lazy: see module docstring

    litellm.suppress_debug_info = True  # no "Give Feedback" banners on every failed call
    return litellm


async def _acompletion(endpoint: Endpoint, messages: list[dict[str, str]]) -> str:
    response = await _litellm().acompletion(
        model=endpoint.model, messages=messages, api_base=endpoint.api_base,
        api_key=endpoint.api_key.get_secret_value() if endpoint.api_key else None,
        temperature=endpoint.temperature, max_tokens=endpoint.max_tokens,
        timeout=endpoint.timeout_s, num_retries=0)
    content = response.choices[0].message.content
    return content or ""


async def complete(endpoint: Endpoint, messages: list[dict[str, str]], stats: CallStats | None = None) -> str:
    """The model's reply text; retries transient failures, raises LLMError when out of attempts."""
    stats = stats if stats is not None else CallStats()
    semaphore = _runtime().semaphore(endpoint.limit_key, endpoint.concurrency)
    pacer = _runtime().pacer(endpoint.limit_key, endpoint.rpm) if endpoint.rpm else None
    for attempt in range(1, endpoint.max_attempts + 1):
        async with semaphore:
            if pacer is not None:
                await pacer.wait()
            stats.requests += 1
            try:
                return await _acompletion(endpoint, messages)
            except Exception as exc:  # classified below; nothing is swallowed silently
                transient, status = classify(exc)
                kind = f"http_{status}" if status else type(exc).__name__
                stats.failures[kind] += 1
                message = _scrub(f"{kind} after {attempt} attempt(s): {type(exc).__name__}: {exc}", endpoint)[:300]
                if not transient or attempt == endpoint.max_attempts:
                    raise LLMError(message, transient=transient, status=status, attempts=attempt) from None
        delay = random.uniform(0, min(endpoint.backoff_cap_s, endpoint.backoff_s * 2 ** (attempt - 1)))
        stats.retries += 1
        log.debug("LLM call to %s failed (%s), retry %d/%d in %.2fs", endpoint.limit_key, kind,
                    attempt, endpoint.max_attempts - 1, delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class Pacer:
    """Spaces request starts ``60/rpm`` seconds apart: a requests-per-minute limit with no bursts."""

    def __init__(self, rpm: int):
        self.interval = 60.0 / rpm
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class _Runtime:
    """One event loop in a daemon thread: every LLM coroutine of the process runs here."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._pacers: dict[tuple[str, int], Pacer] = {}
        threading.Thread(target=self.loop.run_forever, name="apigen-llm-loop", daemon=True).start()

    def semaphore(self, key: str, size: int) -> asyncio.Semaphore:
        if key not in self._semaphores:
            self._semaphores[key] = asyncio.Semaphore(size)
        return self._semaphores[key]

    def pacer(self, key: str, rpm: int) -> Pacer:
        if (key, rpm) not in self._pacers:
            self._pacers[(key, rpm)] = Pacer(rpm)
        return self._pacers[(key, rpm)]

    def submit(self, coro: Coroutine[Any, Any, T]) -> "Future[T]":
        return asyncio.run_coroutine_threadsafe(coro, self.loop)


_RUNTIME: _Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def _runtime() -> _Runtime:
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = _Runtime()
        return _RUNTIME


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run an LLM coroutine on the shared loop from synchronous code (a Prefect task thread)."""
    return _runtime().submit(coro).result()


async def gather_limited(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently (the endpoint semaphore bounds the fan-out), results in order."""
    return list(await asyncio.gather(*coros))
