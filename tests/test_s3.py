"""Exports and task-result storage on ``s3://`` through s3fs, against moto's S3 server on loopback."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from api_registry.spec import ToolSpec
from apigen import export, storage
from apigen.models import Finding, Provenance, Sample, StageResult, Style

BUCKET = "apigen-test"
KEY, SECRET = "AKIAAPIGENS3TESTKEY", "apigen-s3-secret-never-in-output"
TOOL = ToolSpec(name="f", description="d", parameters={"x": {"type": "int", "description": "x"}})


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on a free loopback port, one bucket, and s3fs options that point at it."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_EC2_METADATA_DISABLED": "true"}.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        url = f"http://127.0.0.1:{port}"
        try:
            boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket=BUCKET)
            yield {"endpoint": url, "options": {"key": KEY, "secret": SECRET,
                                                "client_kwargs": {"endpoint_url": url, "region_name": "us-east-1"}}}
        finally:
            server.stop()


def reader(s3):
    """A fresh s3fs filesystem (no shared instance or listing cache with the writer)."""
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True, **s3["options"])


def read_table(s3, path: str):
    return pq.read_table(path, filesystem=pafs.PyFileSystem(pafs.FSSpecHandler(reader(s3))))


def sample(i: int, fail: str | None = None) -> Sample:
    prov = Provenance(style=Style.SIMPLE, category="math", generator_model="m", prompt_version="p", seed=1,
                      request_index=i, pair_index=0, simulated=True)
    s = Sample(key=f"1-{i}-0", query=f"f of {i}", tools=[TOOL], answers=[{"name": "f", "arguments": {"x": i}}],
               provenance=prov)
    for stage in ("format", "execution", "semantic"):
        if fail == stage:
            return s.with_verdict(StageResult(stage=stage, status="failed",
                                              errors=(Finding(code="boom", call=0, message="m"),)))
        s = s.with_verdict(StageResult(stage=stage, status="passed"))
    return s


def parts(s3, prefix: str) -> list[str]:
    return sorted(reader(s3).glob(f"{BUCKET}/{prefix}/*/part-*.parquet"))


def test_export_to_s3_has_xlam_columns_and_types(s3):
    url = f"s3://{BUCKET}/run1"
    assert export.write_dataset([sample(2), sample(0, fail="execution"), sample(1)], {"generated": 3}, url,
                                s3["options"]) == url
    verified = read_table(s3, f"{BUCKET}/run1/verified")
    xlam = pq.read_table("tests/data/xlam/xlam_arcee_subset_15rows.parquet")
    assert verified.schema.names[:4] == ["query", "id", "answers", "tools"] == xlam.schema.names
    for field in xlam.schema:  # query string, id int64, answers string, tools string
        assert verified.schema.field(field.name).type == field.type
    rows = verified.to_pylist()
    assert [r["query"] for r in rows] == ["f of 1", "f of 2"] and [r["id"] for r in rows] == [1, 2]
    assert json.loads(rows[0]["answers"]) == [{"name": "f", "arguments": {"x": 1}}]
    rejected = read_table(s3, f"{BUCKET}/run1/rejected").to_pylist()
    assert len(rejected) == 1 and rejected[0]["rejected_stage"] == "execution"
    assert json.loads(reader(s3).cat(f"{BUCKET}/run1/summary.json")) == {"generated": 3}
    assert storage.is_complete(url, s3["options"])
    assert [p.rsplit("/", 2)[1] for p in parts(s3, "run1")] == ["rejected", "verified"]


def test_second_export_replaces_the_first(s3):
    url = f"s3://{BUCKET}/replace"
    export.write_dataset([sample(0), sample(1), sample(2)], {"generated": 3}, url, s3["options"])
    first = parts(s3, "replace")
    export.write_dataset([sample(5)], {"generated": 1}, url, s3["options"])
    second = parts(s3, "replace")
    assert len(second) == 2 and not set(first) & set(second)
    assert read_table(s3, f"{BUCKET}/replace/verified").column("query").to_pylist() == ["f of 5"]
    assert read_table(s3, f"{BUCKET}/replace/rejected").num_rows == 0
    assert json.loads(reader(s3).cat(f"{BUCKET}/replace/summary.json")) == {"generated": 1}


def test_formats_and_card_on_s3_and_stale_format_parts_removed(s3):
    url = f"s3://{BUCKET}/formats"
    export.write_dataset([sample(0), sample(1, fail="format")], {"generated": 2}, url, s3["options"],
                         formats=("xlam", "openai", "sharegpt"))
    fs = reader(s3)
    for fmt in ("openai", "sharegpt"):
        [part] = fs.glob(f"{BUCKET}/formats/{fmt}/part-*.jsonl")
        assert [json.loads(line)["tools"] for line in fs.cat(part).decode().splitlines()]  # one verified row
    card = fs.cat(f"{BUCKET}/formats/README.md").decode()
    assert "config_name: rejected" in card and "sharegpt/*.jsonl" in card
    export.write_dataset([sample(2)], {"generated": 1}, url, s3["options"])  # xlam only: the old format parts go
    assert fs.glob(f"{BUCKET}/formats/openai/part-*") == [] and fs.glob(f"{BUCKET}/formats/sharegpt/part-*") == []
    assert "sharegpt" not in reader(s3).cat(f"{BUCKET}/formats/README.md").decode()


def test_failed_export_leaves_no_marker_and_the_next_one_cleans_up(s3, monkeypatch):
    url = f"s3://{BUCKET}/failing"
    export.write_dataset([sample(0)], {"generated": 1}, url, s3["options"])
    real = storage._filesystem

    class Flaky:  # the connection drops after the verified part is uploaded, before the rejected one
        def __init__(self, fs):
            self.fs = fs

        def __getattr__(self, name):
            return getattr(self.fs, name)

        def pipe_file(self, path, data, **kwargs):
            if "/rejected/" in path:
                raise OSError("connection reset by peer")
            return self.fs.pipe_file(path, data, **kwargs)

    monkeypatch.setattr(storage, "_filesystem", lambda u, o: (Flaky(real(u, o)[0]), real(u, o)[1]))
    with pytest.raises(OSError, match="connection reset"):
        export.write_dataset([sample(1), sample(2)], {"generated": 2}, url, s3["options"])
    assert not reader(s3).exists(f"{BUCKET}/failing/summary.json")
    assert not storage.is_complete(url, s3["options"])
    assert len(parts(s3, "failing")) == 3  # old verified + old rejected + the new verified part
    monkeypatch.undo()
    export.write_dataset([sample(3)], {"generated": 1}, url, s3["options"])
    assert storage.is_complete(url, s3["options"]) and len(parts(s3, "failing")) == 2
    assert read_table(s3, f"{BUCKET}/failing/verified").column("query").to_pylist() == ["f of 3"]


def test_out_url_without_options_uses_the_default_credential_chain(s3, monkeypatch):
    import s3fs

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3["endpoint"])  # with AWS_ACCESS_KEY_ID etc. from the fixture
    s3fs.S3FileSystem.clear_instance_cache()
    export.write_dataset([sample(0)], {"generated": 1}, f"s3://{BUCKET}/env-run")
    s3fs.S3FileSystem.clear_instance_cache()
    assert read_table(s3, f"{BUCKET}/env-run/verified").num_rows == 1


@pytest.mark.usefixtures("prefect_server")
def test_generate_flow_with_store_block_and_s3_result_storage(s3, tmp_path):
    import s3fs
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
    from prefect.client.schemas.sorting import TaskRunSort
    from prefect.settings import get_current_settings

    from apigen.config import LLMConfig, RunConfig
    from apigen.sim.server import SimConfig, SimServer
    from blocks.store import DatasetStore
    from flows.generate_dataset import generate_dataset

    DatasetStore(url=f"s3://{BUCKET}/e2e", storage_options=s3["options"]).save("apigen-s3-e2e", overwrite=True)
    with SimServer(SimConfig(seed=3, flaw_rate=0.3)) as server:
        llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True)
        config = RunConfig(n=16, generator=llm, judge=llm, seed=3, batch_size=8, out=str(tmp_path / "unused"),
                           store_block="apigen-s3-e2e", result_storage=f"s3://{BUCKET}/cache")
        summary = generate_dataset(config)
        first_requests = server.sim.stats()["requests"]
        first = read_table(s3, f"{BUCKET}/e2e/verified")
        assert first_requests > 0 and first.num_rows == summary["verified"] > 0
        cached = [p.rsplit("/", 1)[1] for p in reader(s3).find(f"{BUCKET}/cache")]
        # generate, execution and semantic persist (planning and the format check are recomputed on resume)
        assert len(cached) >= 3 * config.batch_count, "every persisted batch task's result went to s3"
        local = Path(get_current_settings().results.local_storage_path)
        assert not any((local / name).exists() for name in cached), "and not to Prefect's local default"
        assert not (tmp_path / "unused").exists()  # the block's URL wins over config.out

        s3fs.S3FileSystem.clear_instance_cache()  # the second run opens the store afresh
        again = generate_dataset(config)
        assert server.sim.stats()["requests"] == first_requests  # every batch loaded from s3, none asked again
    assert read_table(s3, f"{BUCKET}/e2e/verified").to_pylist() == first.to_pylist()
    assert again.pop("output") == f"s3://{BUCKET}/e2e"  # the flow reports where the block put the data
    assert json.loads(reader(s3).cat(f"{BUCKET}/e2e/summary.json")) == again

    # The secrets are in the DatasetStore block only: not in the data, nor in any other block or parameter.
    fs = reader(s3)
    for path in fs.find(f"{BUCKET}/e2e"):
        raw = fs.cat(path)
        text = raw.decode() if path.endswith((".json", ".md", ".jsonl")) else json.dumps(read_table(s3, path).to_pylist())
        for secret in (KEY, SECRET):
            assert secret.encode() not in raw and secret not in text, path
    with get_client(sync_client=True) as client:
        docs = [d for d in client.read_block_documents(include_secrets=True)
                if d.block_type and d.block_type.slug != "apigen-dataset-store"]
        runs = client.read_flow_runs()
        ours = {d.id for d in docs if d.block_type.slug == "apigen-result-storage"}
        recent = client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="generate-batch-")),
                                       sort=TaskRunSort.EXPECTED_START_TIME_DESC, limit=20)
    # A persisted result hydrated from the API's metadata, as another process would: the saved
    # result-storage block names the DatasetStore, which supplies the options.
    stored = [t for t in recent if t.state.is_completed() and getattr(t.state.data, "storage_block_id", None) in ours]
    assert stored and all(t.state.result().samples for t in stored)
    exposed = json.dumps([d.data for d in docs] + [r.parameters for r in runs], default=str)
    assert KEY not in exposed and SECRET not in exposed
