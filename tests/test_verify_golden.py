"""``apigen verify`` writes the same verdicts, byte for byte, however its work is scheduled.

The expected files in ``tests/data/verify_golden`` were written by the per-stage-task verify (before
chunks and the process pool, issue 10); every way of running the stages must reproduce them: real
xlam rows, broken and hostile rows, each stage subset, user functions run in the sandbox, Parquet and
JSON-list input, and batch sizes that cut the rows anywhere. Regenerate (only when verdicts are meant
to change) with ``APIGEN_WRITE_GOLDEN=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from apigen.cli import main
from helpers import NEWS_TOOL, WEATHER_FUNCTIONS, WEATHER_TOOL

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "verify_golden"
XLAM = DATA / "xlam" / "xlam_sample_15.jsonl"
PARQUET = DATA / "xlam" / "xlam_arcee_subset_15rows.parquet"

WEATHER, TOOL, OTHER = WEATHER_FUNCTIONS, WEATHER_TOOL, NEWS_TOOL


def _broken_lines() -> list[bytes]:
    """Rows each rejected while read or at the format stage, for its own reason."""
    return [
        json.dumps({"id": "a", "query": "q", "answers": "[]"}).encode(),
        b"{not json",
        json.dumps({"id": "c", "query": "q", "tools": "[{\"description\": \"no name\"}]", "answers": "[]"}).encode(),
        b'{"id": 4, "query": "q", "tools": [], "answers": ' + b"[" * 500 + b"]" * 500 + b"}",
        b'{"id": 5, "query": "caf\xff", "tools": [], "answers": []}',
        b'{"id": NaN, "query": "q", "tools": [], "answers": []}',
        b'{"id": 7, "id": 1, "query": "q", "tools": [], "answers": []}',
        b"[1, 2]",
        json.dumps({"id": 9, "query": "", "tools": [TOOL], "answers": [{"name": "get_weather", "arguments": {}}]}).encode(),
        json.dumps({"id": 10, "query": "Weather?", "tools": [TOOL], "answers": "not json"}).encode(),
    ]


def _weather_rows() -> list[dict]:
    return [
        {"id": 1, "query": "Weather in Paris for 3 days?", "tools": [TOOL], "answers": [{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]},
        {"id": 2, "query": "Weather in Atlantis?", "tools": [TOOL], "answers": [{"name": "get_weather", "arguments": {"city": "Atlantis"}}]},
        {"id": 3, "query": "Weather in Rome?", "tools": [TOOL], "answers": [{"name": "get_weather", "arguments": {"city": 7}}]},
        {"id": 4, "query": "News about chess?", "tools": [OTHER], "answers": [{"name": "get_news", "arguments": {"topic": "chess"}}]},
        {"id": 5, "query": "Weather in Oslo?", "tools": [TOOL], "answers": [{"name": "get_weather", "arguments": {"city": "Madrid"}}]},
        {"id": 6, "query": "Weather in Paris and news on Paris?", "tools": [TOOL, OTHER],
         "answers": [{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_news", "arguments": {"topic": "Paris"}}]},
        {"id": 7, "query": "Weather in Lima?", "tools": [TOOL], "answers": [{"name": "get_weather", "arguments": {"town": "Lima"}}]},
    ]


def _inputs(tmp: Path) -> dict[str, Path]:
    mixed = tmp / "mixed.jsonl"
    xlam_lines = [line.encode() for line in XLAM.read_text().splitlines()]
    mixed.write_bytes(b"\n".join(xlam_lines[:7] + _broken_lines() + xlam_lines[7:] + [b"", b"  "]) + b"\n")
    weather = tmp / "weather.jsonl"
    weather.write_text("".join(json.dumps(r) + "\n" for r in _weather_rows() + _weather_rows()))
    as_list = tmp / "list.json"
    rows = [json.loads(line) for line in XLAM.read_text().splitlines()]
    as_list.write_text("[" + ",".join([json.dumps(rows[0]), "{bad", json.dumps(rows[1])]) + "]")
    functions = tmp / "weather.py"
    functions.write_text(WEATHER)
    return {"mixed": mixed, "weather": weather, "list": as_list, "functions": functions}


CASES = {  # name -> (input, extra arguments)
    "mixed-format": ("mixed", ["--stages", "format", "--batch-size", "4"]),
    "mixed-all": ("mixed", ["--batch-size", "6"]),
    "mixed-format-semantic": ("mixed", ["--stages", "format,semantic", "--batch-size", "500"]),
    "weather-execution": ("weather", ["--stages", "execution", "--functions", "{functions}", "--batch-size", "5"]),
    "weather-semantic": ("weather", ["--stages", "semantic", "--batch-size", "3"]),
    "weather-all": ("weather", ["--functions", "{functions}", "--batch-size", "3"]),
    "weather-format-execution": ("weather", ["--stages", "format,execution", "--functions", "{functions}"]),
    "parquet-all": ("parquet", ["--batch-size", "4"]),
    "list-all": ("list", ["--batch-size", "2"]),
}


@pytest.mark.usefixtures("prefect_server")
def test_verdicts_and_summaries_match_the_golden_files(tmp_path):
    inputs = {**_inputs(tmp_path), "parquet": PARQUET}
    write = os.environ.get("APIGEN_WRITE_GOLDEN") == "1"
    GOLDEN.mkdir(exist_ok=True)
    mismatched = []
    for name, (source, extra) in CASES.items():
        out = tmp_path / f"{name}.jsonl"
        args = [a.format(functions=inputs["functions"]) for a in extra]
        assert main(["verify", str(inputs[source]), "--judge-model", "none", "--out", str(out), *args]) == 0, name
        summary = tmp_path / f"{name}.summary.json"
        for produced, golden in ((out, GOLDEN / f"{name}.jsonl"), (summary, GOLDEN / f"{name}.summary.json")):
            if write:
                golden.write_bytes(produced.read_bytes())
            elif produced.read_bytes() != golden.read_bytes():
                mismatched.append(golden.name)
    assert not mismatched, f"differs from the golden file: {mismatched}"
