"""Resume: a run killed with SIGKILL and started again only asks the LLM for unfinished batches.

Everything is real: the simulated LLM in its own process (its request counters are the witness),
``apigen generate`` as a subprocess against the session's Prefect server, and ``kill -9``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from apigen.config import LLMConfig, RunConfig
from apigen.generation import build_messages
from tasks.sample import plan_batch

pytestmark = pytest.mark.usefixtures("prefect_server")
SEED, N, BATCH = 5, 96, 16


def _get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def sim_port(tmp_path_factory):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--seed", "5",
                                "--latency-ms", "150", "--flaw-rate", "0.2"], stdout=subprocess.PIPE, text=True)
    assert "serving" in process.stdout.readline()
    yield port
    process.terminate()
    process.wait(timeout=10)


def _command(port: int, out: Path, storage: Path) -> list[str]:
    return [sys.executable, "-m", "apigen.cli", "generate", "--model", "openai/apigen-sim",
            "--api-base", f"http://127.0.0.1:{port}/v1", "--n", str(N), "--batch-size", str(BATCH),
            "--concurrency", "2", "--seed", str(SEED), "--out", str(out), "--result-storage", str(storage)]


def _env() -> dict[str, str]:
    return {**os.environ, "APIGEN_LLM_API_KEY": "sim-key"}


def _generation_prompts(port: int) -> dict[int, set[str]]:
    """The hash of every generation prompt, per batch, as the run itself will build them."""
    llm = LLMConfig(model="openai/apigen-sim", api_base=f"http://127.0.0.1:{port}/v1")
    config = RunConfig(n=N, generator=llm, judge=llm, seed=SEED, batch_size=BATCH)
    return {b: {hashlib.sha256(build_messages(r)[0]["content"].encode()).hexdigest()[:16] for r in plan_batch(config, b)}
            for b in range(config.batch_count)}


async def _completed_generate_batches(since: float, out: Path) -> set[int]:
    """Batches whose generate task finished in the killed run (the run writing ``out``: other tests'
    runs may still be going), read back from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterStartTime

    async with get_client() as client:
        import datetime as dt

        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["generate-dataset"])),
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=dt.datetime.fromtimestamp(since, dt.timezone.utc))))
        runs = [r for r in runs if (r.parameters.get("config") or {}).get("out") == str(out)]
        assert runs, "the killed run never started"
        tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": [runs[0].id]}))
    finished = {int(t.name.rsplit("-", 1)[1]) for t in tasks
                if t.name.startswith("generate-batch-") and t.state is not None and t.state.is_completed()}
    if not finished:
        print("killed run's tasks:", len(runs), sorted((t.name, t.state_type) for t in tasks))
    return finished


def test_killed_run_resumes_without_asking_again(tmp_path, sim_port):
    prompts = _generation_prompts(sim_port)
    # An uninterrupted run, for reference.
    before = _get(sim_port, "/stats")["requests"]
    subprocess.run(_command(sim_port, tmp_path / "full", tmp_path / "store-full"), env=_env(), check=True,
                   capture_output=True, timeout=600)
    full_requests = _get(sim_port, "/stats")["requests"] - before

    # The same run, killed with SIGKILL once some batches are through.
    started = time.time()
    before = _get(sim_port, "/stats")["requests"]
    run = subprocess.Popen(_command(sim_port, tmp_path / "out", tmp_path / "store"), env=_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while _get(sim_port, "/stats")["requests"] - before < full_requests // 2:
        assert run.poll() is None, "the run finished before it could be killed"
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert not (tmp_path / "out" / "summary.json").exists()  # nothing looks complete
    finished: set[int] = set()
    for _ in range(40):  # the server records task states from events, asynchronously: a loaded one lags
        finished = asyncio.run(_completed_generate_batches(started, tmp_path / "out"))
        if finished:
            break
        time.sleep(0.5)
    assert 0 < len(finished) < len(prompts)
    counts_at_kill = _get(sim_port, "/prompts")
    requests_at_kill = _get(sim_port, "/stats")["requests"]

    # Started again: finished batches are loaded, not re-requested.
    subprocess.run(_command(sim_port, tmp_path / "out", tmp_path / "store"), env=_env(), check=True,
                   capture_output=True, timeout=600)
    counts = _get(sim_port, "/prompts")
    resumed_requests = _get(sim_port, "/stats")["requests"] - requests_at_kill
    for batch in finished:
        again = {h: counts.get(h, 0) - counts_at_kill.get(h, 0) for h in prompts[batch]}
        assert not any(again.values()), f"batch {batch} had finished but was asked again: {again}"
    assert 0 < resumed_requests < full_requests
    assert pq.read_table(tmp_path / "out" / "verified").to_pylist() == pq.read_table(tmp_path / "full" / "verified").to_pylist()

    # A second identical run is answered from the cache: zero LLM requests.
    before = _get(sim_port, "/stats")["requests"]
    subprocess.run(_command(sim_port, tmp_path / "again", tmp_path / "store"), env=_env(), check=True,
                   capture_output=True, timeout=600)
    assert _get(sim_port, "/stats")["requests"] == before
    assert pq.read_table(tmp_path / "again" / "verified").to_pylist() == pq.read_table(tmp_path / "full" / "verified").to_pylist()
