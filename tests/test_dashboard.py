"""What users see in Prefect: artifacts, stage events and retry logs, read back through the API."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import pytest

from apigen.config import LLMConfig, RunConfig
from apigen.dashboard import BREAKDOWN_KEY, DIVERSITY_KEY, FAILURES_KEY, PASS_RATES_KEY, STAGE_EVENT
from apigen.sim.server import SimConfig, SimServer
from flows.generate_dataset import generate_dataset

pytestmark = pytest.mark.usefixtures("prefect_server")


async def _latest_artifact(client, key: str):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                        sort=ArtifactSort.CREATED_DESC, limit=1)
    return found[0]


async def _events(client, name: str, since: dt.datetime) -> list[dict]:
    response = await client._client.post("/events/filter", json={
        "filter": {"event": {"name": [name]}, "occurred": {"since": since.isoformat()}}, "limit": 50})
    response.raise_for_status()
    return response.json()["events"]


async def _pipeline_logs(client, since: dt.datetime) -> list[str]:
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterStartTime, LogFilter
    from prefect.client.schemas.sorting import FlowRunSort

    runs = await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["generate-dataset"])),
                                       flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)),
                                       sort=FlowRunSort.START_TIME_DESC, limit=1)
    logs = await client.read_logs(log_filter=LogFilter(flow_run_id={"any_": [runs[0].id]}))
    return [log.message for log in logs]


def _run(tmp_path, **sim) -> tuple[dict, dt.datetime, SimServer]:
    since = dt.datetime.now(dt.timezone.utc)
    server = SimServer(SimConfig(seed=21, **sim)).start()
    llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True, max_attempts=12)
    config = RunConfig(n=80, generator=llm, judge=llm, seed=21, out=str(tmp_path / "out"), batch_size=20,
                       result_storage=str(tmp_path / "store"))
    summary = generate_dataset(config)
    server.stop()
    return summary, since, server


def test_artifacts_and_stage_events_carry_the_run_numbers(tmp_path):
    from prefect.client.orchestration import get_client

    summary, since, _ = _run(tmp_path, flaw_rate=0.3)

    async def read():
        async with get_client() as client:
            rates = await _latest_artifact(client, PASS_RATES_KEY)
            breakdown = await _latest_artifact(client, BREAKDOWN_KEY)
            failures = await _latest_artifact(client, FAILURES_KEY)
            progress = await _latest_artifact(client, "apigen-progress")
            diversity = await _latest_artifact(client, DIVERSITY_KEY)
            events = []
            for _ in range(40):  # the server persists events asynchronously
                events = await _events(client, STAGE_EVENT, since)
                if len(events) >= 4:
                    break
                await asyncio.sleep(0.5)
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)))
            tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": [rates.flow_run_id]}))
            return rates, breakdown, failures, progress, diversity, events, runs, tasks

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime

    rates, breakdown, failures, progress, diversity, events, runs, tasks = asyncio.run(read())
    # One flow run per job: its tasks, progress and dashboard all sit on it (no subflow).
    assert [r.id for r in runs] == [rates.flow_run_id] and runs[0].name and progress.flow_run_id == rates.flow_run_id
    assert {t.name.rsplit("-", 1)[0] for t in tasks} >= {"generate-batch", "format-batch", "execution-batch", "semantic-batch"}, [t.name for t in tasks][:8]
    assert progress.description == "4 of 4 batches (80 of 80 pairs)"
    table = json.loads(rates.data) if isinstance(rates.data, str) else rates.data
    assert [row["stage"] for row in table] == ["returned", "format", "execution", "semantic", "dedup"]
    returned = table[0]
    assert returned["in"] == summary["requested_pairs"] and returned["passed"] == summary["generated"]
    assert returned["failed"] == summary["pairs_not_returned"] + summary["pairs_lost_to_failed_requests"]
    for row in table[1:]:
        stage = summary["stages"][row["stage"]]
        assert (row["in"], row["passed"], row["failed"], row["pass rate"]) == (
            stage["in"], stage["passed"], stage["failed"], f"{100 * stage['pass_rate']:.1f}%")
        top = list(stage["errors"].items())[:3]
        assert row["top codes"] == ", ".join(f"{code} ({n})" for code, n in top)
    assert table[1]["in"] == 80 and table[4]["in"] == table[3]["passed"] and table[4]["passed"] == summary["verified"]
    rows = json.loads(breakdown.data) if isinstance(breakdown.data, str) else breakdown.data
    assert {r["dimension"] for r in rows} == {"style", "category", "generator_model"}
    assert sum(r["verified"] for r in rows if r["dimension"] == "style") == summary["verified"]
    top_code = max(((c, n) for s in summary["stages"].values() for c, n in s["errors"].items()), key=lambda x: x[1])[0]
    assert f"`{top_code}`" in failures.data and "- query:" in failures.data
    assert progress.type == "progress" and float(progress.data) == 100.0
    d = summary["diversity"]
    assert d["verified_rows"] == summary["verified"] and 0 < d["apis"]["used"] <= d["apis"]["offered"] <= d["apis"]["available"]
    assert sum(d["by_category"].values()) >= summary["verified"] and 0 < d["distinct_3"] <= 1
    assert diversity.flow_run_id == rates.flow_run_id
    assert f"{d['apis']['used']} called of {d['apis']['offered']} offered" in diversity.data
    by_stage = {e["payload"]["stage"]: e for e in events}
    assert set(by_stage) == {"format", "execution", "semantic", "dedup"}
    for stage, event in by_stage.items():
        assert event["payload"]["pass_rate"] == summary["stages"][stage]["pass_rate"]
        assert event["payload"]["passed"] == summary["stages"][stage]["passed"]
        assert event["resource"]["prefect.resource.id"] == f"apigen.stage.{stage}"


def test_rate_limited_endpoint_completes_with_every_sample_accounted_for(tmp_path):
    from prefect.client.orchestration import get_client

    summary, since, server = _run(tmp_path, error_rate=0.3, error_kinds=("429",))
    stats = server.sim.stats()
    assert stats["injected_429"] > 0
    assert summary["generated"] == 80 == summary["verified"] + summary["rejected"]
    assert summary["failed_requests"] == 0
    retries = summary["llm_calls"]["generate"]["retries"] + summary["llm_calls"]["semantic"]["retries"]
    assert retries == stats["injected_429"]

    def logged_retries(messages: list[str]) -> int:
        return sum(int(m.split(" retries")[0].rsplit(" ", 1)[1]) for m in messages if " retries" in m)

    async def logs():
        async with get_client() as client:
            for _ in range(60):  # run logs reach the server in batches, a moment after the run
                messages = await _pipeline_logs(client, since)
                if logged_retries(messages) >= retries:
                    break
                await asyncio.sleep(0.5)
            return messages
    messages = asyncio.run(logs())
    assert any("retries" in m and "http_429" in m for m in messages), messages[:10]
    assert logged_retries(messages) == retries


def test_pass_rates_are_live_and_stage_events_come_before_the_run_ends(tmp_path):
    """Read through the API while the run goes on: the table exists with the first batches' counts
    before the run ends, and each stage's event arrives when its last batch is in, not at the end."""
    import contextvars
    import threading

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterStartTime

    since = dt.datetime.now(dt.timezone.utc)
    server = SimServer(SimConfig(seed=8, latency_ms=150, flaw_rate=0.2)).start()
    llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True, concurrency=2)
    config = RunConfig(n=96, generator=llm, judge=llm, seed=8, out=str(tmp_path / "out"), batch_size=8,
                       result_storage=str(tmp_path / "store"))
    result: dict = {}
    context = contextvars.copy_context()  # the fixture's Prefect settings are context-local
    runner = threading.Thread(target=context.run, args=(lambda: result.update(summary=generate_dataset(config)),))
    runner.start()

    async def live_table():
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)))
            if not runs:
                return None, None
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[PASS_RATES_KEY]), flow_run_id={"any_": [runs[0].id]}))
            run = await client.read_flow_run(runs[0].id)
            return (found[0] if found else None), run

    seen = last = None
    while runner.is_alive() and seen is None:
        artifact, run = asyncio.run(live_table())
        last = (artifact and artifact.data, run and run.state.name)
        if artifact is not None and not run.state.is_final():
            rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
            semantic = next(r for r in rows if r["stage"] == "semantic")
            if semantic["in"] > 0:
                seen = (rows, run.state.name)
        time.sleep(0.3)
    runner.join()
    server.stop()
    summary = result["summary"]
    assert seen is not None, f"the pass-rate table never showed a judged batch while the run was going on: {last}"
    rows, state = seen
    assert state == "Running"
    semantic = next(r for r in rows if r["stage"] == "semantic")
    assert 0 < semantic["in"] < summary["stages"]["semantic"]["in"], (semantic, summary["stages"]["semantic"])

    async def events_and_run():
        async with get_client() as client:
            for _ in range(40):
                events = await _events(client, STAGE_EVENT, since)
                if len(events) >= 4:
                    break
                await asyncio.sleep(0.5)
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)))
            return events, runs[0]

    events, run = asyncio.run(events_and_run())
    occurred = {e["payload"]["stage"]: dt.datetime.fromisoformat(e["occurred"].replace("Z", "+00:00")) for e in events}
    assert set(occurred) == {"format", "execution", "semantic", "dedup"}
    # the format stage's last batch is in well before the judge has finished the last batches
    assert occurred["format"] < occurred["semantic"] <= run.end_time, (occurred, run.end_time)
    assert occurred["format"] < run.end_time - dt.timedelta(seconds=0.5), (occurred, run.end_time)
