"""The fast route to OpenAI-compatible servers (litellm's ``aiohttp_openai``) behaves as the OpenAI SDK
route does: the same reply fields, and every failure with the same cause and status - a 429 must back
off, a refused ``response_format`` must fall back, a hung server must time out."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apigen.llm import Endpoint, LLMError, complete_reply, run_sync
from apigen.llm_route import wire_model
from helpers import send_json

REPLY = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
         "choices": [{"index": 0, "finish_reason": "tool_calls",
                      "message": {"role": "assistant", "content": "thinking done", "reasoning_content": "why",
                                  "tool_calls": [{"id": "t1", "type": "function",
                                                  "function": {"name": "f", "arguments": "{\"x\": 1}"}}]}}],
         "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}

# what the server answers, by model name: (status, body); "hang" sleeps past the client's deadline
ANSWERS = {
    "ok": (200, REPLY),
    "busy": (429, {"error": {"message": "slow down", "type": "rate_limit"}}),
    "noschema": (400, {"error": {"message": "response_format json_schema is not supported by this server"}}),
    "toolong": (400, {"error": {"message": "the request exceeds the available context size"}}),
    "badkey": (401, {"error": {"message": "invalid api key"}}),
    "missing": (404, {"error": {"message": "model not found"}}),
    "down": (503, {"error": {"message": "overloaded"}}),
    "hang": (200, REPLY),
}
EXPECTED = {"busy": ("rate_limited", 429), "noschema": ("response_format_unsupported", 400),
            "toolong": ("context_length_exceeded", 400), "badkey": ("auth_refused", 401),
            "missing": ("model_not_found", 404), "down": ("server_error", 503), "hang": ("timeout", 408)}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        name = body["model"]
        if name == "hang":
            time.sleep(3)
        status, payload = ANSWERS[name]
        send_json(self, status, payload)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()


@pytest.fixture(params=["fast", "sdk"])
def route(request, monkeypatch):
    if request.param == "sdk":
        monkeypatch.setenv("APIGEN_OPENAI_SDK", "1")
    else:
        monkeypatch.delenv("APIGEN_OPENAI_SDK", raising=False)
    return request.param


def _endpoint(server, name: str, timeout_s: float = 10.0, **options) -> Endpoint:
    """A generous deadline (a route's first call sets up its client, slow on a loaded machine); the
    ``hang`` model's test passes a short one."""
    return Endpoint(model=f"openai/{name}", api_base=f"http://127.0.0.1:{server.server_address[1]}/v1",
                    api_key="sk-route-test", max_attempts=1, timeout_s=timeout_s, **options)


def test_only_openai_compatible_servers_take_the_fast_route(route):
    expected = "aiohttp_openai/m" if route == "fast" else "openai/m"
    assert wire_model("openai/m", "http://127.0.0.1:8000/v1") == expected
    assert wire_model("openai/gpt-4o-mini", None) == "openai/gpt-4o-mini"  # the real OpenAI: its own route
    assert wire_model("anthropic/claude-3-5-haiku", "http://proxy/v1") == "anthropic/claude-3-5-haiku"


def test_a_reply_reads_the_same(server, route):
    server.requests.clear()
    reply = run_sync(complete_reply(_endpoint(server, "ok"), [{"role": "user", "content": "hi"}],
                                    response_format={"type": "json_object"}, seed=7))
    assert (reply.content, reply.finish_reason, reply.reasoning) == ("thinking done", "tool_calls", "why")
    assert reply.tool_calls == ({"name": "f", "arguments": "{\"x\": 1}"},)
    sent = server.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-route-test"
    assert sent["body"]["model"] == "ok" and sent["body"]["seed"] == 7
    assert sent["body"]["response_format"] == {"type": "json_object"}
    assert sent["body"]["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_failure_keeps_its_cause_and_status(server, route, name):
    with pytest.raises(LLMError) as info:
        run_sync(complete_reply(_endpoint(server, name, timeout_s=1.0 if name == "hang" else 10.0),
                                [{"role": "user", "content": "hi"}]))
    assert (info.value.kind, info.value.status) == EXPECTED[name], str(info.value)
    assert "sk-route-test" not in str(info.value)


def test_an_unreachable_server_is_unreachable(route):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = Endpoint(model="openai/m", api_base=f"http://127.0.0.1:{port}/v1", max_attempts=1)
    with pytest.raises(LLMError) as info:
        run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}]))
    assert info.value.kind == "unreachable" and info.value.transient


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 signed by itself: the private CA of a self-hosted endpoint."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "ca.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


CALL = """
import sys
from apigen.llm import Endpoint, LLMError, complete_reply, run_sync
endpoint = Endpoint(model="openai/ok", api_base=sys.argv[1], api_key="sk-route-test", max_attempts=1, timeout_s=5)
try:
    print("reply", run_sync(complete_reply(endpoint, [{"role": "user", "content": "hi"}])).content)
except LLMError as exc:
    print("error", exc.kind)
"""


def test_https_with_a_private_ca_as_litellm_configures_it(tmp_path, route):
    """The fast route verifies TLS with litellm's settings: a private CA named by SSL_CERT_FILE is trusted,
    an unknown one is refused as ``unreachable`` (each in a new process: the session is made once)."""
    import os
    import ssl
    import subprocess
    import sys

    cert, key = _self_signed(tmp_path)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"https://127.0.0.1:{httpd.server_address[1]}/v1"
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_VERIFY", "REQUESTS_CA_BUNDLE")}
    try:
        trusted = subprocess.run([sys.executable, "-c", CALL, base], env={**env, "SSL_CERT_FILE": str(cert)},
                                 capture_output=True, text=True, timeout=120)
        unknown = subprocess.run([sys.executable, "-c", CALL, base], env=env, capture_output=True, text=True,
                                 timeout=120)
    finally:
        httpd.shutdown()
    assert trusted.stdout.strip().splitlines()[-1:] == ["reply thinking done"], trusted.stderr[-2000:]
    assert unknown.stdout.strip().splitlines()[-1:] == ["error unreachable"], unknown.stderr[-2000:]
