"""The ``McpServer`` block, saved on a real Prefect server: its secret environment (stdio) or headers (HTTP)
reach the lab server, and appear nowhere else: not in the spec, the flow parameters, the identity, the
cache fingerprint or the outcome. A block that is not there is one load error."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import socket
import subprocess
import sys
import time

import pytest

from api_registry.implementation_digest import entry_fingerprint
from api_registry.mcp_executor import McpExecutor
from api_registry.sources import RegistrySources, load_registry
from apigen.cli import main
from apigen.models import FunctionCall
from apigen.verify.execution import CallExecutor
from blocks.mcp import McpServer
from helpers import LAB_SERVER, lab_calls, read_dataset

SECRET = "lab-token-SECRET-4242"
LAB_TOOLS = {"multiply", "whoami", "env_names", "fail", "crash", "sleep", "add_note"}
pytestmark = pytest.mark.usefixtures("prefect_server")


def _sha_prefix(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _run(registry, *calls: FunctionCall) -> list:
    """The calls' outcomes through stage 2's executor, its servers shut down after."""
    mcp = McpExecutor(size=1, timeout_s=20)
    executor = CallExecutor(None, registry.target, registry.get, mcp=mcp, refuse=registry.refusal)
    try:
        return [executor.run(call) for call in calls]
    finally:
        mcp.close()


def _public_texts(sources: RegistrySources, registry, outcomes: list) -> list[str]:
    """Everything a run stores or shows about the server: spec, parameters, identity, fingerprint, outcomes."""
    return [sources.model_dump_json(), *(repr(e) for e in registry.mcp.values()),
            *(json.dumps(entry_fingerprint(e)) for e in registry.mcp.values()), *(repr(o) for o in outcomes)]


def test_a_stdio_block_gives_its_environment_to_the_server_only(tmp_path, capsys):
    log = tmp_path / "lab.log"
    McpServer(command=sys.executable, args=[str(LAB_SERVER)],
              env={"LAB_TOKEN": SECRET, "LAB_LOG": str(log)}).save("lab-stdio", overwrite=True)
    assert main(["registry", "list", "--no-bundled", "--mcp-block", "lab-stdio", "--json"]) == 0
    captured = capsys.readouterr()
    assert {json.loads(line)["name"] for line in captured.out.splitlines()} == LAB_TOOLS
    assert SECRET not in captured.out + captured.err

    sources = RegistrySources(bundled=False, mcp_blocks=("lab-stdio",))
    registry = load_registry(sources)
    assert not registry.errors and set(registry.mcp) == LAB_TOOLS
    text = "block:lab-stdio " + shlex.join([sys.executable, str(LAB_SERVER)])
    assert {e.server.text for e in registry.mcp.values()} == {text}
    (whoami,) = _run(registry, FunctionCall(name="whoami", arguments={}))
    assert whoami.ok and whoami.result["token_sha_prefix"] == _sha_prefix(SECRET)
    assert [c["tool"] for c in lab_calls(log)] == ["whoami"]
    assert all(SECRET not in t for t in _public_texts(sources, registry, [whoami]))


def test_a_missing_block_is_one_load_error():
    registry = load_registry(RegistrySources(bundled=False, mcp_blocks=("no-such-mcp-block",)))
    assert not registry.mcp and len(registry.errors) == 1
    assert str(registry.errors[0]).startswith("block:no-such-mcp-block: McpServer block could not be loaded")


def _wait_for_port(port: int, process: subprocess.Popen, limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the lab server did not listen on {port} (exit code {process.poll()})")


def test_an_http_block_sends_its_headers_to_the_server_only(tmp_path, free_port):
    log = tmp_path / "lab.log"
    server = subprocess.Popen([sys.executable, str(LAB_SERVER), "--http", str(free_port)],
                              env={**os.environ, "LAB_LOG": str(log)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(free_port, server)
        url = f"http://127.0.0.1:{free_port}/mcp"
        McpServer(url=url, headers={"Authorization": f"Bearer {SECRET}"}).save("lab-http", overwrite=True)
        sources = RegistrySources(bundled=False, mcp_blocks=("lab-http",))
        registry = load_registry(sources)
        assert not registry.errors and set(registry.mcp) == LAB_TOOLS
        assert registry.mcp["multiply"].server.text == f"block:lab-http {url}"
        outcomes = _run(registry, FunctionCall(name="multiply", arguments={"a": 6, "b": 7}),
                        FunctionCall(name="whoami", arguments={}))
    finally:
        server.terminate()
        server.wait(timeout=10)
    multiply, whoami = outcomes
    assert multiply.ok and multiply.result == {"result": 42}
    assert whoami.ok and whoami.result["authorization_sha_prefix"] == _sha_prefix(f"Bearer {SECRET}")
    assert [c["tool"] for c in lab_calls(log)] == ["multiply", "whoami"]
    assert all(SECRET not in t for t in _public_texts(sources, registry, outcomes))


def test_simulate_probes_a_block_servers_tools_before_generating(tmp_path, capsys):
    """``generate --simulate --mcp-block``: the simulator's calls come from examples tried on the block's
    server first, as with ``--mcp``. Four single-call pairs call at most four tools; the probe tries
    every read-only one (the destructive ``add_note`` is never tried)."""
    log = tmp_path / "lab.log"
    McpServer(command=sys.executable, args=[str(LAB_SERVER)],
              env={"LAB_TOKEN": SECRET, "LAB_LOG": str(log)}).save("lab-probe", overwrite=True)
    out = tmp_path / "out"
    assert main(["generate", "--simulate", "--mcp-block", "lab-probe", "--n", "4", "--styles", "simple",
                 "--mcp-timeout", "2", "--out", str(out)]) == 0
    verified, rejected, _ = read_dataset(out)
    assert len(verified) + len(rejected) == 4
    assert {c["tool"] for c in lab_calls(log)} == LAB_TOOLS - {"add_note"}
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    texts = [p for p in out.rglob("*") if p.suffix in (".json", ".jsonl", ".md")]
    assert texts and not any(SECRET in p.read_text() for p in texts)
