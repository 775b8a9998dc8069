"""REST execution against a real loopback HTTP server: verdicts, retries, timeouts, caching, no leaked keys."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from api_registry.rest import RestApi, RestAuth, RestExecutor, RestResult, error_payload_reason

SECRET = "sk-test-SECRET-123"
WRONG = "sk-test-WRONG-999"
HANG_S = 3.0  # the hung handler ends itself after this, so no thread outlives the test run for long


class _Handler(BaseHTTPRequestHandler):
    """Routes by path; echoes the key it got so the tests can check that results never carry it."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(url.query).items()}
        key = self.headers.get("X-RapidAPI-Key") or query.get("api_key") or \
            (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        server: _Server = self.server  # type: ignore[assignment]
        with server.lock:
            server.counts[url.path] += 1
            count = server.counts[url.path]
        parts = url.path.strip("/").split("/")
        try:
            self._route(parts, query, key, count)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def do_POST(self):
        self.do_GET()

    def _route(self, parts, query, key, count):
        head = parts[0]
        if head in ("users", "bearer", "query-auth"):
            if key != SECRET:
                return self._send(401, {"message": f"Invalid API key: {key}"})
            return self._send(200, {"id": parts[-1], "query": query, "echo_key": key,
                                    "message": "Hello, here is your user"})
        if head == "items":
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            return self._send(200, {"path": parts, "body": body, "query": query, "method": self.command})
        if head == "flaky":  # 429 on the first request, then success
            if count == 1:
                return self._send(429, {"message": "Too many requests"}, {"Retry-After": query.get("after", "0")})
            return self._send(200, {"data": [1, 2, 3]})
        if head == "broken":
            return self._send(500, {"error": "boom", "your_key": key})
        if head == "missing":
            return self._send(404, {"message": "no such thing"})
        if head == "hang":
            time.sleep(HANG_S)
            return self._send(200, {"late": True})
        if head == "fake-ok":
            return self._send(200, {"message": "Invalid API key"})
        if head == "text":
            return self._send(200, "plain words", content_type="text/plain")
        return self._send(404, {"message": "unknown route"})

    def _send(self, status, body, headers=None, content_type="application/json"):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _lookup(key: str):
    return lambda name: {"rapidapi": {"api_key": key}}[name]


@pytest.fixture
def executor(tmp_path):
    return RestExecutor(_lookup(SECRET), cache_dir=tmp_path / "cache", max_retries=3, backoff_s=0.01)


def _api(server, path, **fields) -> RestApi:
    defaults = {"name": path.strip("/").replace("/", "_").replace("{", "").replace("}", ""),
                "url_template": server.base + path, "credentials": "rapidapi", "auth": "X-RapidAPI-Key",
                "timeout_s": 2.0}
    return RestApi(**{**defaults, **fields})


def _assert_no_secret(result: RestResult, *secrets: str) -> None:
    for secret in secrets or (SECRET,):
        assert secret not in repr(result)
        assert secret not in result.model_dump_json()
        assert secret not in json.dumps(result.model_dump(), default=str)


def _cache_text(tmp_path: Path) -> str:
    cache = tmp_path / "cache"
    return "".join(p.read_text() for p in cache.glob("*")) if cache.exists() else ""


def test_success(server, executor, tmp_path):
    api = _api(server, "/users/{user_id}", query_params=("verbose",))
    result = executor.call(api, {"user_id": "a b/7", "verbose": True})
    assert result.ok and result.status == 200 and result.error_code is None and result.attempts == 1
    assert result.result["id"] == "a%20b%2F7"  # path values are percent-encoded, "/" included
    assert result.result["query"] == {"verbose": "true"}
    assert result.result["message"] == "Hello, here is your user"  # an ordinary message field is data
    assert result.result["echo_key"] == "***"  # the server echoed the key; it was scrubbed
    _assert_no_secret(result)
    assert SECRET not in _cache_text(tmp_path)


def test_bearer_and_query_auth(server, executor):
    bearer = _api(server, "/bearer/1", auth="Authorization: Bearer")
    assert bearer.auth == RestAuth(location="header", name="Authorization", prefix="Bearer ")
    assert executor.call(bearer, {}).ok
    in_query = _api(server, "/query-auth/1", auth="query:api_key")
    result = executor.call(in_query, {"x": 1})
    assert result.ok and result.result["query"] == {"x": "1", "api_key": "***"}
    _assert_no_secret(result)


def test_post_body_path_and_wire_names(server, executor):
    api = _api(server, "/items/{item_id}", method="post", body_params=("title", "is_from"),
               query_params=("dry_run",), wire_names={"is_from": "from"}, credentials=None, auth=None)
    assert api.method == "POST" and api.path_params == ("item_id",)
    result = executor.call(api, {"item_id": 42, "title": "t", "is_from": "me", "dry_run": False, "extra": [1]})
    assert result.ok
    assert result.result["path"] == ["items", "42"]
    assert result.result["body"] == {"title": "t", "from": "me", "extra": [1]}  # unlisted args follow the method
    assert result.result["query"] == {"dry_run": "false"}


def test_bad_key_is_http_401_without_retry(server, tmp_path):
    executor = RestExecutor(_lookup(WRONG), cache_dir=tmp_path / "cache", backoff_s=0.01)
    before = server.counts["/users/1"]
    result = executor.call(_api(server, "/users/1"), {})
    assert not result.ok and result.status == 401 and result.error_code == "http_401"
    assert result.attempts == 1 and server.counts["/users/1"] == before + 1
    assert "Invalid API key: ***" in result.message  # the server echoed the key; scrubbed
    _assert_no_secret(result, WRONG)
    assert _cache_text(tmp_path) == ""  # failures are not cached


def test_404_is_not_retried(server, executor):
    result = executor.call(_api(server, "/missing"), {})
    assert result.error_code == "http_404" and result.attempts == 1


def test_429_then_success(server, executor):
    result = executor.call(_api(server, "/flaky/a"), {})
    assert result.ok and result.attempts == 2 and result.result == {"data": [1, 2, 3]}
    assert server.counts["/flaky/a"] == 2


def test_retry_after_is_honoured_and_capped(server):
    executor = RestExecutor(None, max_retries=2, backoff_s=0.0, max_backoff_s=0.4)
    started = time.monotonic()
    assert executor.call(_api(server, "/flaky/b", query_params=("after",), credentials=None, auth=None), {"after": "0.25"}).ok
    assert 0.25 <= time.monotonic() - started  # waited as Retry-After asked
    started = time.monotonic()
    result = executor.call(_api(server, "/flaky/c", credentials=None, auth=None), {"after": "600"})
    assert result.ok and result.attempts == 2
    assert 0.4 <= time.monotonic() - started < 60  # 600 s asked, capped at max_backoff_s


def test_500_fails_after_retries(server, executor, tmp_path):
    result = executor.call(_api(server, "/broken"), {})
    assert not result.ok and result.status == 500 and result.error_code == "http_500"
    assert result.attempts == 4 and server.counts["/broken"] == 4  # 1 try + max_retries=3
    assert result.result == {"error": "boom", "your_key": "***"}
    _assert_no_secret(result)
    assert _cache_text(tmp_path) == ""


def test_hung_endpoint_times_out(server, tmp_path):
    executor = RestExecutor(_lookup(SECRET), cache_dir=tmp_path / "cache", max_retries=1, backoff_s=0.01)
    started = time.monotonic()
    result = executor.call(_api(server, "/hang", timeout_s=0.5), {})
    elapsed = time.monotonic() - started
    assert not result.ok and result.error_code == "timeout" and result.status is None
    assert result.attempts == 2 and elapsed < 2 * HANG_S  # each attempt cut off well before the hang ends
    _assert_no_secret(result)


def test_http_200_error_payload(server, executor, tmp_path):
    result = executor.call(_api(server, "/fake-ok"), {})
    assert not result.ok and result.status == 200 and result.error_code == "error_payload"
    assert "invalid api key" in result.message.lower()
    assert _cache_text(tmp_path) == ""


def test_plain_text_body(server, executor):
    result = executor.call(_api(server, "/text"), {})
    assert result.ok and result.result == "plain words"


def test_connection_error_scrubs_key_from_url():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    executor = RestExecutor(_lookup(SECRET), max_retries=2, backoff_s=0.01)
    api = RestApi(name="down", url_template=f"http://127.0.0.1:{port}/x", credentials="rapidapi",
                  auth="query:api_key", timeout_s=0.5)
    result = executor.call(api, {})
    assert not result.ok and result.error_code == "connection_error" and result.attempts == 1
    assert "api_key=***" in result.message
    _assert_no_secret(result)


def test_missing_credentials_do_not_call(server):
    before = sum(server.counts.values())
    for executor in (RestExecutor(None), RestExecutor(lambda name: {}), RestExecutor(lambda name: {}[name])):
        result = executor.call(_api(server, "/users/1"), {})
        assert not result.ok and result.error_code == "missing_credentials" and result.attempts == 0
    assert sum(server.counts.values()) == before


def test_cached_second_call_does_not_hit_server(server, executor, tmp_path):
    api = _api(server, "/users/{user_id}")
    first = executor.call(api, {"user_id": "cache-me", "b": 1, "a": 2})
    assert first.ok and not first.cached
    again = RestExecutor(_lookup(SECRET), cache_dir=tmp_path / "cache")  # a re-run: new executor, same cache
    second = again.call(api, {"a": 2, "b": 1, "user_id": "cache-me"})  # same arguments, other key order
    assert second.ok and second.cached and second.result == first.result and second.attempts == 0
    assert server.counts["/users/cache-me"] == 1
    assert executor.call(api, {"user_id": "cache-me", "b": 2, "a": 2}).cached is False
    files = list((tmp_path / "cache").glob("*.json"))
    assert len(files) == 2 and all(len(f.stem) == 64 for f in files)
    assert SECRET not in _cache_text(tmp_path)


def test_rest_api_validation():
    with pytest.raises(ValueError, match="placeholders"):
        RestApi(name="x", url_template="http://h/{a}", path_params=("b",))
    assert RestAuth.parse("query:key") == RestAuth(location="query", name="key")
    assert RestAuth.parse("X-Api-Key").prefix == ""


@pytest.mark.parametrize("body, is_error", [
    ({"message": "Invalid API key. Go to https://docs.rapidapi.com/docs/keys"}, True),
    ({"message": "You are not subscribed to this API."}, True),
    ({"message": "You have exceeded the MONTHLY quota for Requests"}, True),
    ({"message": "Endpoint '/v1/x' does not exist"}, True),
    ({"error": "bad request"}, True),
    ({"errors": [{"code": 1}]}, True),
    ({"success": False, "data": None}, True),
    ({"status": "error", "reason": "x"}, True),
    ({"status": 403}, True),
    ("Rate limit exceeded", True),
    ({"message": "Hello", "data": [1]}, False),
    ({"status": "ok", "message": "Welcome back"}, False),
    ({"error": None, "errors": [], "result": 3}, False),
    ({"status": 200, "success": True}, False),
    ({"data": {"message": "rate limit"}}, False),  # only the top-level envelope is read
    ([{"message": "Invalid API key"}], False),
    ("a long ordinary text " * 30 + "quota", False),
])
def test_error_payload_detection(body, is_error):
    assert (error_payload_reason(body) is not None) is is_error
