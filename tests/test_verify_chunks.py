"""Chunks of ``apigen verify``: checked in worker processes, counted and keyed as the per-stage path was."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from api_registry.sources import RegistrySources, load_registry
from apigen import check_pool
from apigen.chunk_checks import ChunkPlan, check_chunk
from apigen.dataset_io import iter_raw_chunks, read_samples
from apigen.models import FunctionCall
from apigen.stages import run_format
from apigen.verdicts import VerifyTally
from apigen.verify.execution import CallExecutor, Signatures
from tasks.verify_chunk import rows_digest

XLAM = Path(__file__).parent / "data" / "xlam" / "xlam_sample_15.jsonl"
WEATHER = "def get_weather(city: str, days: int = 1) -> dict:\n    \"\"\"Forecast.\"\"\"\n    return {'city': city}\n"
TOOL = {"name": "get_weather", "description": "Forecast.",
        "parameters": {"city": {"type": "str", "description": "City"}, "days": {"type": "int, optional", "description": "Days"}}}


def test_tallies_of_chunks_merge_to_the_tally_of_all_rows():
    samples = run_format(read_samples(XLAM))
    broken = [s.model_copy(update={"answers": "[{"}) for s in read_samples(XLAM)[:4]]
    rows = run_format(broken) + samples
    whole = VerifyTally(["format"]).add(rows).summary()
    merged = VerifyTally(["format"])
    for start in range(0, len(rows), 4):
        merged.merge(VerifyTally(["format"]).add(rows[start:start + 4]))
    assert merged.summary() == whole and whole["failed"] == 4


def test_signatures_say_what_the_executor_says(tmp_path):
    functions = tmp_path / "weather.py"
    functions.write_text(WEATHER)
    registry = load_registry(RegistrySources(functions=(str(functions),)))
    signatures = Signatures.of(registry.executable_names(), registry.get, registry.refusal)
    executor = CallExecutor(None, registry.target, registry.get)
    calls = [FunctionCall(name="get_weather", arguments={"city": "Oslo"}),
             FunctionCall(name="get_weather", arguments={"town": "Oslo"}),
             FunctionCall(name="get_news", arguments={})]
    assert [signatures.unavailable(c) for c in calls] == [executor.unavailable(c) for c in calls]
    assert signatures.unavailable(calls[0]) is None and "another signature" in signatures.unavailable(calls[1])[1]


def test_a_chunk_with_calls_to_run_is_left_for_the_sandbox(tmp_path):
    functions = tmp_path / "weather.py"
    functions.write_text(WEATHER)
    registry = load_registry(RegistrySources(functions=(str(functions),)))
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": 1, "query": "Weather in Oslo?", "tools": [TOOL], "answers": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
        {"id": 2, "query": "Weather in Oslo?", "tools": [TOOL], "answers": [{"name": "get_news", "arguments": {}}]}]))
    chunk, = iter_raw_chunks(rows, 10)
    plan = ChunkPlan(stages=("format", "execution", "semantic"),
                     signatures=Signatures.of(registry.executable_names(), registry.get, registry.refusal))
    checked = check_chunk(chunk, plan)
    assert checked.pending == ("execution", "semantic") and checked.text is None
    first, second = checked.samples
    assert "execution" not in first.verdicts and "semantic" not in first.verdicts  # waits for the sandbox
    assert second.verdicts["format"].codes == ["unknown_function"]  # rejected: nothing left to run for it


def test_chunks_are_checked_in_worker_processes_as_in_this_one():
    chunks = list(iter_raw_chunks(XLAM, 4))
    plan = ChunkPlan(stages=("format", "execution", "semantic"))
    here = [check_chunk(c, plan) for c in chunks]
    with check_pool.opened(workers=2):
        there = [check_pool.run(check_chunk, c, plan) for c in chunks]
    assert [(c.index, c.text) for c in there] == [(c.index, c.text) for c in here]
    assert sum(c.rows for c in there) == 15 and all(c.pending == () for c in there)


def test_a_pool_whose_workers_died_checks_in_this_process():
    chunk = next(iter_raw_chunks(XLAM, 15))
    plan = ChunkPlan(stages=("format",))
    with check_pool.opened(workers=1):
        for pid in {check_pool.run(os.getpid) for _ in range(3)}:
            os.kill(pid, signal.SIGKILL)
        assert check_pool.run(check_chunk, chunk, plan).text == check_chunk(chunk, plan).text
        assert check_pool.run(os.getpid) == os.getpid()  # from then on, here


def test_chunk_keys_follow_the_bytes_of_the_rows(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_bytes(XLAM.read_bytes())
    before = [rows_digest(c) for c in iter_raw_chunks(data, 5)]
    assert before == [rows_digest(c) for c in iter_raw_chunks(data, 5)]
    lines = XLAM.read_bytes().splitlines(keepends=True)
    lines[7] = lines[7].replace(b'"query": "', b'"query": "X', 1)  # one byte more in the second chunk
    data.write_bytes(b"".join(lines))
    after = [rows_digest(c) for c in iter_raw_chunks(data, 5)]
    assert [a != b for a, b in zip(before, after)] == [False, True, False]
