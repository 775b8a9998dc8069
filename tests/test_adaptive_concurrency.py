"""Adaptive concurrency (AIMD per endpoint): the controller's rule, the asyncio limiter, and an end-to-end
run through ``apigen.llm`` against a real simulator process in a 429 storm, counted from its request log."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
import urllib.request

import pytest

from apigen.adaptive_limit import AdaptiveLimiter, AimdController
from apigen.global_limits import endpoint_label, limit_name, rate_limit_shape
from apigen.llm_errors import Failure
from apigen.sim.server import Storm

# --- the controller ------------------------------------------------------------------------------------


def test_starts_at_the_ceiling_and_halves_once_per_window_on_429():
    aimd = AimdController(ceiling=32)
    assert aimd.limit == 32
    epoch = aimd.epoch
    change = aimd.on_overload(epoch, "http_429")
    assert (change.old, change.new, change.reason) == (32, 16, "http_429")
    # the other requests of the same window were sent under the old limit: no second halving
    assert aimd.on_overload(epoch, "http_429") is None and aimd.limit == 16
    assert aimd.on_overload(aimd.epoch).new == 8  # a request sent after the decrease: halve again


def test_never_below_the_floor():
    aimd = AimdController(ceiling=8, floor=2)
    for _ in range(10):
        aimd.on_overload(aimd.epoch)
    assert aimd.limit == 2


def test_recovers_additively_after_success_streaks_up_to_the_ceiling():
    aimd = AimdController(ceiling=8)
    for _ in range(3):
        aimd.on_overload(aimd.epoch)
    assert aimd.limit == 1
    seen = [aimd.limit]
    for _ in range(200):
        change = aimd.on_success(aimd.epoch)
        if change:
            assert change.new == change.old + 1  # additive: one slot at a time
            seen.append(change.new)
    assert seen == list(range(1, 9))  # 1 -> 8, and never above the ceiling
    assert aimd.limit == 8


def test_a_streak_needs_as_many_successes_as_the_limit():
    aimd = AimdController(ceiling=16)
    aimd.on_overload(aimd.epoch)
    assert aimd.limit == 8
    assert all(aimd.on_success(aimd.epoch) is None for _ in range(7))
    assert aimd.on_success(aimd.epoch).new == 9


def test_an_overload_breaks_the_success_streak():
    aimd = AimdController(ceiling=16)
    aimd.on_overload(aimd.epoch)  # 8
    old_epoch = aimd.epoch - 1
    for _ in range(7):
        aimd.on_success(aimd.epoch)
    aimd.on_overload(old_epoch)  # an old refusal: no decrease, but no streak either
    assert aimd.limit == 8 and aimd.on_success(aimd.epoch) is None


def test_a_fixed_limit_when_floor_equals_ceiling():
    aimd = AimdController(ceiling=4, floor=4)
    assert aimd.on_overload(aimd.epoch) is None and aimd.limit == 4
    assert all(aimd.on_success(aimd.epoch) is None for _ in range(50))


def test_rising_latency_backs_off():
    aimd = AimdController(ceiling=16, latency_factor=3.0, latency_warmup=20)
    assert all(aimd.on_success(aimd.epoch, 0.2) is None for _ in range(40))  # steady: no change at the ceiling
    changes = [aimd.on_success(aimd.epoch, 2.0) for _ in range(10)]
    decreases = [c for c in changes if c is not None and c.new < c.old]
    assert decreases and decreases[0].reason == "latency rose" and decreases[0].new == 8


def test_a_mix_of_short_and_long_requests_is_not_a_latency_rise():
    aimd = AimdController(ceiling=16, latency_factor=3.0)
    for i in range(400):  # judge requests (short) interleaved with generation requests (long)
        aimd.on_success(aimd.epoch, 0.05 if i % 3 else 1.0)
    assert aimd.limit == 16


def test_no_latency_signal_when_turned_off():
    aimd = AimdController(ceiling=4, latency_factor=None)
    for latency in [0.1] * 30 + [10.0] * 30:
        aimd.on_success(aimd.epoch, latency)
    assert aimd.limit == 4


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError):
        AimdController(ceiling=4, floor=5)
    with pytest.raises(ValueError):
        AimdController(ceiling=4, decrease=1.0)


# --- the limiter ----------------------------------------------------------------------------------------


def test_the_limiter_bounds_requests_in_flight_and_follows_the_limit():
    async def run() -> tuple[int, int]:
        limiter = AdaptiveLimiter(AimdController(ceiling=6))
        peak = {"before": 0, "after": 0}
        phase = "before"

        async def request(overload: bool) -> None:
            async with limiter.slot() as slot:
                peak[phase] = max(peak[phase], limiter.in_flight)
                await asyncio.sleep(0.01)
                if overload:
                    slot.overloaded("http_429")

        await asyncio.gather(*(request(i == 0) for i in range(30)))  # one 429: the limit halves to 3
        assert limiter.limit == 3
        limiter.controller.latency_factor = None
        phase = "after"
        await asyncio.gather(*(request(False) for i in range(2)))
        await asyncio.gather(*(request(False) for i in range(30)))
        return peak["before"], peak["after"]

    before, after = asyncio.run(run())
    assert before == 6 and after <= 4  # 3, plus at most one additive step during the 32 requests


def test_a_cancelled_waiter_leaks_no_slot():
    async def run() -> int:
        limiter = AdaptiveLimiter(AimdController(ceiling=1))
        async with limiter.slot():
            waiter = asyncio.ensure_future(limiter.acquire())
            await asyncio.sleep(0)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        async with limiter.slot():  # the slot is free again
            pass
        return limiter.in_flight

    assert asyncio.run(run()) == 0


def test_overload_failures_are_what_backs_off():
    from apigen.llm import is_overload

    assert is_overload(Failure("rate_limited", True, 429))
    assert is_overload(Failure("server_error", True, 503))
    assert is_overload(Failure("timeout", True, None))
    assert not is_overload(Failure("server_error", True, 500))
    assert not is_overload(Failure("bad_request", False, 400))


def test_one_limit_is_shared_by_every_batch_of_the_process():
    """Batches run in task threads, each calling run_sync: their requests share the endpoint's limit."""
    import threading

    from pydantic import SecretStr

    from apigen.llm import Endpoint, complete, gather_limited, run_sync
    from apigen.sim.server import SimConfig, SimServer

    with SimServer(SimConfig(latency_ms=150), lookup=lambda name: ([], [])) as server:
        endpoint = Endpoint(model="openai/apigen-sim-shared", api_base=server.api_base, api_key=SecretStr("sim"),
                            concurrency=3)

        def batch(index: int) -> None:
            run_sync(gather_limited([complete(endpoint, [{"role": "user", "content": f"{index}-{i}"}])
                                     for i in range(6)]))

        threads = [threading.Thread(target=batch, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stats = server.sim.stats()
    assert stats["status_200"] == 24 and stats["peak_in_flight"] == 3


# --- names and the simulator's storm ---------------------------------------------------------------------


def test_global_limit_names_carry_no_secret_and_no_banned_character():
    name = limit_name("openai/gpt-4o-mini", "https://user:sk-secret@api.example.com:8443/v1/?key=sk-other")
    assert name == "apigen-llm-concurrency:openai:gpt-4o-mini@api.example.com:8443:v1"
    assert not set("/%&<>") & set(name) and "sk-" not in name and "user" not in name
    assert limit_name("openai/x", None, "rpm") == "apigen-llm-rpm:openai:x@default"
    assert endpoint_label("m", "http://127.0.0.1:8001/v1") == "m@127.0.0.1:8001/v1"
    assert rate_limit_shape(600, 8) == (8, 10.0) and rate_limit_shape(30, 8) == (1, 0.5)


def test_storm_parsing():
    assert Storm.parse("2:5") == Storm(2.0, 5.0, 0)
    assert Storm.parse("1.5:4:3").limit_at(2.0) == 3
    assert Storm.parse("1:2").limit_at(2.5) is None
    for bad in ("5:2", "x:1", "1", "1:2:-1"):
        with pytest.raises(ValueError):
            Storm.parse(bad)


# --- end to end: a real simulator process in a 429 storm ---------------------------------------------------

LATENCY_MS, CONCURRENCY = 200, 8
STORM = (3.0, 6.0, 2)  # seconds after the first request, and the capacity beyond which the server refuses
RUN_S = 11.0


def _start_sim(port: int) -> subprocess.Popen:
    start, end, capacity = STORM
    process = subprocess.Popen(
        [sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--latency-ms", str(LATENCY_MS),
         "--storm", f"{start}:{end}:{capacity}"], stdout=subprocess.PIPE, text=True)
    assert "serving" in process.stdout.readline()
    return process


def _drive(port: int, model: str, floor: int) -> None:
    """Keep the endpoint busy for RUN_S seconds through apigen.llm, more callers than slots."""
    from pydantic import SecretStr

    from apigen.llm import Endpoint, LLMError, _litellm, complete, run_sync

    endpoint = Endpoint(model=model, api_base=f"http://127.0.0.1:{port}/v1", api_key=SecretStr("sim"),
                        concurrency=CONCURRENCY, min_concurrency=floor, max_attempts=3, backoff_s=0.1,
                        backoff_cap_s=0.5, timeout_s=10)

    async def caller(deadline: float) -> None:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            try:
                await complete(endpoint, [{"role": "user", "content": f"say hello {i}"}])
            except LLMError:
                pass

    async def run() -> None:
        started = time.monotonic()  # the simulator's clock starts at this first request
        await complete(endpoint, [{"role": "user", "content": "warm up"}])
        await asyncio.gather(*(caller(started + RUN_S) for _ in range(3 * CONCURRENCY)))

    _litellm()  # imported before the simulator's clock starts

    run_sync(run())


def _counts(port: int) -> dict[str, dict[int, float]]:
    """Per phase (before, during, after the storm): requests per second by HTTP status."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/log", timeout=10) as response:
        log = json.load(response)
    start, end, _ = STORM
    phases = {"before": (1.0, start), "during": (start, end), "after": (end + 2.5, RUN_S - 0.3)}
    counts: dict[str, dict[int, float]] = {}
    for phase, (lo, hi) in phases.items():
        statuses = [status for t, status, _ in log if lo <= t < hi]
        counts[phase] = {s: statuses.count(s) / (hi - lo) for s in (200, 429)}
    return counts


def _run_against_storm(port: int, model: str, floor: int) -> dict[str, dict[int, float]]:
    sim = _start_sim(port)
    try:
        _drive(port, model, floor)
        return _counts(port)
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_backs_off_in_a_429_storm_and_recovers(caplog):
    caplog.set_level(logging.INFO, logger="apigen.llm")
    adaptive = _run_against_storm(_free_port(), "openai/apigen-sim-adaptive", floor=1)
    limit_lines = [r for r in caplog.records if "concurrency limit" in r.getMessage()]
    fixed = _run_against_storm(_free_port(), "openai/apigen-sim-fixed", floor=CONCURRENCY)  # floor = ceiling

    # Before the storm both run at the ceiling without refusals.
    assert adaptive["before"][429] == 0 and adaptive["before"][200] > 0
    # During the storm the adaptive client is refused far less often than a fixed-concurrency one ...
    assert fixed["during"][429] > 0
    assert adaptive["during"][429] < 0.5 * fixed["during"][429], (adaptive, fixed)
    # ... still gets answers, and after the storm recovers most of its throughput.
    assert adaptive["during"][200] > 0
    assert adaptive["after"][200] >= 0.4 * adaptive["before"][200], adaptive
    # The limit's moves are logged once per change, not once per request.
    decreases = [r for r in limit_lines if r.levelno == logging.WARNING]
    assert decreases and len(limit_lines) < 0.2 * sum(sum(c.values()) for c in adaptive.values()) * RUN_S


# --- cluster-wide limits through Prefect global concurrency limits (real server) ---------------------------

CLUSTER_CALLER = r'''
import asyncio, sys
from pydantic import SecretStr
from apigen.llm import Endpoint, complete, run_sync
endpoint = Endpoint(model="openai/apigen-sim-cluster", api_base=sys.argv[1], api_key=SecretStr("sim"), concurrency=2,
                    cluster_limit=True, timeout_s=30)
async def run():
    await asyncio.gather(*(complete(endpoint, [{"role": "user", "content": f"hello {i}"}]) for i in range(8)))
run_sync(run())
print("done")
'''


def test_cluster_limit_holds_across_two_processes(prefect_server):
    """Two processes, each allowed 2 requests in flight locally, share one global limit of 2."""
    import os

    from apigen.global_limits import limit_name

    port = _free_port()
    sim = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--latency-ms", "300"],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert "serving" in sim.stdout.readline()
        api_base = f"http://127.0.0.1:{port}/v1"
        env = {**os.environ, "PREFECT_API_URL": prefect_server[0]}
        callers = [subprocess.Popen([sys.executable, "-c", CLUSTER_CALLER, api_base], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [c.communicate(timeout=240) for c in callers]
        assert all(c.returncode == 0 and "done" in out for c, (out, _) in zip(callers, outputs)), outputs
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as response:
            stats = json.load(response)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert stats["status_200"] == 16
    assert stats["peak_in_flight"] <= 2  # without the global limit: 4 (2 per process)

    from prefect.client.orchestration import get_client
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def read():
        async with get_client() as client:
            return await client.read_global_concurrency_limit_by_name(
                limit_name("openai/apigen-sim-cluster", api_base))

    limit = run_coro_as_sync(read())
    assert limit.limit == 2 and limit.active_slots == 0


def test_blocks_register_creates_the_limits_of_saved_endpoints(prefect_server, capsys):
    from apigen.cli import main
    from apigen.global_limits import limit_name
    from blocks.llm import LLMEndpoint

    assert main(["blocks", "register"]) == 0
    LLMEndpoint(model="openai/gpt-4o-mini", api_base="https://user:pw@llm.example.com/v1", api_key="sk-test-123",
                concurrency=5, rpm=120).save("gcl-test-endpoint", overwrite=True)
    capsys.readouterr()
    assert main(["blocks", "register"]) == 0
    out = capsys.readouterr().out
    name = limit_name("openai/gpt-4o-mini", "https://user:pw@llm.example.com/v1")
    assert name in out and limit_name("openai/gpt-4o-mini", "https://llm.example.com/v1", "rpm") in out
    assert "sk-test-123" not in out and "pw@" not in out


def _dask_batch(api_base: str, index: int) -> tuple[bool, int]:
    """One batch on a Dask worker: 6 requests at once, through the run's LLMConfig (cluster_limit auto)."""
    import os

    from apigen.config import LLMConfig
    from apigen.llm import complete, gather_limited, run_sync

    endpoint = LLMConfig(model="openai/apigen-sim-dask", api_base=api_base, concurrency=2, simulated=True).endpoint()
    run_sync(gather_limited([complete(endpoint, [{"role": "user", "content": f"b{index} {i}"}]) for i in range(6)]))
    return endpoint.cluster_limit, os.getpid()


def test_dask_workers_share_the_endpoint_limit(prefect_server, monkeypatch):
    """On a Dask cluster the limit is cluster-wide without being asked for: two worker processes, each
    with a local limit of 2, together keep at most 2 requests in flight."""
    import os
    from pathlib import Path

    from prefect import flow, task
    from prefect_dask import DaskTaskRunner

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    port = _free_port()
    sim = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--latency-ms", "300"],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert "serving" in sim.stdout.readline()
        batch = task(_dask_batch)

        @flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "processes": True, "threads_per_worker": 1,
                                                         "dashboard_address": None}))
        def run(api_base: str) -> list[tuple[bool, int]]:
            return [f.result() for f in [batch.submit(api_base, i) for i in range(2)]]

        results = run(f"http://127.0.0.1:{port}/v1")
        assert [cluster for cluster, _ in results] == [True, True]  # in a Dask worker: cluster-wide by default
        assert len({pid for _, pid in results}) == 2  # two worker processes
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as response:
            stats = json.load(response)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert stats["status_200"] == 12 and stats["peak_in_flight"] <= 2
