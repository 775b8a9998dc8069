"""The simulated endpoint over real HTTP through litellm: replies, planted flaws, injected errors, retries."""

import json
import urllib.request

import pytest

from api_registry.registry import bundled_registry
from apigen.generation import generate_batch
from apigen.llm import CallStats, Endpoint, LLMError, complete, run_sync
from apigen.models import Style
from apigen.sampling import ApiSampler, ExampleSampler, PromptSampler, RequestPlanner
from apigen.sim.server import REJECTED_KEY, SimConfig, SimServer

PROVENANCE = {"seed": 0, "generator_model": "openai/apigen-sim", "prompt_version": "p", "simulated": True}


def endpoint(server: SimServer, **kw) -> Endpoint:
    return Endpoint(model="openai/apigen-sim", api_base=server.api_base, api_key="simulated", **kw)


def requests(n: int, seed: int = 0):
    planner = RequestPlanner(ApiSampler(bundled_registry().specs()), ExampleSampler(), PromptSampler(),
                             styles=tuple(Style), seed=seed, n=n, pairs_per_request=4)
    return planner.plan_range(0, planner.request_count)


def get(server: SimServer, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}") as response:
        return json.loads(response.read())


def test_replies_parse_into_the_requested_pairs_and_stats_count_requests():
    with SimServer(SimConfig(seed=1)) as server:
        batch = run_sync(generate_batch(requests(20), endpoint(server), PROVENANCE))
        assert len(batch.samples) == 20 and not batch.failed_requests
        assert get(server, "/stats")["requests"] == 5 == batch.stats.requests
        assert all(s.query and isinstance(s.answers, list) for s in batch.samples)


def test_same_prompt_same_reply_regardless_of_order():
    reqs = requests(12)
    with SimServer(SimConfig(seed=2, flaw_rate=0.5)) as a, SimServer(SimConfig(seed=2, flaw_rate=0.5)) as b:
        first = run_sync(generate_batch(reqs, endpoint(a), PROVENANCE)).samples
        second = run_sync(generate_batch(list(reversed(reqs)), endpoint(b), PROVENANCE)).samples
    key = lambda s: (s.provenance.request_index, s.provenance.pair_index)  # noqa: E731
    assert [(s.query, s.answers) for s in sorted(first, key=key)] == [(s.query, s.answers) for s in sorted(second, key=key)]


def test_transient_errors_are_retried_until_success():
    with SimServer(SimConfig(seed=3, error_rate=0.4, delay_s=5.0)) as server:
        ep = endpoint(server, timeout_s=2.0, backoff_s=0.01, backoff_cap_s=0.05, max_attempts=12, concurrency=8)
        batch = run_sync(generate_batch(requests(60), ep, PROVENANCE))
        stats = get(server, "/stats")
    assert not batch.failed_requests and len(batch.samples) == 60
    injected = sum(stats.get(f"injected_{k}", 0) for k in ("429", "500", "hang"))
    # every injected error cost one retry (a slow machine may time out a healthy reply too)
    assert injected > 0 and batch.stats.retries >= injected
    assert batch.stats.requests == stats["requests"]
    assert set(batch.stats.failures) <= {"http_429", "http_500", "http_408"}


def test_permanent_error_is_not_retried():
    with SimServer(SimConfig()) as server:
        stats = CallStats()
        bad = Endpoint(model="openai/apigen-sim", api_base=server.api_base, api_key=REJECTED_KEY,
                       max_attempts=5, backoff_s=0.01)
        with pytest.raises(LLMError) as info:
            run_sync(complete(bad, [{"role": "user", "content": "hi"}], stats))
        assert get(server, "/stats")["requests"] == 1
    assert info.value.status == 401 and not info.value.transient and stats.requests == 1


def test_api_key_never_appears_in_errors():
    with SimServer(SimConfig(error_rate=1.0)) as server:
        secret = "sk-test-SECRET-4242"
        ep = Endpoint(model="openai/apigen-sim", api_base=server.api_base, api_key=secret, max_attempts=2, backoff_s=0.01)
        with pytest.raises(LLMError) as info:
            run_sync(complete(ep, [{"role": "user", "content": "hi"}]))
    assert secret not in str(info.value) and secret not in repr(ep)


def test_requests_per_minute_are_paced_across_concurrent_calls():
    import asyncio
    import time

    with SimServer(SimConfig()) as server:
        ep = endpoint(server, rpm=1200, concurrency=8)  # one request start every 50 ms

        async def burst():
            await asyncio.gather(*[complete(ep, [{"role": "user", "content": f"hi {i}"}]) for i in range(11)])
        started = time.monotonic()
        run_sync(burst())
        elapsed = time.monotonic() - started
    assert elapsed >= 10 * 0.05  # 11 starts need at least 10 intervals, however fast the server is
