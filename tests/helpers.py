"""Small helpers shared by tests: read an exported dataset back, answer JSON from a loopback server."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from apigen.sim.server import send_json  # noqa: F401  (the tests' loopback servers answer with it)


def read_dataset(out: Path) -> tuple[list[dict], list[dict], dict]:
    verified = pq.read_table(out / "verified").to_pylist()
    rejected = pq.read_table(out / "rejected").to_pylist()
    summary = json.loads((out / "summary.json").read_text())
    return verified, rejected, summary


# A user's functions file and the tools it serves (one raises for 'Atlantis'), with a tool it lacks.
WEATHER_FUNCTIONS = ("def get_weather(city: str, days: int = 1) -> dict:\n"
                     "    \"\"\"Forecast for a city.\"\"\"\n"
                     "    if city == 'Atlantis':\n"
                     "        raise ValueError('unknown city')\n"
                     "    return {'city': city, 'days': days, 'forecast': ['sun'] * days}\n")
WEATHER_TOOL = {"name": "get_weather", "description": "Forecast for a city.",
                "parameters": {"city": {"type": "str", "description": "City"},
                               "days": {"type": "int, optional", "description": "Days"}}}
NEWS_TOOL = {"name": "get_news", "description": "News.", "parameters": {"topic": {"type": "str", "description": "Topic"}}}


# The lab MCP server (tests/mcp_servers/lab_server.py) over stdio, and what it logged it ran.
LAB_SERVER = Path(__file__).parent / "mcp_servers" / "lab_server.py"


def lab_command(**env: object) -> str:
    """Its command line, with ``env`` (LAB_LOG, LAB_NOTES, ...) set through ``env``: a stdio server is
    given only a minimal environment, never this process's variables."""
    import shlex
    import sys

    return shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), sys.executable, str(LAB_SERVER)])


def lab_calls(log: Path) -> list[dict]:
    """The calls the lab server really ran: tool, arguments, pid, ppid."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
