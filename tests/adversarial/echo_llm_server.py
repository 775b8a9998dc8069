"""An OpenAI-compatible loopback server that echoes every request's headers into its answers, as some
proxies do: the adversary of the key-leak tests (tests/adversarial/test_adv_secrets_*.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helpers import send_json

KEY = "echoKey-7Hq2Lx9Vb4Nc8Rt3Zw6Y"  # not sk-shaped: only knowing the value can mask it
MODEL = "echo-model"
ECHO_MARKER = "echoed-request-headers"


class EchoServer:
    """An OpenAI-compatible server on loopback whose every answer repeats the request headers.

    ``models``: ``list`` (200 with ``MODEL``) or an HTTP status for an echoing error. ``chat``: a
    status for an echoing error on every completion, ``mixed`` (the first generation request -
    and its retries - gets 500, every other a 200 whose text is the echo) or ``judge`` (by the
    query in the prompt: Paris 500, Rome 200 echo text, Oslo a passing verdict). ``extra``: more
    text every echo quotes (what a gateway might add, e.g. its own token).
    """

    def __init__(self, models: str | int = "list", chat: str | int = 400, extra: str = ""):
        self.models, self.chat, self.extra = models, chat, extra
        self.authorizations: list[str] = []  # the Authorization (or x-api-key) header of every request
        self._failing_seed: object = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.authorizations.append(self.headers.get("Authorization") or self.headers.get("x-api-key", ""))
                if server.models == "list":
                    return self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
                return self._json(int(server.models), server.echo(self.headers, int(server.models)))

            def do_POST(self):
                server.authorizations.append(self.headers.get("Authorization") or self.headers.get("x-api-key", ""))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                status, text = server.answer(body)
                if status != 200:
                    return self._json(status, server.echo(self.headers, status))
                echo = json.dumps(server.echo(self.headers))
                return self._json(200, {
                    "id": "chatcmpl-echo", "object": "chat.completion", "created": 0, "model": MODEL,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text or echo}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _json(self, status, payload):
                send_json(self, status, payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def echo(self, headers, status: int = 400) -> dict:
        """An error body quoting the bare credential first (no ``Bearer`` before it), then every header."""
        credential = (headers.get("Authorization") or headers.get("x-api-key", "")).removeprefix("Bearer ")
        lines = "\n".join(f"{k}: {v}" for k, v in headers.items())
        return {"error": {"message": f"{ECHO_MARKER}: {credential} is not valid here;{self.extra}\n{lines}",
                          "type": "invalid_request_error" if status < 500 else "server_error", "code": None},
                "headers": dict(headers.items())}

    def answer(self, body: dict) -> tuple[int, str | None]:
        """(status, reply text; None means the echo) for one completion request."""
        if self.chat == "mixed":
            with self._lock:
                if self._failing_seed is None:
                    self._failing_seed = body.get("seed")
                return (500 if body.get("seed") == self._failing_seed else 200), None
        if self.chat == "judge":
            prompt = json.dumps(body.get("messages", []))
            if "Paris" in prompt:
                return 500, None
            if "Oslo" in prompt:
                return 200, json.dumps({"passed": True, "reason": "the call answers the query"})
            return 200, None
        return int(self.chat), None

    def __enter__(self) -> "EchoServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


