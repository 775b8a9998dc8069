"""Mask every secret this process knows in every text it stores or logs.

An endpoint may echo the request, headers included, in an error body or even in a reply (some
proxies do), and the key then rides along into error messages, logs, summary.json, cached task
results and exported rows. So one process-wide redactor knows every secret value: those registered
where they are loaded (an endpoint's key, block secrets) and those found in the environment (the key
litellm reads for each model in use, and every variable whose name says it holds a secret, or whose
value is a URL with a password). ``redact`` masks them, and anything shaped like a credential
(``Bearer ...``, ``Authorization: ...``, ``sk-...``, a URL's password); ``bounded`` also cuts a
stored error text to a fixed length. ``mask_known`` masks only the known values: for model replies,
which are data. ``install_log_redaction`` makes every log record pass through ``redact``.

The patterns are compiled once per change of the known set: redacting a short text costs microseconds.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any, Iterable

MASK = "***"
ERROR_TEXT_CHARS = 1000     # a stored error text is cut to this length (after masking)
MIN_SECRET_CHARS = 6        # a registered value shorter than this is too weak a key to mask everywhere
MIN_ENV_SECRET_CHARS = 8    # ... and an environment value shorter than this is likely no key at all

# Environment variable names that hold secrets: OPENAI_API_KEY, HF_TOKEN, AWS_SECRET_ACCESS_KEY, ...
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|(?:^|_)PAT(?:_|$)|(?:^|_)DSN(?:_|$)", re.I)
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.\-]*://[^/\s:@]*:([^/\s@]+)@", re.I)
# Shapes of credentials, masked even when the value is unknown (group "keep" is kept).
_SHAPES = (
    r"(?P<keep>(?i:authorization|api[-_]?key|(?:access|refresh|id|auth|api|session)[-_]?token|passw(?:or)?d"
    r"|secret)[\"']?\s*[:=]\s*[\"']?(?i:(?:bearer|basic|token)\s+)?|(?i:\bbearer\s+))"
    r"[^\s\"',;&}\]\\]+",
    r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{16,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bhf_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b"
    r"|\bAIza[0-9A-Za-z_\-]{35}|\bxox[abprs]-[A-Za-z0-9\-]{10,}",
    r"(?P<keep2>(?i:\b[a-z][a-z0-9+.\-]*://[^/\s:@]*:))[^/\s@]+(?=@)",
)
_SHAPE_PATTERN = re.compile("|".join(_SHAPES))
# Lower-case substrings at least one of which every shape contains: the cheap test before the regex.
_SHAPE_TRIGGERS = ("bearer", "authorization", "key", "token", "passw", "secret", "sk-", "rk-", "pk-", "ghp_",
                   "gho_", "ghu_", "ghs_", "ghr_", "hf_", "akia", "aiza", "xox", "://")


class Redactor:
    """The known secret values and the pattern built from them (rebuilt only when they change)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registered: set[str] = set()
        self._from_env: frozenset[str] | None = None  # None: the environment was not read yet
        self._known: tuple[tuple[str, ...], re.Pattern[str] | None] = ((), None)  # values longest first, their regex

    def register(self, values: Iterable[Any]) -> None:
        """Add secret values (strings, or nested dicts/lists of them, e.g. a block's SecretDict)."""
        found = {v for v in _strings(values) if len(v) >= MIN_SECRET_CHARS and v.strip("*")}  # not a mask
        with self._lock:
            if found - self._registered:
                self._registered |= found
                self._rebuild()

    def refresh_environment(self) -> None:
        """Read the secret-looking environment variables again (cheap: one pass over os.environ)."""
        found = frozenset(environment_secrets(os.environ))
        with self._lock:
            if found != self._from_env:
                self._from_env = found
                self._rebuild()

    def _rebuild(self) -> None:
        known = tuple(sorted(self._registered | (self._from_env or frozenset()), key=len, reverse=True))
        self._known = known, (re.compile("|".join(re.escape(v) for v in known)) if known else None)

    def _ready(self) -> None:
        if self._from_env is None:
            self.refresh_environment()

    def redact(self, text: str) -> str:
        """``text`` with every known secret and every credential-shaped token replaced by ``***``."""
        text = self.mask_known(text)
        lowered = text.lower()
        if any(trigger in lowered for trigger in _SHAPE_TRIGGERS):  # most texts have none: skip the regex
            text = _SHAPE_PATTERN.sub(_replacement, text)
        return text

    def mask_known(self, text: str) -> str:
        """``text`` with the known secret values replaced; nothing else touched (for model replies)."""
        self._ready()
        known, pattern = self._known  # one attribute: swapped whole when the set changes
        if pattern is None or not any(value in text for value in known):  # substring tests: the fast path
            return text
        return pattern.sub(MASK, text)


def _replacement(match: re.Match[str]) -> str:
    groups = match.groupdict()
    return (groups.get("keep") or groups.get("keep2") or "") + MASK


def _strings(values: Any) -> Iterable[str]:
    if isinstance(values, str):
        yield values
    elif isinstance(values, dict):
        for value in values.values():
            yield from _strings(value)
    elif isinstance(values, (list, tuple, set, frozenset)):
        for value in values:
            yield from _strings(value)
    elif hasattr(values, "get_secret_value"):  # pydantic SecretStr / SecretDict
        yield from _strings(values.get_secret_value())


def environment_secrets(environ: dict[str, str]) -> set[str]:
    """Values of variables named like secrets (KEY, TOKEN, SECRET, PASSWORD, AUTH, CREDENTIAL, PAT),
    and the password of any URL-valued variable (DATABASE_URL, HTTPS_PROXY, ...)."""
    found = set()
    for name, value in environ.items():
        if _SECRET_NAME.search(name) and len(value) >= MIN_ENV_SECRET_CHARS:
            found.add(value)
        for password in _URL_PASSWORD.findall(value):
            if len(password) >= MIN_SECRET_CHARS:
                found.add(password)
    return found


_REDACTOR = Redactor()


def register(*values: Any) -> None:
    """Make secret values (strings, SecretStr, nested dicts of them) known to the process's redactor."""
    _REDACTOR.register(values)


def register_named(options: Any) -> None:
    """Register the values of ``options`` (nested dicts) whose names say they are secrets (``key``,
    ``secret``, ``token``, ``password``, ...), not the rest (an endpoint URL, a region)."""
    if hasattr(options, "get_secret_value"):
        options = options.get_secret_value()
    if isinstance(options, dict):
        for name, value in options.items():
            if isinstance(value, dict):
                register_named(value)
            elif _SECRET_NAME.search(str(name)):
                register(value)


def refresh_environment() -> None:
    """Pick up secret variables set since the last look (called when an endpoint is built)."""
    _REDACTOR.refresh_environment()


def redact(text: str) -> str:
    return _REDACTOR.redact(text)


def mask_known(text: str) -> str:
    return _REDACTOR.mask_known(text)


def bounded(text: str, limit: int = ERROR_TEXT_CHARS) -> str:
    """An error text fit to store: masked, then cut to ``limit`` characters (marked with an ellipsis)."""
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_PROVIDER_MODELS: set[str] = set()


def provider_key(model: str) -> str | None:
    """The key litellm would send for ``model`` from its provider's variable or its own settings
    (``OPENAI_API_KEY``, ``litellm.api_key``, ...); None for a provider litellm has no table for."""
    try:
        import litellm
        from litellm.utils import ProviderConfigManager

        _, provider, _, _ = litellm.get_llm_provider(model=model)
        info = ProviderConfigManager.get_provider_model_info(model, litellm.LlmProviders(provider))
        return (info.get_api_key() if info is not None else None) or None
    except Exception:  # an unknown provider or model: the environment rules still apply
        return None


def register_provider_key(model: str) -> None:
    """Register ``provider_key(model)`` as a secret; once per model (an endpoint's construction reads
    the environment again)."""
    if model in _PROVIDER_MODELS:
        return
    _PROVIDER_MODELS.add(model)
    key = provider_key(model)
    if key:
        register(key)


# --- logging ------------------------------------------------------------------------------------------

_INSTALLED = threading.Lock()
_previous_factory: Any = None


def install_log_redaction() -> None:
    """Redact every log record of the process where it is made (a LogRecord factory), so every
    handler - console, file, Prefect's API handler that ships logs to the database - gets masked
    text, whichever logger or library made the record and whenever its handlers were configured."""
    global _previous_factory
    with _INSTALLED:
        if _previous_factory is not None:
            return
        _previous_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacted_record)


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it itself when the record is emitted
        return record
    safe = redact(message)
    if safe != message:
        record.msg, record.args = safe, None
    if record.exc_info and record.exc_info[1] is not None:
        trace = logging.Formatter().formatException(record.exc_info)
        safe = redact(trace)
        if safe != trace:  # handlers format exc_info themselves: hand them the masked text instead
            record.exc_info, record.exc_text = None, safe
    return record
