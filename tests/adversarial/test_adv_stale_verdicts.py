"""Editing a ``--functions`` file re-runs exactly the execution batches that call into it.

Before: the execution task's cache key held the file's *path*, so a re-run after an edit served the
old results (a stale verdict); a changed REST spec likewise reused cached responses.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from api_registry.rest import RestApi, RestExecutor
from api_registry.sources import RegistrySources
from apigen.batch import BatchResult
from apigen.cli import main
from apigen.config import ExecutionSettings
from apigen.dataset_io import row_to_sample
from helpers import send_json
from tasks.caching import _execution_key

BUMP = '''
def bump(x: int) -> int:
    """Adds a step to x.

    Args:
        x: the start.
    """
    return x + {step}
'''
STEADY = '''
def steady(x: int) -> int:
    """Ten times x.

    Args:
        x: the number.
    """
    return x * 10
'''


def _tool(name: str) -> dict:
    return {"name": name, "description": f"{name} a number.", "parameters": {"x": {"type": "int", "description": "x"}}}


ROWS = [{"id": 1, "query": "Bump 1, please.", "tools": [_tool("bump")], "answers": [{"name": "bump", "arguments": {"x": 1}}]},
        {"id": 2, "query": "Steady 1, please.", "tools": [_tool("steady")], "answers": [{"name": "steady", "arguments": {"x": 1}}]}]


def _edit(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns if path.exists() else None
    path.write_text(text)
    if before is not None and path.stat().st_mtime_ns == before:  # a coarse clock: make the edit visible
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def _files(tmp_path: Path) -> tuple[Path, Path]:
    bump, steady = tmp_path / "bump.py", tmp_path / "steady.py"
    _edit(bump, BUMP.format(step=1))
    steady.write_text(STEADY)
    return bump, steady


def test_execution_keys_follow_the_content_of_the_called_code(tmp_path):
    bump, steady = _files(tmp_path)
    settings = ExecutionSettings(registry=RegistrySources(functions=(str(bump), str(steady))))
    batches = [BatchResult(index=i, samples=(row_to_sample(i, row, "rows.jsonl"),)) for i, row in enumerate(ROWS)]
    key = lambda b: _execution_key(None, {"batch": b, "settings": settings})  # noqa: E731
    before = [key(b) for b in batches]
    _edit(bump, BUMP.format(step=2))
    after = [key(b) for b in batches]
    assert after[0] != before[0]  # the batch calling bump is re-run
    assert after[1] == before[1]  # the batch that only calls steady keeps its cache


def _verdicts(out: Path) -> dict[int, dict]:
    return {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}


def _execution_states() -> dict[str, str]:
    """State names of the execution tasks of the latest verify-dataset flow run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        latest = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["verify-dataset"])),
                                       sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[latest.id])))
    return {r.name: r.state.name for r in runs if r.name.startswith("execution-batch-")}


@pytest.mark.usefixtures("prefect_server")
def test_a_rerun_after_an_edit_reflects_it_and_reuses_the_rest(tmp_path):
    bump, steady = _files(tmp_path)
    data, out = tmp_path / "rows.jsonl", tmp_path / "verdicts.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    command = ["verify", str(data), "--functions", str(bump), str(steady), "--judge-model", "none",
               "--batch-size", "1", "--out", str(out)]

    assert main(command) == 0
    first = _verdicts(out)
    assert first[1]["stages"]["execution"]["results"] == [2] and first[2]["stages"]["execution"]["results"] == [10]

    _edit(bump, BUMP.format(step=2))
    assert main(command) == 0
    second = _verdicts(out)
    assert second[1]["stages"]["execution"]["results"] == [3]  # the edit is seen, not a cached verdict
    assert second[2]["stages"]["execution"]["results"] == [10]
    states = _execution_states()
    assert states["execution-batch-1"] == "Cached" and states["execution-batch-0"] != "Cached", states


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        send_json(self, 200, {"received": parse_qs(urlsplit(self.path).query)})

    def log_message(self, *args):
        pass


def test_rest_responses_are_not_reused_across_a_changed_endpoint_spec(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/v1/lookup"
    try:
        before = RestExecutor(cache_dir=tmp_path / "cache").call(
            RestApi(name="lookup", url_template=url, query_params=("q",)), {"q": "a"})
        # the spec is fixed: the API's parameter is called "query"; a re-run (new executor, same cache)
        after = RestExecutor(cache_dir=tmp_path / "cache").call(
            RestApi(name="lookup", url_template=url, query_params=("q",), wire_names={"q": "query"}), {"q": "a"})
    finally:
        server.shutdown()
    assert before.ok and before.result == {"received": {"q": ["a"]}}
    assert after.ok and not after.cached and after.result == {"received": {"query": ["a"]}}, after
