"""The one boundary to LLMs: ``complete_reply(endpoint, messages) -> Reply``, through litellm.

Transient failures (429, 5xx, timeouts, dropped connections) are retried with exponential backoff
and full jitter; permanent ones (bad request, refused or missing key, unknown model, context too long)
fail at once with their real cause (see ``llm_errors``). A timed-out request is retried with a longer
limit, never with the same too-short one. A per-endpoint semaphore bounds concurrency across every
batch of the process: all calls run on one background event loop, so one semaphore really is shared.
litellm is imported on first use (it costs seconds and ~170 MiB).

Structured output: a request may carry a ``response_format`` (JSON schema or JSON mode). A server
that rejects the format gets the next weaker one (schema -> JSON mode -> none), once, logged, and the
process remembers it for that endpoint.

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
from typing import Any, Coroutine, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from apigen import redaction
from apigen.llm_errors import Failure, classify

log = logging.getLogger("apigen.llm")
T = TypeVar("T")

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOG", "ERROR")
# Every process that calls a model or runs a flow imports this module: its log records are masked.
redaction.install_log_redaction()

# Sent as the key to a self-hosted endpoint when the user has none: vLLM, llama.cpp, Ollama and LM Studio
# ignore it, while the OpenAI client refuses to send a request without one. It is not a secret.
PLACEHOLDER_KEY = "sk-no-key-required"
TIMEOUT_GROWTH = 2.0      # a timed-out request is retried with this much more time ...
TIMEOUT_GROWTH_CAP = 4.0  # ... up to this multiple of the configured timeout
ERROR_CHARS = 400         # an LLMError's text is cut to this length (after masking)
StructuredMode = Literal["auto", "json_schema", "json", "off"]


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
    structured: StructuredMode = "auto"

    @model_validator(mode="after")
    def _known_to_the_redactor(self) -> "Endpoint":
        """Whatever key this endpoint sends is masked in every text the process stores or logs."""
        redaction.register(self.api_key)
        redaction.refresh_environment()
        return self

    @property
    def limit_key(self) -> str:
        return f"{self.model}@{self.api_base or 'default'}"

    def key_to_send(self) -> str | None:
        """The configured key; for a self-hosted endpoint without one, a placeholder; else None (the
        provider's own variable, which litellm reads itself)."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key.get_secret_value()
        if self.api_base and not provider_key_in_environment(self.model):
            return PLACEHOLDER_KEY
        return None


def provider_key_in_environment(model: str) -> bool:
    """Whether the provider's usual key variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) is set."""
    try:
        return bool(_litellm().validate_environment(model=model).get("keys_in_environment"))
    except Exception:  # an unknown provider: litellm cannot tell, so assume the key is elsewhere
        return True


@dataclass(frozen=True)
class Reply:
    """What the model answered: its text, why it stopped, native tool calls and any reasoning text."""

    content: str
    finish_reason: str | None = None
    tool_calls: tuple[dict, ...] = ()
    reasoning: str | None = None


class LLMError(RuntimeError):
    """Its text may quote the endpoint's answer, which may echo the request: it is masked and bounded."""

    def __init__(self, message: str, transient: bool, status: int | None = None, attempts: int = 1,
                 kind: str = "unexpected_error"):
        super().__init__(redaction.bounded(message, ERROR_CHARS))
        self.transient, self.status, self.attempts, self.kind = transient, status, attempts, kind


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


def _litellm():
    import litellm  # lazy: see module docstring

    litellm.suppress_debug_info = True  # no "Give Feedback" banners on every failed call
    return litellm


def _tool_calls(message: Any) -> tuple[dict, ...]:
    calls = []
    for call in getattr(message, "tool_calls", None) or ():
        function = getattr(call, "function", None)
        if function is not None:
            arguments = getattr(function, "arguments", None)
            calls.append({"name": getattr(function, "name", None),
                          "arguments": redaction.mask_known(arguments) if isinstance(arguments, str) else arguments})
    return tuple(calls)


async def _acompletion(endpoint: Endpoint, messages: list[dict[str, str]], timeout_s: float,
                       response_format: dict | None, seed: int | None) -> Reply:
    extra: dict[str, Any] = {}
    if response_format is not None:
        extra["response_format"] = response_format
    if seed is not None:
        extra["seed"] = seed
    redaction.register_provider_key(endpoint.model)  # the key litellm itself reads, e.g. OPENAI_API_KEY
    response = await _litellm().acompletion(
        model=endpoint.model, messages=messages, api_base=endpoint.api_base, api_key=endpoint.key_to_send(),
        temperature=endpoint.temperature, max_tokens=endpoint.max_tokens, timeout=timeout_s, num_retries=0,
        drop_params=True, **extra)
    choice = response.choices[0]
    message = choice.message
    reasoning = getattr(message, "reasoning_content", None)
    # The reply is stored (raw text of rejected rows, the judge's reason): a server that echoes the
    # request into it must not put the key there.
    return Reply(content=redaction.mask_known(message.content or ""),
                 finish_reason=getattr(choice, "finish_reason", None), tool_calls=_tool_calls(message),
                 reasoning=redaction.mask_known(reasoning) if isinstance(reasoning, str) else None)


def weaker_format(response_format: dict | None) -> dict | None:
    """The next format to try when a server rejects one: JSON schema -> JSON mode -> plain text."""
    if response_format and response_format.get("type") == "json_schema":
        return {"type": "json_object"}
    return None


async def complete_reply(endpoint: Endpoint, messages: list[dict[str, str]], stats: CallStats | None = None,
                         response_format: dict | None = None, seed: int | None = None) -> Reply:
    """The model's reply; retries transient failures, raises LLMError when out of attempts."""
    stats = stats if stats is not None else CallStats()
    runtime = _runtime()
    semaphore = runtime.semaphore(endpoint.limit_key, endpoint.concurrency)
    pacer = runtime.pacer(endpoint.limit_key, endpoint.rpm) if endpoint.rpm else None
    timeout_s = endpoint.timeout_s
    attempt = 0
    while True:
        if runtime.interrupted:  # Ctrl-C or SIGTERM: start nothing new
            raise asyncio.CancelledError("the run was interrupted")
        attempt += 1
        response_format = runtime.supported_format(endpoint.limit_key, response_format)
        async with semaphore:
            if pacer is not None:
                await pacer.wait()
            stats.requests += 1
            try:
                return await _acompletion(endpoint, messages, timeout_s, response_format, seed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # classified below; nothing is swallowed silently
                error, failure = exc, classify(exc)
                stats.failures[_label(failure)] += 1
        if failure.kind == "response_format_unsupported" and response_format is not None:
            weaker = weaker_format(response_format)
            runtime.reject_format(endpoint.limit_key, response_format, weaker)
            response_format = weaker
            attempt -= 1  # the fallback is not a retry of the same request
            continue
        if not failure.transient or attempt >= endpoint.max_attempts:
            # LLMError masks its text (the endpoint's answer may echo the key) and bounds it
            raise LLMError(f"{failure.kind}{f' (HTTP {failure.status})' if failure.status else ''} after "
                           f"{attempt} attempt(s): {type(error).__name__}: {error}", transient=failure.transient,
                           status=failure.status, attempts=attempt, kind=failure.kind)
        if failure.kind == "timeout":
            timeout_s = min(timeout_s * TIMEOUT_GROWTH, endpoint.timeout_s * TIMEOUT_GROWTH_CAP)
        delay = random.uniform(0, min(endpoint.backoff_cap_s, endpoint.backoff_s * 2 ** (attempt - 1)))
        stats.retries += 1
        log.debug("LLM call to %s failed (%s), retry %d/%d in %.2fs", endpoint.limit_key, failure.kind,
                  attempt, endpoint.max_attempts - 1, delay)
        await asyncio.sleep(delay)


def _label(failure: Failure) -> str:
    """How CallStats counts a failure: by HTTP status where there is one (http_429), else by cause."""
    if failure.status and failure.transient:
        return f"http_{failure.status}"
    return failure.kind


async def complete(endpoint: Endpoint, messages: list[dict[str, str]], stats: CallStats | None = None,
                   response_format: dict | None = None, seed: int | None = None) -> str:
    """The reply's text (see ``complete_reply``)."""
    return (await complete_reply(endpoint, messages, stats, response_format, seed)).content


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
        self._rejected_formats: dict[str, set[str]] = {}
        self.interrupted = False
        self.cancelled = 0
        threading.Thread(target=self.loop.run_forever, name="apigen-llm-loop", daemon=True).start()

    def semaphore(self, key: str, size: int) -> asyncio.Semaphore:
        if key not in self._semaphores:
            self._semaphores[key] = asyncio.Semaphore(size)
        return self._semaphores[key]

    def pacer(self, key: str, rpm: int) -> Pacer:
        if (key, rpm) not in self._pacers:
            self._pacers[(key, rpm)] = Pacer(rpm)
        return self._pacers[(key, rpm)]

    def supported_format(self, key: str, response_format: dict | None) -> dict | None:
        """``response_format``, or the weaker one this endpoint fell back to earlier."""
        kind = (response_format or {}).get("type")
        while kind is not None and kind in self._rejected_formats.get(key, set()):
            response_format = weaker_format(response_format)
            kind = (response_format or {}).get("type")
        return response_format

    def reject_format(self, key: str, rejected: dict, fallback: dict | None) -> None:
        if rejected.get("type") not in self._rejected_formats.setdefault(key, set()):
            self._rejected_formats[key].add(rejected.get("type"))
            log.warning("%s rejected response_format %s; falling back to %s for this run", key, rejected.get("type"),
                        (fallback or {}).get("type", "plain text"))

    def submit(self, coro: Coroutine[Any, Any, T]) -> "Future[T]":
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def cancel_all(self) -> int:
        """Cancel every LLM request in flight and refuse new ones (Ctrl-C, SIGTERM); returns how many
        were cancelled."""
        self.interrupted = True

        def cancel() -> int:
            tasks = [t for t in asyncio.all_tasks(self.loop) if not t.done() and t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            return len(tasks)

        count = asyncio.run_coroutine_threadsafe(_call(cancel), self.loop).result(timeout=5)
        self.cancelled += count
        return count


async def _call(fn):
    return fn()


_RUNTIME: _Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def _runtime() -> _Runtime:
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = _Runtime()
        return _RUNTIME


def cancel_in_flight() -> int:
    """Cancel every LLM request of the process, if any ever started, and refuse new ones."""
    return _RUNTIME.cancel_all() if _RUNTIME is not None else 0


def reset_interrupt() -> None:
    """Accept requests again (a new run in the same process, e.g. tests calling the CLI)."""
    if _RUNTIME is not None:
        _RUNTIME.interrupted, _RUNTIME.cancelled = False, 0


def cancelled_requests() -> int:
    """How many requests the interrupt cancelled (0 when there was none)."""
    return _RUNTIME.cancelled if _RUNTIME is not None else 0


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run an LLM coroutine on the shared loop from synchronous code (a Prefect task thread)."""
    return _runtime().submit(coro).result()


async def gather_limited(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently (the endpoint semaphore bounds the fan-out), results in order."""
    return list(await asyncio.gather(*coros))


def structured_mode(endpoint: Endpoint) -> Literal["json_schema", "json", "off"]:
    """The structured-output mode to ask for. ``auto``: a self-hosted OpenAI-compatible server (vLLM,
    llama.cpp, ...) gets a JSON schema (a refusal falls back, see ``complete_reply``); a hosted model
    gets what litellm's capability tables say it supports."""
    if endpoint.structured != "auto":
        return endpoint.structured
    if endpoint.api_base:
        return "json_schema"
    litellm = _litellm()
    try:
        if litellm.supports_response_schema(model=endpoint.model):
            return "json_schema"
        if "response_format" in (litellm.get_supported_openai_params(model=endpoint.model) or []):
            return "json"
    except Exception:  # a model litellm does not know: plain text is always safe
        pass
    return "off"
