"""Hostile dataset rows never kill ``apigen verify``: each becomes that row's rejection, named by its line.

Before: a row nested 100,000 deep, one invalid UTF-8 byte or a 5,000-digit integer crashed the run
with no verdict (``UnfinishedRun: Run is in PENDING state``); NaN and duplicate keys were accepted
and ``"id": NaN`` written into verdicts; a malformed line's verdict took its line number as ``id``
(colliding with a real row's id); a 1-million-value enum or a long string was quoted whole into the
verdict (240 MB lines); the grounding rules took a minute of CPU on an 84 KB query.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from api_registry.spec import ToolSpec
from apigen.cli import main
from apigen.dataset_io import read_samples
from apigen.models import FunctionCall
from apigen.verify.grounding import check_grounding

MAX_LINE_BYTES = 8192
LONG_STRING_CHARS = 5_000_000  # enough to show the bound (the 50 MB behaves the same, 10x the memory)
TOOL = {"name": "forecast_for_city", "description": "Forecast for a city.",
        "parameters": {"city": {"type": "str", "description": "City"}, "days": {"type": "int, optional", "description": "Days"}}}
GOOD = {"id": 1, "query": "Weather in Paris for 3 days?", "tools": json.dumps([TOOL]),
        "answers": json.dumps([{"name": "forecast_for_city", "arguments": {"city": "Paris", "days": 3}}])}


def hostile_query(chars: int = 84_000) -> str:
    """An 84 KB query of the shapes the grounding rules were quadratic on: long digit runs, long
    comma lists (with and without "and"), long runs of capitalized words and all-caps tokens."""
    parts = ["Weather in Paris for 3 days?", "Compare " + ", ".join(f"City{i}" for i in range(1_000)),
             "Sum " + ", ".join(str(i) for i in range(1_000)) + " and 7", " ".join("ABCD" for _ in range(1_500)),
             " ".join(f"Word{chr(65 + i % 26)}" for i in range(1_500)), "9" * 50_000]
    return " ".join(parts)[:chars]


def strict_loads(line: str):
    """A strict JSON parser: no NaN/Infinity, no duplicate keys."""
    def no_constant(name):
        raise ValueError(f"{name} is not JSON")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate key in {keys}")
        return dict(pairs)

    return json.loads(line, parse_constant=no_constant, object_pairs_hook=no_duplicates)


def hostile_lines() -> list[bytes]:
    enum_tool = {"name": "pick", "description": "Pick one.", "parameters": {"type": "object", "properties": {
        "v": {"type": "string", "enum": [f"v{i}" for i in range(1_000_000)]}}, "required": ["v"]}}
    return [
        json.dumps(GOOD).encode(),                                                                      # 1
        b'{"id": 2, "query": "q", "tools": [], "answers": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # 2
        b'{"id": 3, "query": "caf\xff", "tools": [], "answers": []}',                                   # 3
        b'{"id": 4, "query": "q", "tools": [], "answers": [{"name": "f", "arguments": {"n": '
        + b"9" * 5_000 + b"}}]}",                                                                       # 4
        b'{"id": NaN, "query": "q", "tools": [], "answers": []}',                                       # 5
        b'{"id": 6, "id": 1, "query": "q", "tools": [], "answers": []}',                                # 6
        json.dumps({"id": 7, "query": "Pick it.", "tools": [enum_tool],
                    "answers": [{"name": "pick", "arguments": {"v": "x" * LONG_STRING_CHARS}}]}).encode(),  # 7
        json.dumps({"id": 8, "query": hostile_query(), "tools": [TOOL],
                    "answers": [{"name": "forecast_for_city", "arguments": {"city": "Paris", "days": 3}}]}).encode(),  # 8
    ]


REASONS = {2: "deep", 3: "UTF-8", 4: "digits", 5: "NaN", 6: "duplicate key"}


def test_every_hostile_row_is_read_as_its_own_rejection(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_bytes(b"\n".join(hostile_lines()) + b"\n")
    samples = read_samples(data)
    assert [s.position for s in samples] == [{"line": n} for n in range(1, 9)]
    for line, reason in REASONS.items():
        sample = samples[line - 1]
        (error,) = sample.verdicts["format"].errors
        assert error.code == "json_invalid" and reason in error.message and f"line {line}" in error.message
        assert sample.row_id is None  # a malformed line has no id: never 1, never its line number
    assert samples[0].row_id == 1 and samples[6].row_id == 7 and samples[7].row_id == 8


def test_a_json_list_and_parquet_reject_bad_rows_one_by_one(tmp_path):
    as_list = tmp_path / "rows.json"
    as_list.write_bytes(b"[" + json.dumps(GOOD).encode() + b", " + b'{"id": NaN}, ' + b"[" * 50_000 + b"]" * 50_000
                        + b', {"id": 4, "a": 1, "a": 2}, {"id": 5, "query": "caf\xff"}, ' + json.dumps({**GOOD, "id": 6}).encode()
                        + b"]")
    samples = read_samples(as_list)
    assert [s.position for s in samples] == [{"index": i} for i in range(6)]
    assert [s.row_id for s in samples] == [1, None, None, None, None, 6]
    assert [s.verdicts["format"].codes if "format" in s.verdicts else [] for s in samples] == \
        [[]] + [["json_invalid"]] * 4 + [[]]

    table = pa.Table.from_pylist([{**GOOD, "score": 1.0}, {**GOOD, "id": 2, "score": float("nan")}])
    pq.write_table(table, tmp_path / "rows.parquet")
    good, nan = read_samples(tmp_path / "rows.parquet")
    assert "format" not in good.verdicts and good.row_id == 1
    assert nan.verdicts["format"].codes == ["json_invalid"] and nan.row_id is None and nan.position == {"index": 1}


@pytest.mark.timeout(10)
def test_grounding_is_fast_on_an_84_kb_query():
    """Before: minutes of CPU on this query (the issue's took 63 s); after: well under a second."""
    tool = ToolSpec(**TOOL)
    calls = [FunctionCall(name="forecast_for_city", arguments={"city": "Zanzibar Town NYC", "days": 54321})]
    findings = check_grounding(hostile_query(), [tool], calls)
    assert [f.code for f in findings] == ["ungrounded_value", "ungrounded_value"]
    assert all(len(f.message) < 1000 for f in findings)


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.timeout(300)
def test_verify_gives_every_hostile_row_a_bounded_strict_verdict(tmp_path):
    data, out = tmp_path / "rows.jsonl", tmp_path / "verdicts.jsonl"
    data.write_bytes(b"\n".join(hostile_lines()) + b"\n")
    assert main(["verify", str(data), "--judge-model", "none", "--out", str(out)]) == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) == 8  # one verdict per input line, in input order
    assert all(len(line) < MAX_LINE_BYTES for line in lines), [len(line) for line in lines]
    records = [strict_loads(line.decode("utf-8")) for line in lines]
    assert [r["line"] for r in records] == list(range(1, 9))
    assert [r["id"] for r in records] == [1, None, None, None, None, None, 7, 8]  # no line borrows id 1
    good, long_query = records[0], records[7]
    assert good["passed"] and long_query["passed"]
    for line, reason in REASONS.items():
        (error,) = records[line - 1]["stages"]["format"]["errors"]
        assert error["code"] == "json_invalid" and reason in error["message"] and not records[line - 1]["passed"]
    enum_errors = records[6]["stages"]["format"]["errors"]
    assert [e["code"] for e in enum_errors] == ["enum_violation"]
    summary = json.loads((tmp_path / "verdicts.summary.json").read_text())
    assert summary["rows"] == 8 and summary["passed"] == 2 and summary["error_codes"]["json_invalid"] == 5
