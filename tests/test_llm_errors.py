"""Failures are classified by cause: permanent ones are never retried and never reported as http_500."""

import os

import pytest

from apigen.llm import CallStats, Endpoint, LLMError, complete_reply, run_sync
from apigen.llm_errors import classify
from apigen.sim.server import SimConfig, SimServer


def _litellm_errors():
    import litellm

    args = {"message": "boom", "llm_provider": "openai", "model": "m"}
    return [
        (litellm.AuthenticationError(**args), "auth_refused", False),
        (litellm.PermissionDeniedError(message="no", llm_provider="openai", model="m",
                                       response=_response(403)), "auth_refused", False),
        (litellm.NotFoundError(**args), "model_not_found", False),
        (litellm.BadRequestError(**args), "bad_request", False),
        (litellm.BadRequestError(message="response_format json_schema is not supported", llm_provider="openai",
                                 model="m"), "response_format_unsupported", False),
        (litellm.ContextWindowExceededError(**args), "context_length_exceeded", False),
        (litellm.BadRequestError(message="the request exceeds the available context size", llm_provider="openai",
                                 model="m"), "context_length_exceeded", False),
        (litellm.InternalServerError(message="OpenAIException - Missing credentials. Please pass an `api_key`",
                                     llm_provider="openai", model="m"), "missing_credentials", False),
        (litellm.AuthenticationError(message="Missing Anthropic API Key - A call is being made to anthropic",
                                     llm_provider="anthropic", model="m"), "missing_credentials", False),
        (litellm.RateLimitError(**args), "rate_limited", True),
        (litellm.Timeout(**args), "timeout", True),
        (litellm.InternalServerError(**args), "server_error", True),
        (litellm.ServiceUnavailableError(**args), "server_error", True),
        (litellm.APIConnectionError(**args), "unreachable", True),
        (ConnectionRefusedError(), "unreachable", True),
    ]


def _response(status):
    import httpx

    return httpx.Response(status, request=httpx.Request("POST", "http://127.0.0.1/v1/chat/completions"))


def test_each_litellm_failure_gets_its_cause():
    for exc, kind, transient in _litellm_errors():
        failure = classify(exc)
        assert (failure.kind, failure.transient) == (kind, transient), (type(exc).__name__, str(exc)[:80])


def test_a_self_hosted_endpoint_needs_no_key(monkeypatch):
    """The README's recipe with no key at all: a placeholder is sent, the server answers."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with SimServer(SimConfig()) as server:
        endpoint = Endpoint(model="openai/apigen-sim", api_base=server.api_base)
        reply = run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}]))
    assert isinstance(reply.content, str) and reply.finish_reason == "stop"


def test_the_provider_key_is_used_when_set(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert Endpoint(model="openai/x", api_base="http://127.0.0.1:1/v1").key_to_send() is None  # litellm reads it
    monkeypatch.delenv("OPENAI_API_KEY")
    assert Endpoint(model="openai/x", api_base="http://127.0.0.1:1/v1").key_to_send() == "sk-no-key-required"
    assert Endpoint(model="openai/x").key_to_send() is None  # a hosted provider never gets the placeholder


def test_missing_credentials_fail_at_once_without_retries(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    stats = CallStats()
    endpoint = Endpoint(model="openai/gpt-4o-mini", max_attempts=6, backoff_s=0.01)
    with pytest.raises(LLMError) as info:
        run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}], stats))
    assert info.value.kind == "missing_credentials" and not info.value.transient
    assert stats.requests == 1 and stats.retries == 0 and "http_500" not in stats.failures


def test_a_rejected_response_format_falls_back_once(monkeypatch):
    """A server that refuses JSON-schema output is asked again in JSON mode, and remembered as such."""
    from apigen import llm

    seen = []

    async def fake(endpoint, messages, timeout_s, response_format, seed):
        seen.append((response_format or {}).get("type"))
        if response_format and response_format["type"] == "json_schema":
            import litellm

            raise litellm.BadRequestError(message="response_format type json_schema is unsupported",
                                          llm_provider="openai", model="m")
        return llm.Reply(content='{"ok": true}', finish_reason="stop")

    monkeypatch.setattr(llm, "_acompletion", fake)
    endpoint = Endpoint(model="openai/fallback-test", api_base="http://127.0.0.1:9/v1")
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    for _ in range(2):
        run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}], response_format=schema))
    assert seen == ["json_schema", "json_object", "json_object"]


def test_a_timed_out_request_is_retried_with_more_time(monkeypatch):
    from apigen import llm

    limits = []

    async def fake(endpoint, messages, timeout_s, response_format, seed):
        limits.append(timeout_s)
        if len(limits) < 3:
            import litellm

            raise litellm.Timeout(message="timed out", llm_provider="openai", model="m")
        return llm.Reply(content="ok")

    monkeypatch.setattr(llm, "_acompletion", fake)
    endpoint = Endpoint(model="openai/timeout-test", api_base="http://127.0.0.1:9/v1", timeout_s=10,
                        backoff_s=0.001)
    run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}]))
    assert limits == [10, 20, 40]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_cancel_in_flight_cancels_a_hung_request():
    import threading
    from concurrent.futures import CancelledError

    from apigen.llm import cancel_in_flight, reset_interrupt

    with SimServer(SimConfig(error_rate=1.0, error_kinds=("hang",), delay_s=30)) as server:
        endpoint = Endpoint(model="openai/apigen-sim", api_base=server.api_base, timeout_s=60, max_attempts=1)
        outcome = {}

        def call():
            try:
                run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}]))
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                outcome["exc"] = exc

        thread = threading.Thread(target=call)
        thread.start()
        for _ in range(100):
            if cancel_in_flight():
                break
            threading.Event().wait(0.05)
        thread.join(10)
        refused = None
        try:
            run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}]))
        except CancelledError as exc:  # after an interrupt, nothing new starts ...
            refused = exc
        reset_interrupt()  # ... until the next run in this process says so
    assert not thread.is_alive() and isinstance(outcome.get("exc"), CancelledError) and refused is not None
