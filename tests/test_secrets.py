"""A key held in an LLMEndpoint block is used for the calls and found nowhere else.

Searched: the Prefect server's database files, every log, artifact, event and flow-run parameter
of the run (through the API), the persisted task results, and the exported dataset.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from pathlib import Path


from apigen.cli import main
from apigen.sim.server import SimConfig, SimServer

SECRET = "sk-apigen-FAKE-7f3a9c1e55d0"


def _files_text(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


async def _everything_in_the_api(since: dt.datetime) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime, LogFilter

    async with get_client() as client:
        runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)))
        logs: list = []
        for _ in range(40):  # logs reach the server in batches, a moment after the run: wait until they settle
            previous = len(logs)
            logs = await client.read_logs(log_filter=LogFilter(flow_run_id={"any_": [r.id for r in runs]}))
            if len(logs) > 5 and len(logs) == previous:
                break
            await asyncio.sleep(1.0)
        artifacts = await client.read_artifacts()
        tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": [r.id for r in runs]}))
        page = (await client._client.post("/events/filter", json={"filter": {"occurred": {"since": since.isoformat()}},
                                                                    "limit": 50})).json()
        events = list(page["events"])
        while page.get("next_page"):  # the API pages events 50 at a time
            page = (await client._client.get(page["next_page"])).json()
            events += page["events"]
    assert runs and logs and artifacts and tasks
    return json.dumps([[r.model_dump(mode="json") for r in runs], [log.model_dump(mode="json") for log in logs],
                       [a.model_dump(mode="json") for a in artifacts], [t.model_dump(mode="json") for t in tasks], events])


def test_block_key_is_used_and_leaks_nowhere(prefect_server, tmp_path):
    from blocks.llm import LLMEndpoint

    _, server_home = prefect_server
    since = dt.datetime.now(dt.timezone.utc)
    prefect_logger = logging.getLogger("prefect")
    level = prefect_logger.level
    prefect_logger.setLevel(logging.INFO)  # send every run log to the API, so there is something to search
    try:
        with SimServer(SimConfig(seed=3, flaw_rate=0.3, error_rate=0.2, error_kinds=("429", "500"))) as sim:
            LLMEndpoint(model="openai/apigen-sim", api_base=sim.api_base, api_key=SECRET).save("secret-test-llm",
                                                                                             overwrite=True)
            assert main(["generate", "--llm-block", "secret-test-llm", "--n", "24", "--batch-size", "12",
                         "--out", str(tmp_path / "out"), "--result-storage", str(tmp_path / "results")]) == 0
    finally:
        prefect_logger.setLevel(level)
    assert hashlib.sha256(SECRET.encode()).hexdigest() in sim.sim.state.key_hashes  # the block's key was sent
    secret = SECRET.encode()
    assert secret not in _files_text(tmp_path / "out")            # Parquet and summary.json
    assert secret not in _files_text(tmp_path / "results")        # persisted task results
    database = b"".join(p.read_bytes() for p in Path(server_home).glob("prefect.db*"))
    assert database and secret not in database                    # block data is encrypted at rest
    assert SECRET not in asyncio.run(_everything_in_the_api(since))
