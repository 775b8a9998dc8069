"""``apigen registry check --mcp``: each MCP tool called once with arguments from its schema, against the
lab server and the real ``mcp-server-time``; a destructive tool is refused unless --allow-destructive."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

from apigen.cli import main
from helpers import lab_calls, lab_command

TIME_SERVER = f"{shlex.quote(sys.executable)} -m mcp_server_time"
pytestmark = pytest.mark.usefixtures("prefect_server")


def _check(tmp_path, name: str, *options: str) -> tuple[dict, dict, str]:
    """Run the check: its report's APIs by name, its summary and its Markdown twin."""
    out = tmp_path / f"{name}.json"
    assert main(["registry", "check", "--no-bundled", "--mcp-timeout", "3", "--out", str(out), *options]) == 0
    report = json.loads(out.read_text())
    return {a["name"]: a for a in report["apis"]}, report["summary"], out.with_suffix(".md").read_text()


def test_each_tool_is_called_once_and_reported_with_its_call_and_outcome(tmp_path, capsys):
    log, notes = tmp_path / "lab.log", tmp_path / "notes.txt"
    apis, summary, markdown = _check(tmp_path, "report", "--mcp", lab_command(LAB_LOG=log, LAB_NOTES=notes),
                                     "--mcp", TIME_SERVER)
    printed = capsys.readouterr().out
    assert {a["kind"] for a in apis.values()} == {"mcp"}
    assert set(apis) == {"multiply", "whoami", "env_names", "fail", "crash", "sleep", "add_note", "get_current_time", "convert_time"}

    multiply = apis["multiply"]  # its parameters propose nothing: integers are made up
    assert multiply["usable"] and multiply["arguments_from"] == "generated"
    a, b = multiply["arguments"]["a"], multiply["arguments"]["b"]
    product = json.dumps({"result": a * b})  # the server's structured content for an int
    assert multiply["result"] == product
    assert apis["whoami"]["usable"] and apis["whoami"]["arguments"] == {}
    assert (apis["fail"]["executed"], apis["fail"]["error_code"]) == (True, "execution_error")
    assert apis["fail"]["message"] == "Error executing tool fail"  # the server's own text
    assert apis["crash"]["error_code"] == "worker_died" and apis["sleep"]["error_code"] == "timeout"

    refused = apis["add_note"]  # destructive: named, never called, and not a failure of the server
    assert (refused["executed"], refused["ok"], refused["usable"]) == (False, False, False)
    assert refused["error_code"] == "destructive_tool" and "--allow-destructive" in refused["message"]
    assert summary["not_executed"] == {"destructive_tool": 1}
    assert summary["execution_failures"] == {"execution_error": 1, "worker_died": 1, "timeout": 1}
    assert not notes.exists()
    ran = lab_calls(log)
    assert [c["tool"] for c in ran if c["tool"] == "add_note"] == []
    assert {"tool": "multiply", "arguments": {"a": a, "b": b}} in [{k: c[k] for k in ("tool", "arguments")} for c in ran]

    time_now = apis["get_current_time"]  # the real server's schema proposes a timezone ("e.g. 'Europe/London'")
    assert time_now["usable"] and time_now["arguments_from"] == "schema" and "/" in time_now["arguments"]["timezone"]
    assert json.loads(time_now["result"])["timezone"] == time_now["arguments"]["timezone"]

    assert "## MCP tools" in markdown
    assert f"| multiply | mcp:apigen-lab | generated | multiply(a={a}, b={b}) | -> {product} |" in markdown
    assert "| add_note | mcp:apigen-lab | schema |" not in markdown  # its text is made up, not proposed
    assert "add_note(text=" in markdown and "not executed: destructive_tool" in markdown
    lines = printed.splitlines()
    assert f"mcp usable: multiply(a={a}, b={b}) -> {product}" in lines
    assert any(line.startswith("mcp unusable: add_note(text=") and "not executed: destructive_tool" in line
               for line in lines)
    assert any(line.startswith("mcp unusable: fail(reason=") and "error: execution_error (" in line for line in lines)
    assert "not executed {'destructive_tool': 1}" in printed

    apis, summary, _ = _check(tmp_path, "allowed", "--mcp", lab_command(LAB_LOG=log, LAB_NOTES=notes),
                              "--allow-destructive")
    allowed = apis["add_note"]
    assert allowed["executed"] and allowed["usable"] and json.loads(allowed["result"]) == {"result": "noted"}
    assert notes.read_text() == allowed["arguments"]["text"] + "\n"
    assert summary["not_executed"] == {}
