"""Check an LLM endpoint before a run starts, so a misconfiguration costs seconds, not a failed run.

For an OpenAI-compatible server (``--api-base``) it asks ``GET <base>/models`` - cheap, no tokens -
and checks that the key is accepted and the model is served; a server without that listing gets a
1-token completion instead. A hosted provider must at least have a key; it then gets the 1-token
completion. Every problem is one line naming the endpoint, the cause and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from apigen import redaction
from apigen.llm import CallStats, Endpoint, LLMError, complete_reply, run_sync
from apigen.llm_errors import FIXES

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 6.0


class PreflightError(Exception):
    """The endpoint cannot serve this run; ``str()`` is the one line to show the user."""

    def __init__(self, role: str, endpoint: Endpoint, kind: str, detail: str):
        self.kind = kind
        where = f"{endpoint.api_base} " if endpoint.api_base else ""
        super().__init__(redaction.redact(f"{role} endpoint {where}({endpoint.model}): {kind.replace('_', ' ')}: "
                                          f"{detail}. Fix: {FIXES.get(kind, 'check the endpoint')}"))


@dataclass(frozen=True)
class ServedModels:
    """What ``GET /models`` said: the status, and the model ids when it listed any."""

    status: int
    ids: tuple[str, ...] = ()


def served_name(model: str) -> str:
    """The name the server knows a litellm model by: ``openai/Qwen2.5-7B`` -> ``Qwen2.5-7B``."""
    return model.split("/", 1)[1] if "/" in model else model


def list_models(endpoint: Endpoint) -> ServedModels:
    """``GET <api_base>/models``; raises OSError-derived errors from requests when unreachable."""
    import requests

    # The key the completion would carry: the configured one, the placeholder, or the provider's variable.
    key = endpoint.key_to_send() or redaction.provider_key(endpoint.model)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = requests.get(endpoint.api_base.rstrip("/") + "/models", headers=headers,
                            timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), allow_redirects=False)
    ids: tuple[str, ...] = ()
    if response.status_code == 200:
        try:
            data = response.json()
            entries = data.get("data", data.get("models", [])) if isinstance(data, dict) else []
            ids = tuple(str(e.get("id") or e.get("name") or e.get("model")) for e in entries if isinstance(e, dict))
        except (ValueError, AttributeError):
            ids = ()
    return ServedModels(response.status_code, ids)


def _check_listing(role: str, endpoint: Endpoint) -> bool:
    """True when the listing settled the question; False when a completion must decide."""
    import requests

    parsed = urlparse(endpoint.api_base or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PreflightError(role, endpoint, "bad_request", f"{endpoint.api_base!r} is not an http(s) URL")
    try:
        served = list_models(endpoint)
    except requests.exceptions.Timeout:
        raise PreflightError(role, endpoint, "unreachable", f"no answer within {READ_TIMEOUT_S:.0f} s") from None
    except requests.exceptions.RequestException as exc:
        reason = _root_reason(exc)
        raise PreflightError(role, endpoint, "unreachable", f"cannot connect ({reason})") from None
    if served.status in (401, 403):
        detail = "the endpoint refused the key" if endpoint.api_key else "the endpoint needs a key and none is set"
        raise PreflightError(role, endpoint, "auth_refused" if endpoint.api_key else "missing_credentials",
                             f"{detail} (HTTP {served.status})")
    if served.status == 200 and served.ids:
        if served_name(endpoint.model) not in served.ids:
            shown = ", ".join(served.ids[:8]) + (" ..." if len(served.ids) > 8 else "")
            raise PreflightError(role, endpoint, "model_not_found",
                                 f"{served_name(endpoint.model)!r} is not served here; the server lists {shown}")
        return True
    return False


def _root_reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out",
                   "Temporary failure in name resolution"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def _check_completion(role: str, endpoint: Endpoint) -> None:
    probe = endpoint.model_copy(update={"max_tokens": 1, "timeout_s": READ_TIMEOUT_S, "max_attempts": 1})
    try:
        run_sync(complete_reply(probe, [{"role": "user", "content": "Reply with OK."}], CallStats()))
    except LLMError as exc:
        detail = str(exc).split(": ", 1)[-1][:200]
        raise PreflightError(role, endpoint, exc.kind if exc.kind in FIXES else "unreachable", detail) from None


def preflight(role: str, endpoint: Endpoint) -> None:
    """Raise PreflightError (one line: endpoint, cause, fix) unless ``endpoint`` can serve a run."""
    from apigen.llm import provider_key_in_environment

    if endpoint.api_base:
        if not _check_listing(role, endpoint):
            _check_completion(role, endpoint)
        return
    if endpoint.api_key is None and not provider_key_in_environment(endpoint.model):
        raise PreflightError(role, endpoint, "missing_credentials", "no API key for this hosted provider")
    _check_completion(role, endpoint)

