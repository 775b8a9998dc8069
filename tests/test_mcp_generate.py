"""Generating verified data for an MCP server: the real ``mcp-server-time`` from PyPI, started by the run.

Verified rows' calls really ran on the server: their recorded results are the server's answers to
those very arguments (and the current time is now). The simulator's planted bad calls are rejected at
the stage each is aimed at, with the execution-stage flaws being arguments the server itself refused.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone

import pytest

from api_registry.mcp_executor import McpExecutor
from api_registry.sources import RegistrySources, load_registry
from apigen.config import ExecutionSettings, LLMConfig, RunConfig
from apigen.sim.content import FLAW_STAGE
from apigen.sim.mcp_examples import mcp_lookup
from apigen.sim.server import SimConfig, SimServer, registry_lookup
from helpers import lab_calls, lab_command, read_dataset

pytestmark = pytest.mark.usefixtures("prefect_server")

TIME_SERVER = f"{shlex.quote(sys.executable)} -m mcp_server_time"
TOOLS = {"get_current_time", "convert_time"}


def assert_real_result(call: dict, result: dict, now: datetime) -> None:
    """The server's own answer to these arguments: the zones asked for, the time given, today's date."""
    args = call["arguments"]
    if call["name"] == "get_current_time":
        assert result["timezone"] == args["timezone"]
        assert abs((datetime.fromisoformat(result["datetime"]) - now).total_seconds()) < 600
    else:
        assert result["source"]["timezone"] == args["source_timezone"]
        assert result["target"]["timezone"] == args["target_timezone"]
        assert result["source"]["datetime"][11:16] == args["time"]
        assert result["time_difference"].endswith("h")


def test_generate_simulate_with_the_time_server_verifies_real_calls(tmp_path, capsys):
    from apigen.cli import main

    out = tmp_path / "out"
    assert main(["generate", "--simulate", "--mcp", TIME_SERVER, "--n", "40", "--out", str(out)]) == 0
    now = datetime.now(timezone.utc)
    verified, rejected, summary = read_dataset(out)
    assert len(verified) >= 15 and len(verified) + len(rejected) == 40
    calls = 0
    for row in verified:
        answers = json.loads(row["answers"])
        results = json.loads(row["execution_results"]) if row["execution_results"] else []
        assert len(results) == len(answers)
        for call, result in zip(answers, results):
            assert call["name"] in TOOLS  # --mcp leaves the bundled library out
            assert_real_result(call, result, now)
            calls += 1
    assert calls >= 15
    for row in rejected:
        if row["rejected_stage"] == "execution":  # only ever the server's own refusal
            assert row["error_codes"] == ["execution_error"] and "Invalid timezone" in row["errors"]
    assert summary["stages"]["execution"]["in"] > 0


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    from flows.generate_dataset import generate_dataset

    out = tmp_path_factory.mktemp("mcp-gen") / "out"
    sources = RegistrySources(bundled=False, mcp=(TIME_SERVER,))
    probe = McpExecutor(size=1, cached=False)
    try:
        lookup = mcp_lookup(load_registry(sources), registry_lookup(), probe.call, seed=3)
    finally:
        probe.close()
    with SimServer(SimConfig(seed=3, flaw_rate=0.5, label_repeats=True), lookup=lookup) as server:
        llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True)
        summary = generate_dataset(RunConfig(n=80, generator=llm, judge=llm, seed=3, batch_size=40, out=str(out),
                                             result_storage=str(out.parent / "store"),
                                             execution=ExecutionSettings(registry=sources)))
        planted = [p.as_dict() for p in server.sim.state.planted]
    verified, rejected, _ = read_dataset(out)
    return summary, planted, verified, rejected, lookup


def time_servers_of_this_process() -> list[int]:
    """Live ``mcp_server_time`` processes this test process started (its children)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"mcp_server_time" in command:
            found.append(int(entry))
    return found


def test_the_run_shuts_its_servers_down_at_the_end(planted_run):
    deadline = time.monotonic() + 10
    while time_servers_of_this_process() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert time_servers_of_this_process() == []


def test_the_probe_learns_good_and_refused_arguments_from_the_server(planted_run):
    lookup = planted_run[4]
    good, bad = lookup("convert_time")
    assert good and bad  # a description's own example zone (America/San_Francisco) does not exist
    assert all("America/San_Francisco" in (a["source_timezone"], a["target_timezone"]) for a in bad)
    assert lookup("get_current_time")[0] and not lookup("get_current_time")[1]


def test_planted_bad_calls_are_rejected_at_their_stage_and_clean_ones_verified(planted_run):
    summary, planted, verified, rejected, _ = planted_run
    now = datetime.now(timezone.utc)
    rows = defaultdict(list)
    for row in verified:
        rows[row["query"]].append(("verified", row))
    for row in rejected:
        rows[row["query"]].append((row["rejected_stage"], row))
    records = defaultdict(list)
    for record in planted:
        records[record["query"]].append(record)
    stages = Counter()
    for query, group in records.items():
        # Of the clean pairs asking the very same thing (two tools give few distinct calls), one is kept
        # and the later ones are dedup's; every flawed pair is rejected at the stage its flaw is aimed at.
        clean = sum(1 for r in group if r["flaw"] is None)
        expected = Counter(FLAW_STAGE[r["flaw"]] for r in group if r["flaw"])
        expected.update({"verified": min(clean, 1), "dedup": max(clean - 1, 0)})
        got = Counter(stage for stage, _ in rows[query])
        assert got == +expected, (group, rows[query])
        stages.update(+expected)
        for record in group:
            if record["flaw"] == "raises":
                row = next(r for stage, r in rows[query] if stage == "execution")
                assert row["error_codes"] == ["execution_error"] and "Invalid timezone" in row["errors"]
        for stage, row in rows[query]:
            if stage == "verified":
                for call, result in zip(json.loads(row["answers"]), json.loads(row["execution_results"] or "[]")):
                    assert_real_result(call, result, now)
    assert stages["format"] and stages["execution"] and stages["semantic"] and stages["verified"] >= 20
    assert summary["stages"]["execution"]["failed"] == stages["execution"]


@pytest.mark.parametrize("allow", [False, True])
def test_generate_never_runs_a_destructive_tool_unless_allowed(tmp_path, allow):
    from apigen.cli import main

    log, notes = tmp_path / "calls.jsonl", tmp_path / "notes.txt"
    server = lab_command(LAB_LOG=log, LAB_NOTES=notes)
    # --mcp-timeout 2: the lab server's `sleep` is sampled too, with made-up durations
    assert main(["generate", "--simulate", "--mcp", server, "--n", "30", "--styles", "simple", "--mcp-timeout", "2",
                 "--out", str(tmp_path / "out"), *(["--allow-destructive"] if allow else [])]) == 0
    verified, rejected, _ = read_dataset(tmp_path / "out")
    offered = {tool["name"] for row in verified + rejected for tool in json.loads(row["tools"])}
    ran = {call["tool"] for call in lab_calls(log)}
    if allow:
        assert "add_note" in offered and "add_note" in ran and notes.read_text().strip()
    else:  # neither offered to the model nor ever run, though the other tools were
        assert "add_note" not in offered and "add_note" not in ran and not notes.exists()
        assert {"multiply", "whoami"} & ran
