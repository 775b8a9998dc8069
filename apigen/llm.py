"""The one boundary to LLMs: ``complete_reply(endpoint, messages) -> Reply``, through litellm.

Transient failures (429, 5xx, timeouts, dropped connections) are retried with exponential backoff
and full jitter; permanent ones (bad request, refused or missing key, unknown model, context too long)
fail at once with their real cause (see ``llm_errors``). A timed-out request is retried with a longer
limit, never with the same too-short one. A per-endpoint adaptive limit (``adaptive_limit``: AIMD, with
``concurrency`` as its ceiling) bounds concurrency across every batch of the process: all calls run on
one background event loop, so one limiter really is shared; it halves on 429/overload and grows back
on success streaks. Where processes share an endpoint (Dask workers, or ``cluster_limit``), a Prefect
global concurrency limit makes ``concurrency`` and ``rpm`` cluster-wide (``global_limits``).
litellm is imported on first use (it costs seconds and ~170 MiB), and run lean: with no litellm
callback configured, its per-call success logging and cost calculation are skipped (nothing reads them).

Structured output: a request may carry a ``response_format`` (JSON schema or JSON mode). A server
that rejects the format gets the next weaker one (schema -> JSON mode -> none), once, logged, and the
process remembers it for that endpoint.

Exceptions::

    LLMError                 the call failed for good; .transient says whether retrying could help
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
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
from apigen.adaptive_limit import OVERLOAD_STATUSES, AdaptiveLimiter, AimdController, Change
from apigen.global_limits import endpoint_label
from apigen.llm_errors import Failure, classify
from apigen.llm_route import new_session, uses_session, wire_model

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
    concurrency: int = 8      # the ceiling of the adaptive limit
    min_concurrency: int = 1  # its floor; equal to ``concurrency``, the limit is fixed
    rpm: int | None = None  # requests per minute, shared by every batch of the process
    cluster_limit: bool = False  # concurrency and rpm shared by every process, through Prefect gcl
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
        """Names the endpoint in limits and logs: no scheme, user, password or query (they may hold a key)."""
        return endpoint_label(self.model, self.api_base)

    def key_to_send(self) -> str | None:
        """The configured key; for a self-hosted endpoint without one, a placeholder; else None (the
        provider's own variable, which litellm reads itself)."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key.get_secret_value()
        if self.api_base and not provider_key_in_environment(self.model):
            return PLACEHOLDER_KEY
        return None


def provider_key_in_environment(model: str) -> bool:
    """Whether the provider's usual key variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) is set.
    ``openai/`` - the route of every self-hosted server - is answered without importing litellm (seconds),
    so a run's preflight does not wait for that import."""
    if model.startswith("openai/"):  # litellm's rule for this provider: OPENAI_API_KEY is set
        return bool(os.environ.get("OPENAI_API_KEY"))
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


_LEAN: dict[str, Any] = {}
_LEAN_LOCK = threading.Lock()


def _litellm():
    import litellm  # lazy: see module docstring

    with _LEAN_LOCK:  # the CLI's warm-up thread and the first request may both get here first
        if not _LEAN:
            litellm.suppress_debug_info = True  # no "Give Feedback" banners on every failed call
            _skip_unused_cost_calculation(litellm)
            warm = threading.Thread(target=_import_failure_path, name="apigen-litellm-warm", daemon=True)
            warm.start()
            # A process that ends while this import runs would deadlock in its finalization (litellm's
            # client finalizers import modules whose lock the stopped thread holds): let it finish first.
            atexit.register(warm.join, 30)
    return litellm


def warm_up() -> None:
    """Import litellm and load what its first call would otherwise load while requests wait: its
    default tokenizer (tiktoken's cl100k, ~0.15 s), which every completion route reads. For a thread
    that runs while the process starts."""
    _litellm()
    try:
        from litellm.main import _get_encoding

        _get_encoding()
    except Exception:  # another litellm layout, or no tokenizer: the first call copes as it would have
        pass


def _import_failure_path() -> None:
    """litellm imports FastAPI (~110 modules) the first time it maps an exception, on the event loop
    every request shares: the first 429 of a run stalled all requests for 0.3-1.5 s. Import it
    beforehand, off the loop."""
    try:
        import fastapi  # noqa: F401
        import litellm.proxy.guardrails.exception_utils  # noqa: F401
    except Exception:  # an optional dependency missing: litellm copes, so do we
        pass


def _litellm_callbacks(litellm) -> bool:
    """Whether anything consumes litellm's logging (callbacks the user configured, e.g. Langfuse)."""
    return any(getattr(litellm, name, None) for name in (
        "callbacks", "success_callback", "failure_callback", "input_callback", "service_callback",
        "_async_success_callback", "_async_failure_callback", "_async_input_callback"))


def _skip_unused_cost_calculation(litellm) -> None:
    """litellm prices every response (model-info lookups, ~25% of its per-call CPU) for logging
    callbacks and hidden params; apigen reads neither. Skip it while no callback is configured."""
    try:
        from litellm.litellm_core_utils.litellm_logging import Logging
    except ImportError:  # another litellm layout: nothing to skip
        Logging = None
    original = getattr(Logging, "response_cost_calculator", None)
    if original is None:
        _LEAN["cost"] = False
        return

    def response_cost_calculator(self, *args: Any, **kwargs: Any):
        return original(self, *args, **kwargs) if _litellm_callbacks(litellm) else None

    Logging.response_cost_calculator = response_cost_calculator
    _LEAN["cost"] = True


def _without_success_logging(litellm):
    """Mark the call as litellm-internal while no callback is configured: litellm then schedules no
    success-logging task per call (a standard logging payload nobody reads). A context variable, so it
    holds for this request's task only. Returns the token to reset, or None."""
    if _litellm_callbacks(litellm):
        return None
    try:
        from litellm._internal_context import is_internal_call
    except ImportError:
        return None
    return is_internal_call, is_internal_call.set(True)


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
    model = wire_model(endpoint.model, endpoint.api_base)
    if uses_session(model):
        extra["client"] = _runtime().http_session()
    litellm = _litellm()
    lean = _without_success_logging(litellm)
    try:
        # Our own deadline: not every litellm route enforces ``timeout`` on an async call.
        async with asyncio.timeout(timeout_s):
            response = await litellm.acompletion(
                model=model, messages=messages, api_base=endpoint.api_base,
                api_key=endpoint.key_to_send(), temperature=endpoint.temperature, max_tokens=endpoint.max_tokens,
                timeout=timeout_s, num_retries=0, drop_params=True, **extra)
    finally:
        if lean is not None:
            lean[0].reset(lean[1])
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
    limiter = runtime.limiter(endpoint.limit_key, endpoint.concurrency, endpoint.min_concurrency)
    cluster = await _cluster_limits(runtime, endpoint) if endpoint.cluster_limit else None
    pacer = runtime.pacer(endpoint.limit_key, endpoint.rpm) if endpoint.rpm and cluster is None else None
    timeout_s = endpoint.timeout_s
    attempt = 0
    while True:
        if runtime.interrupted:  # Ctrl-C or SIGTERM: start nothing new
            raise asyncio.CancelledError("the run was interrupted")
        attempt += 1
        response_format = runtime.supported_format(endpoint.limit_key, response_format)
        async with limiter.slot() as slot:
            if pacer is not None:
                await pacer.wait()
            try:
                async with _cluster_slot(cluster):
                    stats.requests += 1
                    started = time.monotonic()
                    reply = await _acompletion(endpoint, messages, timeout_s, response_format, seed)
                slot.succeeded(time.monotonic() - started)
                return reply
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # classified below; nothing is swallowed silently
                error, failure = exc, classify(exc)
                stats.failures[_label(failure)] += 1
                if is_overload(failure):
                    slot.overloaded(_label(failure))
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


async def _cluster_limits(runtime: "_Runtime", endpoint: Endpoint) -> tuple[str, ...]:
    try:
        return await runtime.cluster_limits(endpoint)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the Prefect server is needed for cluster-wide limits
        raise LLMError(f"cluster-wide limit for {endpoint.limit_key} unavailable: {type(exc).__name__}: {exc}",
                       transient=True, kind="unreachable") from exc


def is_overload(failure: Failure) -> bool:
    """Whether a failure says the endpoint has more than it can take: the adaptive limit backs off."""
    return failure.kind in ("rate_limited", "timeout") or failure.status in OVERLOAD_STATUSES


@contextlib.asynccontextmanager
async def _cluster_slot(cluster: tuple[str, ...] | None):
    """One slot of the endpoint's global concurrency limit (and one of its rate limit), if it has one."""
    if cluster is None:
        yield
        return
    from blocks.llm import global_rate, global_slot

    if len(cluster) > 1:
        await global_rate(cluster[1])
    async with global_slot(cluster[0]):
        yield


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
        self._limiters: dict[str, AdaptiveLimiter] = {}
        self._cluster: dict[str, "asyncio.Task[tuple[str, ...]]"] = {}
        self._pacers: dict[tuple[str, int], Pacer] = {}
        self._rejected_formats: dict[str, set[str]] = {}
        self.interrupted = False
        self.cancelled = 0
        self._session: Any = None
        threading.Thread(target=self.loop.run_forever, name="apigen-llm-loop", daemon=True).start()

    def limiter(self, key: str, ceiling: int, floor: int = 1) -> AdaptiveLimiter:
        """The endpoint's adaptive limit, shared by every batch of the process; the first ceiling wins."""
        if key not in self._limiters:
            controller = AimdController(ceiling, floor=max(1, min(floor, ceiling)))
            self._limiters[key] = AdaptiveLimiter(controller, _log_change(key))
        return self._limiters[key]

    async def cluster_limits(self, endpoint: Endpoint) -> tuple[str, ...]:
        """The names of the endpoint's global limits, created or updated once per process."""
        key = f"{endpoint.limit_key}|{endpoint.concurrency}|{endpoint.rpm}"
        if key not in self._cluster:
            from blocks.llm import ensure_global_limits

            self._cluster[key] = asyncio.ensure_future(ensure_global_limits(
                endpoint.model, endpoint.api_base, endpoint.concurrency, endpoint.rpm))
        try:
            return tuple(await asyncio.shield(self._cluster[key]))
        except asyncio.CancelledError:
            raise
        except Exception:
            self._cluster.pop(key, None)  # the next request tries again
            raise

    def http_session(self) -> Any:
        """The aiohttp session of the fast route (``llm_route``), one per process, made on this loop."""
        if self._session is None or self._session.closed:
            self._session = new_session()
        return self._session

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


def _log_change(key: str):
    """One log line per move of an endpoint's limit, never one per request."""
    def log_change(change: Change) -> None:
        level = logging.WARNING if change.new < change.old else logging.INFO
        log.log(level, "%s: concurrency limit %d -> %d (%s)", key, change.old, change.new, change.reason)
    return log_change


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
