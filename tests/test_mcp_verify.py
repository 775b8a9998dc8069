"""``apigen verify --mcp``: a dataset whose rows call the lab server's tools is verified against the server
itself. Chunk workers settle what needs no server (a refused destructive call); the calls that run are made
by the flow process's execution task, never by a check-pool worker."""

from __future__ import annotations

import json
import os

import pytest

from apigen.cli import main
from helpers import lab_calls, lab_command


def _tool(name: str, description: str, **params: str) -> dict:
    return {"name": name, "description": description,
            "parameters": {p: {"type": kind, "description": p} for p, kind in params.items()}}


MULTIPLY = _tool("multiply", "Multiply two integers.", a="int", b="int")
FAIL = _tool("fail", "Always fails with the reason given.", reason="str")
ADD_NOTE = _tool("add_note", "Appends a note to the notebook file.", text="str")


@pytest.mark.usefixtures("prefect_server")
def test_rows_calling_mcp_tools_are_verified_by_the_server(tmp_path):
    log, notes = tmp_path / "lab.log", tmp_path / "notes.txt"
    rows = [
        {"id": 1, "query": "What is 6 times 7?", "tools": [MULTIPLY, FAIL],
         "answers": [{"name": "multiply", "arguments": {"a": 6, "b": 7}}]},
        {"id": 2, "query": "Fail with the reason maintenance.", "tools": [FAIL],
         "answers": [{"name": "fail", "arguments": {"reason": "maintenance"}}]},
        {"id": 3, "query": "Add the note buy milk.", "tools": [ADD_NOTE],
         "answers": [{"name": "add_note", "arguments": {"text": "buy milk"}}]},
    ]
    data, out = tmp_path / "rows.jsonl", tmp_path / "verdicts.jsonl"
    data.write_text("".join(json.dumps({**r, "tools": json.dumps(r["tools"]), "answers": json.dumps(r["answers"])}) + "\n"
                            for r in rows))
    assert main(["verify", str(data), "--mcp", lab_command(LAB_LOG=log, LAB_NOTES=notes), "--judge-model", "none",
                 "--out", str(out)]) == 0
    verdicts = {v["id"]: v for v in map(json.loads, out.read_text().splitlines())}
    execution = {i: v["stages"]["execution"] for i, v in verdicts.items()}
    assert (verdicts[1]["passed"], verdicts[2]["passed"]) == (True, False)

    assert execution[1]["status"] == "passed" and execution[1]["results"] == [{"result": 42}]
    assert execution[2]["status"] == "failed"
    assert [(e["code"], e["message"]) for e in execution[2]["errors"]] == [("execution_error",
                                                                            "fail: Error executing tool fail")]
    assert execution[3]["status"] == "skipped" and [e["code"] for e in execution[3]["errors"]] == ["destructive_tool"]
    assert not notes.exists()

    ran = lab_calls(log)
    assert sorted((c["tool"], json.dumps(c["arguments"])) for c in ran) == [
        ("fail", '{"reason": "maintenance"}'), ("multiply", '{"a": 6, "b": 7}')]
    assert {c["ppid"] for c in ran} == {os.getpid()}  # started by this (the flow's) process: no worker ran a call
