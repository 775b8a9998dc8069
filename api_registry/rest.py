"""Call a documented REST endpoint and turn every outcome into a ``RestResult`` verdict.

Execution-stage verification needs real responses, but real APIs fail in ways a status code does not
always show (RapidAPI answers ``200 {"message": "You are not subscribed to this API."}``), retry
storms burn quota, and responses tend to echo secrets. So this module retries only what can heal
(429, 5xx, timeouts), flags HTTP-200 bodies that are really errors, caches successes so re-runs do
not call again, and scrubs the credential from everything it returns or stores.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import string
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal
from urllib.parse import quote

import requests
from pydantic import BaseModel, ConfigDict, Field, model_validator

log = logging.getLogger(__name__)

# Lower-case fragments of ``message``-style fields that mean "this 200 is an error". Specific phrases
# only: ordinary data often has a ``message`` field, and it must not be flagged.
ERROR_MESSAGE_PATTERNS: tuple[str, ...] = (
    "invalid api key", "api key is invalid", "missing api key", "missing rapidapi", "invalid token",
    "rate limit", "too many requests", "quota", "not subscribed", "unauthorized", "forbidden",
    "access denied", "does not exist", "doesn't exist", "doesn't exists", "endpoint is disabled",
    "api is unreachable", "internal server error",
)
_MESSAGE_KEYS = ("message", "msg", "detail", "error_message")
_FAILED_STATUS = {"error", "fail", "failed", "failure", "err"}
_NO_BODY_METHODS = {"GET", "DELETE", "HEAD", "OPTIONS"}


class RestAuth(BaseModel):
    """Where the secret goes: a header (optionally behind a prefix such as ``Bearer ``) or a query parameter."""

    model_config = ConfigDict(frozen=True)
    location: Literal["header", "query"] = "header"
    name: str = "X-RapidAPI-Key"
    prefix: str = ""
    credential: str = "api_key"  # which field of the credentials set holds the secret

    @classmethod
    def parse(cls, text: str) -> "RestAuth":
        """Shorthand: ``"X-RapidAPI-Key"``, ``"Authorization: Bearer"``, ``"query:api_key"``."""
        text = text.strip()
        if text.lower().startswith("query:"):
            return cls(location="query", name=text.split(":", 1)[1].strip())
        header, _, prefix = text.partition(":")
        return cls(location="header", name=header.strip(), prefix=f"{prefix.strip()} " if prefix.strip() else "")


class RestApi(BaseModel):
    """How to call one endpoint: which arguments go into the path, the query string and the JSON body."""

    model_config = ConfigDict(frozen=True)
    name: str = Field(min_length=1)
    method: str = "GET"
    url_template: str  # e.g. "http://host/v1/users/{user_id}"
    path_params: tuple[str, ...] = ()  # filled from the template's placeholders when empty
    query_params: tuple[str, ...] = ()
    body_params: tuple[str, ...] = ()
    wire_names: dict[str, str] = Field(default_factory=dict)  # argument name -> name the API expects
    headers: dict[str, str] = Field(default_factory=dict)
    credentials: str | None = None  # name of a credentials set, resolved at call time
    auth: RestAuth | None = None
    timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("auth"), str):
            data["auth"] = RestAuth.parse(data["auth"])
        if isinstance(data.get("method"), str):
            data["method"] = data["method"].strip().upper()
        template = data.get("url_template")
        if isinstance(template, str):
            placeholders = tuple(f for _, f, _, _ in string.Formatter().parse(template) if f)
            given = tuple(data.get("path_params") or ())
            if not given:
                data["path_params"] = placeholders
            elif set(given) != set(placeholders):
                raise ValueError(f"path_params {list(given)} do not match the placeholders of {template!r}")
        return data


class RestResult(BaseModel):
    """The verdict on one call. Never holds a credential: bodies and messages are scrubbed."""

    ok: bool
    status: int | None = None
    result: Any = None
    error_code: str | None = None  # http_<status> | timeout | connection_error | error_payload | ...
    message: str = ""
    attempts: int = 0
    cached: bool = False


class RestExecutor:
    """Runs ``RestApi`` calls with retries, error-payload detection, secret scrubbing and a response cache."""

    def __init__(self, credentials_lookup: Callable[[str], dict[str, str]] | None = None,
                 cache_dir: Path | str | None = None, max_retries: int = 3, backoff_s: float = 0.2,
                 max_backoff_s: float = 10.0):
        self._lookup = credentials_lookup
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._local = threading.local()  # requests.Session is not thread-safe: one per thread

    def __repr__(self) -> str:
        return f"RestExecutor(cache_dir={self._cache_dir}, max_retries={self.max_retries})"

    def call(self, api: RestApi, arguments: dict[str, Any]) -> RestResult:
        """Call ``api`` with ``arguments``; every failure comes back as a result, never as an exception."""
        cached = self._cache_read(api, arguments)
        if cached is not None:
            return cached
        secrets: list[str] = []
        try:
            secret, secrets = self._secret(api)
            request = _build_request(api, arguments, secret)
        except _CallError as exc:
            return RestResult(ok=False, error_code=exc.code, message=_scrub(str(exc), secrets))
        result = self._send(api, request, secrets)
        if result.ok:
            self._cache_write(api, arguments, result)
        return result

    # -- credentials -------------------------------------------------------------------------

    def _secret(self, api: RestApi) -> tuple[str | None, list[str]]:
        if api.auth is None and api.credentials is None:
            return None, []
        if api.credentials is None or self._lookup is None:
            raise _CallError("missing_credentials", f"{api.name}: no credentials set configured for this API")
        try:
            creds = self._lookup(api.credentials) or {}
        except Exception:  # the lookup's own error text may quote the store; do not pass it on
            raise _CallError("missing_credentials",
                             f"{api.name}: credentials set {api.credentials!r} not available") from None
        secrets = sorted({str(v) for v in creds.values() if v not in (None, "")}, key=len, reverse=True)
        if api.auth is None:
            return None, secrets
        secret = creds.get(api.auth.credential)
        if not secret:
            raise _CallError("missing_credentials",
                             f"{api.name}: credentials set {api.credentials!r} has no {api.auth.credential!r}")
        return str(secret), secrets

    # -- the request loop ---------------------------------------------------------------------

    def _send(self, api: RestApi, request: dict[str, Any], secrets: list[str]) -> RestResult:
        timeout = (min(api.timeout_s, 5.0), api.timeout_s)  # (connect, read)
        last: RestResult | None = None
        for attempt in range(1, self.max_retries + 2):
            retry_after: float | None = None
            try:
                response = self._session().request(timeout=timeout, allow_redirects=True, **request)
            except requests.Timeout as exc:
                message = f"{api.name}: no response within {api.timeout_s}s ({type(exc).__name__})"
                last = RestResult(ok=False, error_code="timeout", attempts=attempt, message=_scrub(message, secrets))
            except requests.ConnectionError as exc:
                return RestResult(ok=False, error_code="connection_error", attempts=attempt,
                                  message=_scrub(f"{api.name}: {type(exc).__name__}: {exc}", secrets))
            except requests.RequestException as exc:
                return RestResult(ok=False, error_code="request_error", attempts=attempt,
                                  message=_scrub(f"{api.name}: {type(exc).__name__}: {exc}", secrets))
            else:
                last = _verdict(api, response, secrets, attempt)
                log.debug("%s attempt %d: HTTP %s", api.name, attempt, response.status_code)
                if last.ok or not _retryable(response.status_code):
                    return last
                retry_after = _retry_after_s(response.headers.get("Retry-After"))
            if attempt <= self.max_retries:
                time.sleep(self._delay(attempt, retry_after))
        assert last is not None
        return last

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; a server's Retry-After wins, up to ``max_backoff_s``."""
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        base = self.backoff_s * (2 ** (attempt - 1))
        return min(base + random.uniform(0, self.backoff_s), self.max_backoff_s)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    # -- cache --------------------------------------------------------------------------------

    def _cache_path(self, api: RestApi, arguments: dict[str, Any]) -> Path | None:
        if self._cache_dir is None:
            return None
        # The whole call spec (URL, method, where each argument goes; credential names, no secrets):
        # a response cached for one endpoint spec is never served after the spec changes.
        key = json.dumps({"api": api.model_dump(mode="json", exclude={"timeout_s"}), "arguments": arguments},
                         sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)
        return self._cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def _cache_read(self, api: RestApi, arguments: dict[str, Any]) -> RestResult | None:
        path = self._cache_path(api, arguments)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return RestResult(ok=True, status=data["status"], result=data["result"], cached=True,
                              message="cached response")
        except (OSError, ValueError, KeyError):
            return None  # a damaged entry is refetched and overwritten

    def _cache_write(self, api: RestApi, arguments: dict[str, Any], result: RestResult) -> None:
        path = self._cache_path(api, arguments)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"api": api.name, "arguments": arguments, "status": result.status, "result": result.result}
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, path)


class _CallError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _build_request(api: RestApi, arguments: dict[str, Any], secret: str | None) -> dict[str, Any]:
    """Split arguments into path, query and body; arguments the API does not list follow the method."""
    if not isinstance(arguments, dict):
        raise _CallError("bad_arguments", f"{api.name}: arguments must be an object")
    wire = api.wire_names
    path_values, query, body = {}, {}, {}
    for name, value in arguments.items():
        if name in api.path_params:
            path_values[name] = value
        elif name in api.query_params:
            query[wire.get(name, name)] = value
        elif name in api.body_params:
            body[wire.get(name, name)] = value
        elif api.method in _NO_BODY_METHODS:
            query[wire.get(name, name)] = value
        else:
            body[wire.get(name, name)] = value
    missing = [p for p in api.path_params if p not in path_values]
    if missing:
        raise _CallError("bad_arguments", f"{api.name}: missing path arguments {missing}")
    url = api.url_template.format(**{k: quote(str(v), safe="") for k, v in path_values.items()})
    headers = dict(api.headers)
    if secret is not None and api.auth is not None:
        if api.auth.location == "query":
            query[api.auth.name] = secret
        else:
            headers[api.auth.name] = f"{api.auth.prefix}{secret}"
    request: dict[str, Any] = {"method": api.method, "url": url, "headers": headers,
                               "params": {k: _query_value(v) for k, v in query.items() if v is not None}}
    if body:
        request["json"] = body
    return request


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, list):
        return [_query_value(v) for v in value]
    return value


def _verdict(api: RestApi, response: requests.Response, secrets: list[str], attempt: int) -> RestResult:
    body = _scrub(_parse_body(response), secrets)
    status = response.status_code
    if not 200 <= status < 300:
        return RestResult(ok=False, status=status, result=body, error_code=f"http_{status}", attempts=attempt,
                          message=_scrub(f"{api.name}: HTTP {status}: {_snippet(body)}", secrets))
    reason = error_payload_reason(body)
    if reason:
        message = f"{api.name}: HTTP {status} but the body is an error ({reason}): {_snippet(body)}"
        return RestResult(ok=False, status=status, result=body, error_code="error_payload", attempts=attempt,
                          message=_scrub(message, secrets))
    return RestResult(ok=True, status=status, result=body, attempts=attempt, message="ok")


def error_payload_reason(body: Any) -> str | None:
    """Why a 2xx body is really an error, or None. Only top-level envelope fields are read."""
    if isinstance(body, str):
        text = body.strip().lower()
        hit = len(text) <= 300 and next((p for p in ERROR_MESSAGE_PATTERNS if p in text), None)
        return f"text mentions {hit!r}" if hit else None
    if not isinstance(body, dict):
        return None
    for key in ("error", "errors"):
        if key in body and body[key] not in (None, False, "", [], {}, 0):
            return f"non-empty {key!r}"
    if body.get("success") is False or body.get("ok") is False:
        return "success is false"
    status = body.get("status")
    if status is False or (isinstance(status, str) and status.strip().lower() in _FAILED_STATUS):
        return f"status {status!r}"
    if isinstance(status, int) and not isinstance(status, bool) and status >= 400:
        return f"status {status}"
    for key in _MESSAGE_KEYS:
        value = body.get(key)
        if isinstance(value, str):
            hit = next((p for p in ERROR_MESSAGE_PATTERNS if p in value.lower()), None)
            if hit:
                return f"{key} mentions {hit!r}"
    return None


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _parse_body(response: requests.Response) -> Any:
    text = response.text
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _scrub(value: Any, secrets: list[str]) -> Any:
    """Replace every credential (and its URL-encoded form) with ``***``, recursively."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            for form in {secret, quote(secret, safe=""), quote(secret)}:
                value = value.replace(form, "***")
        return value
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def _snippet(body: Any, limit: int = 300) -> str:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
