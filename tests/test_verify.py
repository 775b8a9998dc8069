"""``apigen verify`` on existing datasets: input formats, stage selection, verdict layout, bad rows."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from apigen.cli import main
from apigen.dataset_io import read_samples
from helpers import NEWS_TOOL, WEATHER_FUNCTIONS, WEATHER_TOOL

DATA = Path(__file__).parent / "data"
XLAM = DATA / "xlam" / "xlam_sample_15.jsonl"
DOC_FAULT_ROWS = {2, 3, 5, 6, 10, 13}  # tools whose defaults contradict their types (see test_spec)


def verdicts(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_reader_accepts_jsonl_json_and_parquet_alike(tmp_path):
    rows = [json.loads(line) for line in XLAM.read_text().splitlines()]
    as_json = tmp_path / "rows.json"
    as_json.write_text(json.dumps([{**r, "tools": json.loads(r["tools"]), "answers": json.loads(r["answers"])} for r in rows]))
    from_jsonl = read_samples(XLAM)
    from_json = read_samples(as_json)
    from_parquet = read_samples(DATA / "xlam" / "xlam_arcee_subset_15rows.parquet")
    assert [s.row_id for s in from_jsonl] == [s.row_id for s in from_parquet] == list(range(15))
    assert [s.tools for s in from_jsonl] == [s.tools for s in from_json] == [s.tools for s in from_parquet]


def test_broken_rows_are_rejected_with_the_field_named(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([
        json.dumps({"id": "a", "query": "q", "answers": "[]"}),
        "{not json",
        json.dumps({"id": "c", "query": "q", "tools": "[{\"description\": \"no name\"}]", "answers": "[]"}),
        json.dumps({"id": "d", "query": "q", "tools": [{"name": "f", "parameters": {}}], "answers": [{"name": "f", "arguments": {}}]}),
    ]) + "\n")
    samples = read_samples(bad)
    codes = [s.verdicts["format"].codes if "format" in s.verdicts else [] for s in samples]
    assert codes == [["missing_field"], ["json_invalid"], ["tools_invalid"], []]
    assert "missing field(s) tools" in samples[0].verdicts["format"].errors[0].message
    assert "bad.jsonl: line 2" in samples[1].verdicts["format"].errors[0].message
    assert "tools[0]" in samples[2].verdicts["format"].errors[0].message


@pytest.mark.usefixtures("prefect_server")
def test_verify_xlam_sample_format_stage(tmp_path):
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", str(XLAM), "--stages", "format", "--out", str(out)]) == 0
    records = verdicts(out)
    assert [r["id"] for r in records] == list(range(15))
    assert all(r["passed"] for r in records)
    for r in records:
        assert r["stages"]["execution"] == {"status": "skipped", "errors": [], "results": []}
        assert r["stages"]["semantic"]["status"] == "skipped"
        warned = {w["code"] for w in r["stages"]["format"]["warnings"]}
        assert warned == ({"tool_default_type_mismatch"} if r["id"] in DOC_FAULT_ROWS else set())
    summary = json.loads((tmp_path / "verdicts.summary.json").read_text())
    assert summary["rows"] == 15 and summary["passed"] == 15 and list(summary["stages"]) == ["format"]
    assert _latest_task_run_names() == ["chunk-0"]  # one task for the chunk; none for stages not asked for


def _latest_task_run_names() -> list[str]:
    """Names of the task runs of the latest verify-dataset flow run: a stage not asked for has none."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        latest = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["verify-dataset"])),
                                       sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
        return [r.name for r in client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[latest.id])))]


@pytest.mark.usefixtures("prefect_server")
def test_verify_all_stages_with_user_functions(tmp_path):
    functions = tmp_path / "weather.py"
    functions.write_text(WEATHER_FUNCTIONS)
    tool, other = WEATHER_TOOL, NEWS_TOOL
    rows = [
        {"id": 1, "query": "Weather in Paris for 3 days?", "tools": [tool], "answers": [{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]},
        {"id": 2, "query": "Weather in Atlantis?", "tools": [tool], "answers": [{"name": "get_weather", "arguments": {"city": "Atlantis"}}]},
        {"id": 3, "query": "Weather in Rome?", "tools": [tool], "answers": [{"name": "get_weather", "arguments": {"city": 7}}]},
        {"id": 4, "query": "News about chess?", "tools": [other], "answers": [{"name": "get_news", "arguments": {"topic": "chess"}}]},
        {"id": 5, "query": "Weather in Oslo?", "tools": [tool], "answers": [{"name": "get_weather", "arguments": {"city": "Madrid"}}]},
    ]
    data = tmp_path / "rows.parquet"
    import pyarrow as pa
    pq.write_table(pa.Table.from_pylist([{**r, "tools": json.dumps(r["tools"]), "answers": json.dumps(r["answers"])} for r in rows]), data)
    out = tmp_path / "v.jsonl"
    assert main(["verify", str(data), "--functions", str(functions), "--judge-model", "none", "--out", str(out)]) == 0
    by_id = {r["id"]: r for r in verdicts(out)}
    assert by_id[1]["passed"] and by_id[1]["stages"]["execution"]["results"] == [{"city": "Paris", "days": 3, "forecast": ["sun"] * 3}]
    assert by_id[2]["stages"]["execution"]["status"] == "failed"
    assert by_id[2]["stages"]["execution"]["errors"][0]["code"] == "execution_error"
    assert by_id[2]["stages"]["semantic"]["status"] == "skipped"
    assert by_id[3]["stages"]["format"]["errors"][0]["code"] == "type_mismatch"
    assert by_id[3]["stages"]["execution"]["status"] == "skipped"
    assert by_id[4]["stages"]["execution"]["status"] == "skipped"
    assert by_id[4]["stages"]["execution"]["errors"][0]["code"] == "no_implementation"
    assert by_id[4]["passed"]  # nothing failed; the stage that could not run is marked skipped
    assert by_id[5]["stages"]["semantic"]["status"] == "failed"
    assert by_id[5]["stages"]["semantic"]["errors"][0]["code"] == "ungrounded_value"


def test_verify_usage_errors(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("APIGEN_MODEL", raising=False)
    assert main(["verify", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["verify", str(XLAM), "--stages", "format,vibes"]) == 2
    assert "unknown stage(s) vibes" in capsys.readouterr().err
    assert main(["verify", str(XLAM), "--stages", "semantic"]) == 2
    assert "--judge-model none" in capsys.readouterr().err


def test_verdicts_are_written_in_input_order_whatever_order_batches_finish_in(tmp_path):
    from apigen.stages import run_format
    from apigen.verdicts import VerdictWriter, verify_summary

    samples = run_format(read_samples(XLAM))
    writer = VerdictWriter(tmp_path / "v.jsonl", ["format"])
    writer.add(2, samples[10:])
    writer.add(0, samples[:4])
    assert not (tmp_path / "v.jsonl").exists()  # nothing looks finished before close
    writer.add(1, samples[4:10])
    summary = writer.close()
    assert [r["id"] for r in verdicts(tmp_path / "v.jsonl")] == list(range(15))
    assert summary == verify_summary(samples, ["format"])  # counted batch by batch, the same as at once
    assert json.loads((tmp_path / "v.summary.json").read_text()) == summary


def test_a_batch_that_never_arrives_leaves_no_verdicts(tmp_path):
    from apigen.verdicts import VerdictWriter

    writer = VerdictWriter(tmp_path / "v.jsonl", ["format"])
    writer.add(1, read_samples(XLAM)[:2])
    with pytest.raises(RuntimeError, match="batch 0 never did"):
        writer.close()
    writer.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("prefect_server")
def test_verify_of_200000_rows_runs_in_flat_memory(tmp_path):
    """Rows are read and verdicts written batch by batch: the CLI's peak RSS stays far below what
    holding 200,000 rows would take (~14 KB a row before; measured by a parent of the CLI alone)."""
    rows = [json.loads(line) for line in XLAM.read_text().splitlines()]
    data = tmp_path / "big.jsonl"
    with data.open("w") as handle:
        for i in range(200_000):
            handle.write(json.dumps({**rows[i % len(rows)], "id": i}) + "\n")
    out = tmp_path / "verdicts.jsonl"
    measure = ("import resource, subprocess, sys; "
               "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
               "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)")
    run = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "apigen.cli", "verify", str(data),
                          "--stages", "format", "--out", str(out)], capture_output=True, text=True, timeout=900)
    code, peak_mib = map(int, run.stdout.split())
    assert code == 0, run.stderr[-2000:]
    with out.open() as handle:
        assert sum(1 for _ in handle) == 200_000
    assert peak_mib < 500, f"peak RSS {peak_mib} MiB"
