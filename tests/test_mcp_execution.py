"""Stage 2 on MCP tools, against real servers the tests start: ``mcp-server-time`` from PyPI, the lab
server (``tests/mcp_servers/lab_server.py``) over stdio and streamable HTTP, and a few lines of SDK server
that answer with a JSON-RPC error. What really ran is read from the servers' own evidence: their answers,
the lab server's call log (tool, arguments, pid) and the processes that exist."""

from __future__ import annotations

import hashlib
import os
import shlex
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from mcp.client.stdio import get_default_environment

from api_registry.importers.mcp_server import McpListing, McpSpec, import_mcp
from api_registry.mcp_executor import McpExecutor
from api_registry.registry import McpEntry, Registry
from api_registry.sources import RegistrySources, load_registry
from api_registry.spec import ToolSpec
from apigen.models import FunctionCall
from apigen.verify.execution import CallExecutor, check_execution
from helpers import LAB_SERVER, lab_calls, lab_command

PYTHON = shlex.quote(sys.executable)
TIME_SERVER = f"{PYTHON} -m mcp_server_time"
# An SDK server whose tool refuses with a JSON-RPC error (not an isError result) for a bad argument.
RPC_ERROR_SERVER = """
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
server = MCPServer("strict")
@server.tool()
def reserve(seats: int) -> str:
    if seats < 1:
        raise MCPError(code=-32602, message=f"seats must be at least 1, not {seats}")
    return f"reserved {seats}"
server.run()
"""


def listed(spec: McpSpec | str) -> Registry:
    listing = import_mcp(spec)
    assert isinstance(listing, McpListing), listing.errors
    registry = Registry()
    registry.add_mcp(listing)
    return registry


def gone(pid: int, within_s: float = 10.0) -> bool:
    """Whether process ``pid`` no longer exists (polled: a server is shut down asynchronously)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def time_stage():
    registry = load_registry(RegistrySources(bundled=False, mcp=(TIME_SERVER,)))
    assert set(registry.mcp) == {"get_current_time", "convert_time"} and not registry.errors
    executor = CallExecutor(None, registry.target, registry.get, None, mcp=McpExecutor(size=2, timeout_s=30),
                            refuse=registry.refusal)
    yield executor
    executor.mcp.close()


def test_time_server_tells_the_current_time(time_stage):
    verdict = check_execution([FunctionCall(name="get_current_time", arguments={"timezone": "Asia/Kolkata"})],
                              time_stage)
    assert verdict.status == "passed", verdict
    (result,) = verdict.results
    assert result["timezone"] == "Asia/Kolkata"
    told = datetime.fromisoformat(result["datetime"])
    assert told.utcoffset() == timedelta(hours=5, minutes=30)
    assert abs(told - datetime.now(timezone.utc)) < timedelta(minutes=5)  # it really ran, just now


def test_time_server_converts_a_time(time_stage):
    call = FunctionCall(name="convert_time", arguments={"source_timezone": "Asia/Tokyo", "time": "16:30",
                                                        "target_timezone": "Asia/Kolkata"})
    verdict = check_execution([call], time_stage)
    assert verdict.status == "passed", verdict
    (result,) = verdict.results  # neither zone has daylight saving time: the answer holds all year
    assert result["source"]["timezone"] == "Asia/Tokyo" and result["source"]["datetime"].endswith("T16:30:00+09:00")
    assert result["target"]["timezone"] == "Asia/Kolkata" and result["target"]["datetime"].endswith("T13:00:00+05:30")
    assert result["time_difference"] == "-3.5h"


def test_time_server_refusing_a_timezone_is_an_execution_error_in_its_own_words(time_stage):
    verdict = check_execution([FunctionCall(name="get_current_time", arguments={"timezone": "Mars/Olympus_Mons"})],
                              time_stage)
    assert verdict.status == "failed" and verdict.results == (None,)
    (finding,) = verdict.errors
    assert finding.code == "execution_error" and finding.call == 0
    assert "Invalid timezone" in finding.message and "Mars/Olympus_Mons" in finding.message


def test_an_is_error_reply_is_an_execution_error_and_the_server_stays_up(tmp_path):
    log = tmp_path / "calls.jsonl"
    registry = listed(lab_command(LAB_LOG=log))
    executor = McpExecutor(size=1, timeout_s=30)
    try:
        failed = executor.call(registry.mcp["fail"], {"reason": "no"})
        assert (failed.ok, failed.code) == (False, "execution_error")
        assert failed.message == "Error executing tool fail"  # the SDK server keeps a crash's own text to itself
        rejected = executor.call(registry.mcp["multiply"], {"a": "six", "b": 7})  # the server's schema says int
        assert rejected.code == "execution_error" and "valid integer" in rejected.message
        assert executor.call(registry.mcp["multiply"], {"a": 6, "b": 7}).result == {"result": 42}
        assert executor.servers_started(registry.mcp["fail"]) == 1
        assert [c["tool"] for c in lab_calls(log)] == ["fail", "multiply"]  # arguments it rejected never ran the tool
    finally:
        executor.close()


def test_a_json_rpc_error_is_an_execution_error_with_the_servers_text():
    registry = listed(f"{PYTHON} -c {shlex.quote(RPC_ERROR_SERVER)}")
    executor = McpExecutor(size=1, timeout_s=30)
    try:
        refused = executor.call(registry.mcp["reserve"], {"seats": 0})
        assert refused.code == "execution_error"
        assert refused.message == "JSON-RPC error -32602: seats must be at least 1, not 0"
        assert executor.call(registry.mcp["reserve"], {"seats": 2}).result == {"result": "reserved 2"}
        assert executor.servers_started(registry.mcp["reserve"]) == 1  # the session was still fine
    finally:
        executor.close()


def test_a_server_dying_mid_call_is_worker_died_and_the_next_call_runs_on_a_new_process(tmp_path):
    log = tmp_path / "calls.jsonl"
    registry = listed(lab_command(LAB_LOG=log))
    executor = McpExecutor(size=1, timeout_s=30)
    try:
        assert executor.call(registry.mcp["multiply"], {"a": 2, "b": 3}).ok
        died = executor.call(registry.mcp["crash"], {})
        assert died.code == "worker_died" and "starts again" in died.message
        assert executor.call(registry.mcp["multiply"], {"a": 2, "b": 4}).result == {"result": 8}
        first, crashed, after = lab_calls(log)
        assert crashed["tool"] == "crash" and crashed["pid"] == first["pid"] != after["pid"]
        assert executor.servers_started(registry.mcp["crash"]) == 2
    finally:
        executor.close()


def test_a_call_past_its_timeout_ends_early_and_that_server_is_shut_down_even_if_close_follows(tmp_path):
    log = tmp_path / "calls.jsonl"
    registry = listed(lab_command(LAB_LOG=log))
    executor = McpExecutor(size=1, timeout_s=1)
    try:
        start = time.monotonic()
        slow = executor.call(registry.mcp["sleep"], {"seconds": 30})
        assert slow.code == "timeout" and time.monotonic() - start < 15  # not the 30 s the tool sleeps
        assert executor.call(registry.mcp["multiply"], {"a": 3, "b": 3}).result == {"result": 9}
    finally:
        executor.close()  # right away, while the busy server may still be winding down
    sleeper, restarted = lab_calls(log)
    assert sleeper["tool"] == "sleep" and sleeper["pid"] != restarted["pid"]
    assert gone(sleeper["pid"]) and gone(restarted["pid"])


def test_each_worker_reuses_one_server_process(tmp_path):
    log = tmp_path / "calls.jsonl"
    registry = listed(lab_command(LAB_LOG=log))
    executor = McpExecutor(size=2, timeout_s=30)
    multiply = registry.mcp["multiply"]
    try:
        with ThreadPoolExecutor(max_workers=2) as threads:
            outcomes = list(threads.map(lambda i: executor.call(multiply, {"a": i, "b": 3}), range(20)))
        assert [o.result for o in outcomes] == [{"result": 3 * i} for i in range(20)]
        pids = {c["pid"] for c in lab_calls(log)}
        assert len(lab_calls(log)) == executor.calls == 20
        assert 1 <= len(pids) <= 2 and executor.servers_started(multiply) == len(pids)
    finally:
        executor.close()
    assert all(gone(pid) for pid in pids)  # close() shut every server down


def test_a_call_runs_once_per_server_identity_and_arguments(tmp_path):
    log = tmp_path / "calls.jsonl"
    registry = listed(lab_command(LAB_LOG=log))
    executor = McpExecutor(size=1, timeout_s=30)
    try:
        first = executor.call(registry.mcp["multiply"], {"a": 5, "b": 8})
        again = executor.call(registry.mcp["multiply"], {"b": 8, "a": 5})
        assert first == again and first.result == {"result": 40}
        assert executor.calls == 1 and len(lab_calls(log)) == 1
        # The same server under another command line is another identity: its result is its own.
        other = listed(lab_command(LAB_VARIANT=2, LAB_LOG=log))
        assert other.mcp["multiply"].identity != registry.mcp["multiply"].identity
        assert executor.call(other.mcp["multiply"], {"a": 5, "b": 8}).result == {"result": 40}
        assert executor.calls == 2 and len(lab_calls(log)) == 2
    finally:
        executor.close()


def test_a_server_that_cannot_start_is_given_up_after_two_tries(tmp_path):
    spawns = tmp_path / "spawns"
    broken = f"sh -c {shlex.quote(f'echo spawned >> {shlex.quote(str(spawns))}; echo no MCP here >&2; exit 3')}"
    tool = ToolSpec(name="anything", description="A tool of a server that never starts.",
                    parameters={"type": "object", "properties": {}})
    entry = lambda command: McpEntry(spec=tool, server=McpSpec.parse(command), server_name="broken",  # noqa: E731
                                     server_version="1")
    executor = McpExecutor(size=1, timeout_s=5, start_timeout_s=10)
    try:
        for command in (broken, "/nonexistent/cmd --serve"):
            outcomes = [executor.call(entry(command), {}) for _ in range(4)]
            assert [o.code for o in outcomes] == ["server_unavailable"] * 4
            assert "could not be started" in outcomes[0].message and "given up" not in outcomes[0].message
            assert all("given up after 2 failed starts" in o.message for o in outcomes[2:])
            if command == broken:
                assert "no MCP here" in outcomes[0].message  # the server's own words on stderr
                assert spawns.read_text().splitlines() == ["spawned"] * 2  # the third and fourth spawned nothing
        assert executor.calls == 0
    finally:
        executor.close()


def test_a_destructive_tool_runs_only_when_allowed(tmp_path):
    log, notes = tmp_path / "calls.jsonl", tmp_path / "notes.txt"
    command = lab_command(LAB_LOG=log, LAB_NOTES=notes)
    call = FunctionCall(name="add_note", arguments={"text": "buy milk"})
    for allowed in (False, True):
        registry = load_registry(RegistrySources(bundled=False, mcp=(command,), allow_destructive=allowed))
        assert registry.mcp["add_note"].destructive and not registry.errors
        assert ("add_note" in {s.name for s in registry.specs()}) is allowed  # sampled only when allowed
        stage = CallExecutor(None, registry.target, registry.get, None, mcp=McpExecutor(size=1, timeout_s=30),
                             refuse=registry.refusal)
        try:
            verdict = check_execution([call], stage)
            if not allowed:
                assert verdict.status == "skipped" and [f.code for f in verdict.errors] == ["destructive_tool"]
                assert "--allow-destructive" in verdict.errors[0].message
                assert stage.run(call).code == "destructive_tool"  # run directly, still refused
                assert not notes.exists() and lab_calls(log) == [] and stage.mcp.calls == 0
            else:
                assert verdict.status == "passed" and verdict.results == ({"result": "noted"},)
                assert notes.read_text() == "buy milk\n"
        finally:
            stage.mcp.close()


def test_a_server_gets_its_own_secrets_not_this_processs_keys(tmp_path, monkeypatch):
    provider_key = "sk-test-" + "q" * 40
    monkeypatch.setenv("OPENAI_API_KEY", provider_key)
    secret = "lab-token-7c1d90e2b5"
    spec = McpSpec(text=f"block:lab-{tmp_path.name} {PYTHON} {LAB_SERVER}", command=(sys.executable, str(LAB_SERVER)),
                   env=(("LAB_TOKEN", secret),))
    assert secret not in repr(spec)
    registry = listed(spec)
    executor = McpExecutor(size=1, timeout_s=30)
    try:
        who = executor.call(registry.mcp["whoami"], {})
        assert who.result["token_sha_prefix"] == hashlib.sha256(secret.encode()).hexdigest()[:8]
        names = set(executor.call(registry.mcp["env_names"], {}).result["result"])
        assert "LAB_TOKEN" in names and "OPENAI_API_KEY" not in names
        # The SDK's minimal environment, the server's own variable, and Python's own locale coercion: nothing else.
        assert names <= {*get_default_environment(), "LAB_TOKEN", "LC_CTYPE"}
        echoed = executor.call(registry.mcp["multiply"], {"a": secret, "b": 1})  # the server quotes bad input
        assert echoed.code == "execution_error" and "***" in echoed.message and secret not in echoed.message
    finally:
        executor.close()


def wait_for_port(port: int, within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_streamable_http_server_with_and_without_headers_and_when_it_goes_away(tmp_path, free_port):
    log = tmp_path / "calls.jsonl"
    server = subprocess.Popen([sys.executable, str(LAB_SERVER), "--http", str(free_port)],
                              env={**os.environ, "LAB_LOG": str(log)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    executor = McpExecutor(size=1, timeout_s=20, start_timeout_s=20)
    try:
        wait_for_port(free_port)
        url = f"http://127.0.0.1:{free_port}/mcp"
        token = "s3cret-value"
        plain = listed(McpSpec.parse(url))
        authed = listed(McpSpec(text=f"{url} (authorized)", url=url, headers=(("Authorization", f"Bearer {token}"),)))
        assert executor.call(plain.mcp["multiply"], {"a": 7, "b": 5}).result == {"result": 35}
        assert executor.call(authed.mcp["multiply"], {"a": 7, "b": 6}).result == {"result": 42}
        echoed = executor.call(authed.mcp["multiply"], {"a": token, "b": 1})  # the server quotes bad input
        assert echoed.code == "execution_error" and token not in echoed.message and "***" in echoed.message
        assert {c["pid"] for c in lab_calls(log)} == {server.pid}
        server.kill()
        server.wait()
        start = time.monotonic()
        after = executor.call(authed.mcp["multiply"], {"a": 7, "b": 7})
        assert after.code in {"worker_died", "server_unavailable"}, after
        assert time.monotonic() - start < 20  # an answer, not a wait for the call's timeout
        assert executor.call(authed.mcp["multiply"], {"a": 7, "b": 8}).code in {"worker_died", "server_unavailable"}
    finally:
        server.kill()
        executor.close()


def test_an_sse_url_speaks_the_older_http_sse_transport(tmp_path, free_port):
    log = tmp_path / "calls.jsonl"
    server = subprocess.Popen([sys.executable, str(LAB_SERVER), "--sse", str(free_port)],
                              env={**os.environ, "LAB_LOG": str(log)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    executor = McpExecutor(size=1, timeout_s=20, start_timeout_s=20)
    try:
        wait_for_port(free_port)
        registry = listed(McpSpec.parse(f"http://127.0.0.1:{free_port}/sse"))
        assert executor.call(registry.mcp["multiply"], {"a": 9, "b": 5}).result == {"result": 45}
        assert [(c["tool"], c["pid"]) for c in lab_calls(log)] == [("multiply", server.pid)]
    finally:
        server.kill()
        executor.close()
