"""One run per output location: a second run on the same ``--out`` fails fast (exit 2) naming the
holder, and a crash between the two renames of the output swap never hides the previous dataset.

Before: both runs exited 0 and one silently replaced the other (or they raced into
``FileNotFoundError``/``ENOTEMPTY``), and a crash mid-swap left no ``out`` and an ``.old-*`` directory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from apigen.export import write_dataset

CLI = [sys.executable, "-m", "apigen.cli"]


def _wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_second_run_on_a_held_output_fails_fast_naming_the_holder(tmp_path):
    from apigen.output_lock import OutputLock

    out = tmp_path / "out"
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": 1, "query": "q", "tools": [], "answers": []}) + "\n")
    with OutputLock(out, "the test's own run"), OutputLock(tmp_path / "v.jsonl", "the test's verify run"):
        started = time.monotonic()
        generate = subprocess.run([*CLI, "generate", "--simulate", "--n", "4", "--out", str(out)],
                                  capture_output=True, text=True, timeout=400)
        verify = subprocess.run([*CLI, "verify", str(rows), "--stages", "format", "--out", str(tmp_path / "v.jsonl")],
                                capture_output=True, text=True, timeout=400)
        elapsed = time.monotonic() - started
    for run, holder in ((generate, "the test's own run"), (verify, "the test's verify run")):
        assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
        line = run.stderr.strip().splitlines()[-1]
        assert "error:" in line and f"pid {os.getpid()}" in line and holder in line, line
    assert elapsed < 60  # failed before any server started
    assert not out.exists() and not (tmp_path / "v.jsonl").exists()


@pytest.fixture()
def slow_sim_llm():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([*CLI, "sim-llm", "--port", str(port), "--latency-ms", "2500", "--flaw-rate", "0"],
                              stdout=subprocess.PIPE, text=True)
    assert "serving" in server.stdout.readline()
    yield port
    server.terminate()
    server.wait(timeout=10)


def _sim_requests(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as response:
        return json.loads(response.read())["requests"]


@pytest.mark.usefixtures("prefect_server")
def test_two_concurrent_cli_runs_on_one_output(tmp_path, slow_sim_llm):
    out = tmp_path / "out"
    command = [*CLI, "generate", "--model", "openai/apigen-sim", "--api-base", f"http://127.0.0.1:{slow_sim_llm}/v1",
               "--n", "4", "--out", str(out)]
    env = {**os.environ, "APIGEN_LLM_API_KEY": "sim-key"}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _sim_requests(slow_sim_llm) > 0, 120, "the first run's first LLM request")
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=400)
        assert second.returncode == 2, (second.returncode, second.stderr[-2000:])
        assert first.poll() is None, "the first run ended before the second was refused: slow the sim LLM down"
        first_stdout, first_stderr = first.communicate(timeout=400)
    finally:
        if first.poll() is None:
            first.kill()
    assert f"pid {first.pid}" in second.stderr and "apigen generate" in second.stderr
    assert first.returncode == 0, first_stderr[-3000:]
    assert json.loads((out / "summary.json").read_text())["generated"] > 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.") and p.name != ".out.lock") == []


def _crash_between_the_renames(out: Path, version: int) -> subprocess.CompletedProcess:
    """Export a dataset in a real process that dies right after moving the previous one aside."""
    script = f"""
import os
import apigen.export as export
real, moves = os.replace, []
def replace(src, dst):
    moves.append(dst)
    if len(moves) == 2:
        os._exit(9)  # the crash: the old dataset is aside, the new one not yet in place
    real(src, dst)
export.os.replace = replace
export.write_dataset([], {{"version": {version}}}, {str(out)!r})
"""
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_a_crash_between_the_renames_is_recovered_with_nothing_lost(tmp_path):
    from apigen.export import recover_output
    from apigen.output_lock import OutputLock

    out = tmp_path / "out"
    write_dataset([], {"version": 1}, out)
    crashed = _crash_between_the_renames(out, version=2)
    assert crashed.returncode == 9, crashed.stderr
    assert not out.exists()  # the moment of the crash: the previous dataset is only under its .old- name
    assert len(list(tmp_path.glob(".out.old-*"))) == 1 and len(list(tmp_path.glob(".out.staging-*"))) == 1

    with OutputLock(out, "the next run"):
        lines = recover_output(out)
    assert json.loads((out / "summary.json").read_text()) == {"version": 1}  # the previous dataset, back
    assert (out / "verified" / "part-00000.parquet").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.") and p.name != ".out.lock"] == []
    assert any("restored the previous dataset" in line and ".out.old-" in line for line in lines), lines
    assert any("removed .out.staging-" in line for line in lines), lines
    assert recover_output(out) == []  # nothing left to do


def test_leftovers_beside_a_complete_output_are_cleaned(tmp_path):
    from apigen.export import recover_output

    out = tmp_path / "out"
    write_dataset([], {"version": 1}, out)
    write_dataset([], {"version": 0}, tmp_path / ".out.old-deadbeef")  # left by a run killed after the swap
    (tmp_path / ".out.staging-cafef00d" / "verified").mkdir(parents=True)  # left by a run killed mid-export
    lines = recover_output(out)
    assert json.loads((out / "summary.json").read_text()) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert len(lines) == 2 and all(line.startswith("removed .out.") for line in lines), lines


@pytest.mark.usefixtures("prefect_server")
def test_the_next_cli_run_recovers_a_crashed_swap_and_says_so(tmp_path):
    out = tmp_path / "out"
    write_dataset([], {"version": 1}, out)
    assert _crash_between_the_renames(out, version=2).returncode == 9
    run = subprocess.run([*CLI, "generate", "--simulate", "--n", "4", "--out", str(out)],
                         capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "restored the previous dataset" in run.stderr and "removed .out.staging-" in run.stderr, run.stderr[-3000:]
    assert json.loads((out / "summary.json").read_text())["generated"] > 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.") and p.name != ".out.lock") == []
