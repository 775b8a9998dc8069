"""A real model's calls to a real MCP server: SmolLM2-135M (llama.cpp's llama-server) writes calls to the
tools of ``mcp-server-time``, and stage 2 runs every call that passed the format stage on the server.

The model is tiny and its arguments are often nonsense (invented time zones, ISO dates for ``HH:MM``):
what must hold is that each is judged by the server itself, that the server's refusal is the row's
rejection with its own words, and that nothing is lost.
"""

from __future__ import annotations

import json
import shlex
import sys

import pyarrow.parquet as pq
import pytest

from apigen.cli import main
from llama_server import needs_llama_server

pytestmark = [needs_llama_server, pytest.mark.prefect]

TIME_SERVER = f"{shlex.quote(sys.executable)} -m mcp_server_time"


def test_a_real_models_calls_are_judged_by_the_real_server(llama_server, prefect_server, capsys, tmp_path):
    out = tmp_path / "run"
    code = main(["generate", "--model", llama_server.model, "--api-base", llama_server.api_base, "--mcp", TIME_SERVER,
                 "--n", "8", "--seed", "1", "--styles", "simple", "multiple", "--out", str(out)])
    assert code == 0, capsys.readouterr().err[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    rows = pq.read_table(out / "rejected").to_pylist() + (
        pq.read_table(out / "verified").to_pylist() if (out / "verified").exists() else [])
    assert len(rows) == summary["generated"] > 0
    assert summary["stages"]["execution"]["in"] == summary["stages"]["format"]["passed"] > 0
    for row in rows:
        calls = json.loads(row["answers"]) if row.get("rejected_stage") != "format" else []
        assert all(c["name"] in ("get_current_time", "convert_time") for c in calls)
        if row.get("rejected_stage") == "execution":
            errors = json.loads(row["errors"])
            assert {e["code"] for e in errors} == {"execution_error"}
            assert all("Error executing tool" in e["message"] for e in errors)  # the server's own words
        elif row.get("rejected_stage") in (None, "semantic"):
            results = json.loads(row["execution_results"])
            assert len(results) == len(calls) and all(isinstance(r, dict) and "timezone" in json.dumps(r) for r in results)
