"""Every secret the process can know is masked in every error text it stores or logs.

In-process and cheap (no Prefect): an echoing endpoint for another provider (Anthropic's own key
variable), a gateway that quotes a secret of the environment, secrets of loaded blocks, log records
of any library (with tracebacks), and the length of stored error texts.
"""

from __future__ import annotations

import io
import logging

import pytest
from pydantic import SecretStr

from apigen.llm import Endpoint, LLMError, complete_reply, run_sync
from echo_llm_server import ECHO_MARKER, KEY, EchoServer

HELLO = [{"role": "user", "content": "hi"}]


def _error_text(endpoint: Endpoint) -> str:
    with pytest.raises(LLMError) as caught:
        run_sync(complete_reply(endpoint, HELLO))
    return str(caught.value)


def test_anthropic_key_from_its_own_variable_is_masked(monkeypatch):
    """Not only OpenAI: litellm sends ANTHROPIC_API_KEY as ``x-api-key``; the echo quotes it."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with EchoServer(chat=400) as server:
        text = _error_text(Endpoint(model="anthropic/claude-echo", api_base=server.api_base.removesuffix("/v1"),
                                    max_attempts=1))
    assert KEY in server.authorizations  # the key really went out, from the provider's variable
    assert ECHO_MARKER in text  # the echo reached the error text ...
    assert KEY not in text      # ... without the key


def test_secrets_of_the_environment_are_masked(monkeypatch):
    """A gateway quotes its own token and a database URL's password, both only in the environment."""
    gateway, password = "gw-9f8e7d6c5b4a3210", "pg-Pa55w0rd-xyz"
    monkeypatch.setenv("CORP_GATEWAY_TOKEN", gateway)
    monkeypatch.setenv("APP_DATABASE_URL", f"postgresql://apigen:{password}@db.internal/runs")
    with EchoServer(chat=400, extra=f" gateway token {gateway}; upstream postgresql://apigen:{password}@db") as server:
        text = _error_text(Endpoint(model="openai/echo-model", api_base=server.api_base, max_attempts=1))
    assert ECHO_MARKER in text
    assert gateway not in text and password not in text


def test_block_secrets_are_masked_in_stored_error_texts():
    """A REST API echoing an ApiCredentials key, s3 quoting a DatasetStore secret: row errors keep neither."""
    from apigen.models import Finding
    from blocks.credentials import ApiCredentials
    from blocks.store import DatasetStore

    rest_key, s3_secret = "weather-Key-0a1b2c3d4e", "s3Secret/AbCdEf0123456789"
    ApiCredentials(sets={"weather": {"api_key": rest_key}})  # as a task loads them
    DatasetStore(url="s3://bucket/run", storage_options={"key": "AKIDEXAMPLE", "secret": s3_secret,
                                                         "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}})
    message = Finding(code="execution_error", message=f"HTTP 403: key {rest_key} refused; signature for {s3_secret} "
                                                      "at http://127.0.0.1:9000").message
    assert rest_key not in message and s3_secret not in message
    assert "http://127.0.0.1:9000" in message  # not a secret: the error stays useful


def test_log_records_are_masked_for_every_handler():
    """Whatever library logs an echoed body - message, arguments or traceback - no handler sees the key."""
    secret = "logged-Key-Zz0099Yy8877"
    Endpoint(model="openai/x", api_base="http://127.0.0.1:9/v1", api_key=SecretStr(secret))  # as a run builds it
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    loggers = [logging.getLogger(name) for name in ("LiteLLM", "apigen.llm", "httpx")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        loggers[0].error("upstream answered 400: %s", f"invalid key {secret}")
        loggers[1].warning(f"request lost: Authorization: Bearer {secret}")
        try:
            raise RuntimeError(f"proxy said: {secret}")
        except RuntimeError:
            loggers[2].exception("request failed")
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    output = stream.getvalue()
    assert "upstream answered 400" in output and "proxy said" in output and "RuntimeError" in output
    assert secret not in output


def test_stored_error_texts_are_bounded():
    """An endpoint answering a megabyte of error body, or a tool raising one, stores a bounded text."""
    from apigen.models import Finding

    with EchoServer(chat=400, extra="x" * 1_000_000) as server:
        text = _error_text(Endpoint(model="openai/echo-model", api_base=server.api_base, max_attempts=1))
    assert ECHO_MARKER in text and len(text) <= 1000
    assert len(Finding(code="execution_error", message="boom " * 200_000).message) <= 1000
