"""Ctrl-C, SIGTERM and kill -9 while LLM requests hang: the run ends in seconds and leaves no server behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from apigen.orphan_reaper import children_of

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")


@pytest.fixture()
def hanging_llm(free_port):
    """The simulated endpoint, every request held for 5 minutes: a run is stuck mid-request."""
    process = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(free_port),
                                "--error-rate", "1", "--error-kinds", "hang", "--delay-s", "300"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    process.stdout.readline()  # "serving on ..."
    yield free_port
    process.kill()
    process.wait()


def _requests(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as response:
        return json.loads(response.read())["requests"]


def _start_stuck_run(port: int, tmp_path) -> tuple[subprocess.Popen, dict[int, int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # its own temporary Prefect server
    run = subprocess.Popen([sys.executable, "-m", "apigen.cli", "generate", "--n", "8", "--model", "openai/apigen-sim",
                            "--api-base", f"http://127.0.0.1:{port}/v1", "--out", str(tmp_path / "out")],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while _requests(port) < 2 and time.monotonic() < deadline:  # preflight is 1; then generation hangs
        assert run.poll() is None, run.communicate()[1][-2000:]
        time.sleep(0.5)
    children = children_of(run.pid)
    assert children, "the run has started its temporary Prefect server and watchdog"
    return run, children


def _gone(processes: dict[int, int], within_s: float) -> bool:
    from apigen.orphan_reaper import _alive

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(_alive(pid, start) for pid, start in processes.items()):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_a_stuck_run_and_stops_its_servers(hanging_llm, tmp_path, sig):
    run, children = _start_stuck_run(hanging_llm, tmp_path)
    sent = time.monotonic()
    run.send_signal(sig)
    _, err = run.communicate(timeout=60)
    elapsed = time.monotonic() - sent
    assert run.returncode == 130 and "interrupted" in err and "cancelled" in err, err[-2000:]
    assert _gone(children, 15), "the temporary Prefect server outlived the run"
    assert not (tmp_path / "out" / "summary.json").exists()
    print(f"{sig.name}: exit after {elapsed:.1f} s")


def test_kill_9_leaves_no_server_running(hanging_llm, tmp_path):
    run, children = _start_stuck_run(hanging_llm, tmp_path)
    run.kill()
    run.wait()
    assert _gone(children, 20), "a server started by the killed run is still running"
