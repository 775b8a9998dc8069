"""What went wrong with an LLM call, by cause: the basis for retrying, for exit codes and for messages.

litellm wraps every provider's failure in its own exception classes, and some causes hide behind a
generic wrapper: a missing key surfaces from the OpenAI client as an ``APIError`` with status 500.
Retrying those wastes minutes and reports the wrong cause, so the cause is read from the exception
class, the status code and, as a last resort, the message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """The cause of a failed call: a stable ``kind``, whether retrying can help, the HTTP status if any."""

    kind: str
    transient: bool
    status: int | None = None

    @property
    def fix(self) -> str:
        """One sentence telling the user what to change."""
        return FIXES.get(self.kind, "check the endpoint's logs")


FIXES = {
    "missing_credentials": "set the provider's key variable or APIGEN_LLM_API_KEY, or use an LLMEndpoint block",
    "auth_refused": "the endpoint refused the key: check APIGEN_LLM_API_KEY or the provider's key variable",
    "model_not_found": "check the model name (--model / --judge-model) against what the endpoint serves",
    "context_length_exceeded": "use a model with a longer context, or fewer --pairs-per-request",
    "response_format_unsupported": "use --structured json or --structured off",
    "bad_request": "the endpoint rejected the request as malformed; check --model and --api-base",
    "unreachable": "check --api-base and that the server is running",
    "timeout": "raise --timeout (CPU inference is slow) or lower --pairs-per-request",
    "rate_limited": "lower --concurrency or set --rpm",
    "server_error": "the server failed; check its logs",
}

_MISSING_KEY_MARKERS = ("api_key client option must be set", "missing credentials", "no api key",
                        "api key not found", "set the openai_api_key", "must provide an api key")
_FORMAT_MARKERS = ("response_format", "json_schema", "response format", "grammar", "guided_json", "json mode")
_CONTEXT_MARKERS = ("context length", "context_length", "maximum context", "context window", "too many tokens",
                    "exceeds the available context", "exceed_context_size")
_TRANSIENT_NAMES = {"Timeout", "APITimeoutError", "TimeoutError", "ReadTimeout", "ConnectTimeout"}
_CONNECTION_NAMES = {"APIConnectionError", "ConnectError", "ConnectionError", "RemoteProtocolError"}
_AIOHTTP_CONNECTION_NAMES = {"ClientConnectionError"}  # aiohttp's base of refused, dropped, DNS and TLS failures


def classify(exc: BaseException) -> Failure:
    """The cause of an exception raised by litellm, the OpenAI client or the HTTP stack."""
    name = type(exc).__name__
    text = str(exc).lower()
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    if name == "ContextWindowExceededError" or any(m in text for m in _CONTEXT_MARKERS) and status in (None, 400, 413):
        return Failure("context_length_exceeded", False, status)
    if any(m in text for m in _MISSING_KEY_MARKERS) or "missing" in text and "api key" in text:
        return Failure("missing_credentials", False, status)
    if name in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
        return Failure("auth_refused", False, status)
    if name == "NotFoundError" or status == 404:
        return Failure("model_not_found", False, status)
    if status in (400, 422) or name in ("BadRequestError", "UnprocessableEntityError", "UnsupportedParamsError"):
        if any(m in text for m in _FORMAT_MARKERS):
            return Failure("response_format_unsupported", False, status)
        return Failure("bad_request", False, status)
    if status == 429 or name == "RateLimitError":
        return Failure("rate_limited", True, status or 429)
    if isinstance(exc, asyncio.TimeoutError):  # the call's own deadline: counted as litellm counts its timeouts
        return Failure("timeout", True, 408)
    if status == 408 or name in _TRANSIENT_NAMES:
        return Failure("timeout", True, status)
    if status in (None, 500) and _connection_failure_behind(exc):
        return Failure("unreachable", True, None)
    if status is not None and status >= 500 or name in ("InternalServerError", "ServiceUnavailableError", "APIError"):
        if "timed out" in text or "timeout" in text:
            return Failure("timeout", True, status)
        if "connection" in text and ("refused" in text or "error" in text) and status in (None, 500):
            return Failure("unreachable", True, None)
        return Failure("server_error", True, status)
    if name in _CONNECTION_NAMES or isinstance(exc, ConnectionError):
        return Failure("unreachable", True, None)
    return Failure("unexpected_error", False, status)


def _connection_failure_behind(exc: BaseException) -> bool:
    """Whether a connection failure caused ``exc``: litellm's aiohttp route reports one as an HTTP 500
    wrapping the original (``Cannot connect to host ...``), which would otherwise read as a server error."""
    seen = 0
    cause = exc.__cause__ or exc.__context__
    while cause is not None and seen < 8:
        if isinstance(cause, ConnectionError) or any(k.__name__ in _AIOHTTP_CONNECTION_NAMES for k in type(cause).__mro__):
            return True
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return False
