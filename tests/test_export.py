"""Export: xlam layout for verified rows, reasons for rejected rows, and no half-written dataset."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from api_registry.spec import ToolSpec
from apigen import export
from apigen.models import Finding, Provenance, Sample, StageResult, Style

TOOL = ToolSpec(name="f", description="d", parameters={"x": {"type": "int", "description": "x"}})


def sample(i: int, fail: str | None = None) -> Sample:
    prov = Provenance(style=Style.SIMPLE, category="math", generator_model="m", prompt_version="p", seed=1,
                      request_index=i, pair_index=0, simulated=True)
    s = Sample(key=f"1-{i}-0", query=f"f of {i}", tools=[TOOL], answers=[{"name": "f", "arguments": {"x": i}}], provenance=prov)
    for stage in ("format", "execution", "semantic"):
        if fail == stage:
            return s.with_verdict(StageResult(stage=stage, status="failed", errors=(Finding(code="boom", call=0, message="m"),)))
        s = s.with_verdict(StageResult(stage=stage, status="passed"))
    return s


def test_verified_rows_match_xlam_columns_and_types(tmp_path):
    samples = [sample(2), sample(0, fail="execution"), sample(1)]
    export.write_dataset(samples, {"generated": 3}, tmp_path / "out")
    verified = pq.read_table(tmp_path / "out" / "verified")
    xlam = pq.read_table("tests/data/xlam/xlam_arcee_subset_15rows.parquet")
    for field in xlam.schema:
        assert verified.schema.field(field.name).type == field.type
    assert verified.schema.names[:4] == xlam.schema.names
    rows = verified.to_pylist()
    # one id counter over verified and rejected rows in request order: request 0 was rejected
    assert [r["id"] for r in rows] == [1, 2] and [r["query"] for r in rows] == ["f of 1", "f of 2"]
    assert json.loads(rows[0]["tools"]) == [{"name": "f", "description": "d", "parameters": {"x": {"description": "x", "type": "int"}}}]
    assert json.loads(rows[0]["answers"]) == [{"name": "f", "arguments": {"x": 1}}]
    rejected = pq.read_table(tmp_path / "out" / "rejected").to_pylist()
    assert rejected[0]["rejected_stage"] == "execution" and rejected[0]["error_codes"] == ["boom"]
    assert rejected[0]["id"] == 0


def test_failed_export_leaves_previous_dataset_intact(tmp_path, monkeypatch):
    out = tmp_path / "out"
    export.write_dataset([sample(0)], {"generated": 1}, out)
    before = (out / "summary.json").read_text()

    def broken(table, where, *a, **k):
        if "rejected" in str(where):
            raise OSError("disk full")
        return original(table, where, *a, **k)
    original = pq.write_table
    monkeypatch.setattr(export.pq, "write_table", broken)
    with pytest.raises(OSError):
        export.write_dataset([sample(0), sample(1, fail="execution")], {"generated": 2}, out)
    assert (out / "summary.json").read_text() == before
    assert pq.read_table(out / "verified").num_rows == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left behind


def test_interrupted_first_export_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(export.pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        export.write_dataset([sample(0)], {}, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_replace_a_foreign_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        export.write_dataset([sample(0)], {}, out)
    assert (out / "notes.txt").read_text() == "mine"


def test_schema_is_stable_for_empty_outputs(tmp_path):
    export.write_dataset([], {}, tmp_path / "out")
    assert pq.read_table(tmp_path / "out" / "verified").schema.field("id").type == pa.int64()
