"""Importing an MCP server's tools (tools/list) with the official SDK, against the real
``mcp-server-time`` from PyPI started over stdio; and servers that are not there or not MCP."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

from api_registry.importers.mcp_server import McpSpec, import_mcp, list_tools

TIME_SERVER = f"{shlex.quote(sys.executable)} -m mcp_server_time"


def test_spec_is_a_command_line_or_a_url():
    assert McpSpec.parse("uvx mcp-server-time --local-timezone 'Europe/Paris'").command == (
        "uvx", "mcp-server-time", "--local-timezone", "Europe/Paris")
    assert McpSpec.parse(" https://tools.example/mcp ").url == "https://tools.example/mcp"
    for bad in ("", "   ", "python -c 'unterminated"):
        with pytest.raises(ValueError):
            McpSpec.parse(bad)


def test_time_server_tools_are_listed_as_specs_with_their_hints():
    listing = list_tools(McpSpec.parse(TIME_SERVER))
    assert listing.server == "mcp-time" and listing.version and not listing.errors
    tools = {t.spec.name: t for t in listing.tools}
    assert set(tools) == {"get_current_time", "convert_time"}
    convert = tools["convert_time"].spec
    assert convert.category == "mcp-time" and convert.source == "mcp:mcp-time" and convert.description
    assert sorted(convert.parameters["required"]) == ["source_timezone", "target_timezone", "time"]
    assert convert.parameters["properties"]["time"]["type"] == "string"
    assert all(t.read_only and not t.destructive for t in tools.values())  # the server marks both read-only


def test_a_missing_or_silent_or_non_mcp_server_is_one_load_error():
    missing = import_mcp("/nonexistent/mcp-server --flag")
    assert not missing.specs and "No such file" in missing.errors[0].message
    silent = import_mcp(f"{shlex.quote(sys.executable)} -c 'import time; time.sleep(60)'", timeout_s=3)
    assert not silent.specs and "did not list its tools within 3 s" in silent.errors[0].message
    chatter = import_mcp(f"{shlex.quote(sys.executable)} -c 'print(1); print(\"not json\")'", timeout_s=10)
    assert not chatter.specs and chatter.errors and chatter.errors[0].source.endswith("\"not json\")'")
    # Its own words on stderr end the message, the secrets it was given masked.
    said = import_mcp(McpSpec(text="quitter", command=(sys.executable, "-c", "import os, sys; sys.exit('no token: ' + "
                                                       "os.environ['T'])"), env=(("T", "tok-SECRET-1"),)), timeout_s=10)
    assert said.errors[0].message.endswith("its stderr ends: no token: ***")


def test_registry_list_shows_the_servers_tools(capsys):
    from apigen.cli import main

    assert main(["registry", "list", "--no-bundled", "--mcp", TIME_SERVER, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    common = {"category": "mcp-time", "source": "mcp:mcp-time", "kind": "mcp", "read_only": True, "destructive": False,
              "runs": True}
    assert rows == [{"name": "get_current_time", **common}, {"name": "convert_time", **common}]
