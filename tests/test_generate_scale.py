"""Generation at scale: 60,000 pairs against the simulated endpoint are written batch by batch.

Everything is real: ``apigen sim-llm`` in its own process (0 ms latency), ``apigen generate`` as a
subprocess on the session's Prefect server, started by a small wrapper that reports the peak RSS of
its children (``RUSAGE_CHILDREN``: the generate process and the sandbox workers it waited for). The
run asks for 20 pairs per request and judges 32 samples per request, so 60k pairs take ~4,500 LLM
requests and a few minutes on two cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections import Counter

import pyarrow.parquet as pq
import pytest

from apigen.dashboard import FailureExamples, failure_markdown
from apigen.export import DatasetWriter, write_dataset
from apigen.models import Finding, Provenance, Sample, StageResult, Style
from apigen.summary import SummaryCounter, summarize
from apigen.verify.semantic import UNDECIDED

N, BATCH, PAIRS_PER_REQUEST = 60_000, 1_000, 20
REQUESTS_PER_BATCH = BATCH // PAIRS_PER_REQUEST
BATCH_COUNT = N // BATCH
PEAK_RSS_LIMIT_MIB = 1024

# Runs the command given as its arguments; prints the peak RSS (KiB) of the children it waited for.
RSS_WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def _sample(i: int, outcome: str) -> Sample:
    """A sample that passed every stage, failed one (``format``, ...), or was left undecided by the judge."""
    from api_registry.spec import ToolSpec

    tool = ToolSpec(name="f", description="d", parameters={"x": {"type": "int", "description": "x"}})
    prov = Provenance(style=list(Style)[i % 4], category="abc"[i % 3], generator_model="m", prompt_version="p",
                      seed=1, request_index=i, pair_index=0, simulated=True)
    s = Sample(key=f"1-{i}-0", query=f"q{i}", tools=[tool], answers=[{"name": "f", "arguments": {"x": i}}],
               provenance=prov)
    for stage in ("format", "execution", "semantic"):
        if outcome == stage:
            return s.with_verdict(StageResult(stage=stage, status="failed",
                                              errors=(Finding(code=f"{stage}-{i % 3}", call=0, message="m"),)))
        if outcome == "undecided" and stage == "semantic":
            return s.with_verdict(StageResult(stage=stage, status="failed", decided_by="judge",
                                              errors=(Finding(code=UNDECIDED, call=None, message="m"),)))
        s = s.with_verdict(StageResult(stage=stage, status="passed"))
    return s


SAMPLES = [_sample(i, ("ok", "format", "ok", "execution", "semantic", "ok", "undecided")[i % 7]) for i in range(140)]
BATCHES = [SAMPLES[k:k + 20] for k in range(0, 140, 20)]


def test_summary_and_failure_examples_accumulated_batch_by_batch_equal_those_of_the_whole_run():
    counter, examples = SummaryCounter(), FailureExamples()
    for batch in BATCHES:
        counter.add(batch)
        examples.add(batch)
    whole = summarize(SAMPLES, {"seed": 1})
    assert counter.summary({"seed": 1}) == whole
    assert whole["undecided"] == 20 and whole["generated"] == 140
    assert len(examples.samples) == 10  # one per (stage, code) (3 x 3, and judge_error), not one per failure
    assert failure_markdown(whole, examples.samples) == failure_markdown(whole, SAMPLES)
    bounded = FailureExamples(limit=2)
    bounded.add(SAMPLES)
    assert len(bounded.samples) == 2


def test_batches_written_as_parts_read_back_as_one_dataset(tmp_path):
    with DatasetWriter(tmp_path / "parts") as writer:
        for batch in BATCHES:
            writer.add(batch)
        writer.finish({"generated": 140})
    write_dataset(SAMPLES, {"generated": 140}, tmp_path / "whole")
    for folder in ("verified", "rejected"):
        assert len(list((tmp_path / "parts" / folder).glob("part-*.parquet"))) == len(BATCHES)
        assert pq.read_table(tmp_path / "parts" / folder).to_pylist() == pq.read_table(tmp_path / "whole" / folder).to_pylist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts", "whole"]  # no staging left


def test_an_aborted_writer_leaves_the_previous_dataset(tmp_path):
    write_dataset(SAMPLES[:10], {"generated": 10}, tmp_path / "out")
    with pytest.raises(RuntimeError):
        with DatasetWriter(tmp_path / "out") as writer:
            writer.add(SAMPLES)
            raise RuntimeError("killed mid-run")
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == {"generated": 10}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.fixture()
def sim_endpoint(free_port):
    process = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(free_port), "--seed", "4",
                                "--latency-ms", "0", "--flaw-rate", "0.2"], stdout=subprocess.PIPE, text=True)
    assert "serving" in process.stdout.readline()
    yield f"http://127.0.0.1:{free_port}"
    process.terminate()
    process.wait(timeout=10)


def _stats(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/stats", timeout=10) as response:
        return json.loads(response.read())


def _batch_of(sample_key: str) -> int:
    """``<seed>-<request index>-<pair>``: the batch that asked for the pair."""
    return int(sample_key.split("-")[1]) // REQUESTS_PER_BATCH


@pytest.mark.usefixtures("prefect_server")
def test_60k_pairs_are_written_as_many_parts_with_bounded_memory(tmp_path, sim_endpoint):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "apigen.cli", "generate", "--model", "openai/apigen-sim",
               "--api-base", f"{sim_endpoint}/v1", "--n", str(N), "--batch-size", str(BATCH),
               "--pairs-per-request", str(PAIRS_PER_REQUEST), "--judge-batch", "32", "--seed", "4",
               "--out", str(out), "--result-storage", str(tmp_path / "results")]
    run = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *command], capture_output=True, text=True, timeout=1800,
                         env={**os.environ, "APIGEN_LLM_API_KEY": "sim-key"})
    assert run.returncode == 0, run.stderr[-3000:]
    peak_mib = int(run.stdout.strip().splitlines()[-1]) / 1024

    summary = json.loads((out / "summary.json").read_text())
    assert summary["generated"] == _stats(sim_endpoint)["pairs"]  # every pair the endpoint returned is a row
    assert summary["generated"] + summary["pairs_not_returned"] + summary["pairs_lost_to_failed_requests"] == N
    parts = {folder: sorted((out / folder).glob("part-*.parquet")) for folder in ("verified", "rejected")}
    assert len(parts["verified"]) == BATCH_COUNT and len(parts["rejected"]) == BATCH_COUNT  # one part per batch each

    rows = {}
    for folder, files in parts.items():
        batches_seen = []
        for path in files:  # each part holds one batch's rows, the parts in batch order
            part = pq.read_table(path, columns=["id", "sample_key"]).to_pylist()
            assert len({_batch_of(r["sample_key"]) for r in part}) == 1, path.name
            batches_seen.append(_batch_of(part[0]["sample_key"]))
        assert batches_seen == sorted(batches_seen), folder
        rows[folder] = pq.read_table(out / folder, columns=["id", "sample_key"]).to_pylist()  # the union, as readers see it
    verified, rejected = rows["verified"], rows["rejected"]
    assert len(verified) == summary["verified"] and len(rejected) == summary["rejected"] + summary["undecided"]
    assert len(verified) + len(rejected) == summary["generated"]
    # one id counter over verified and rejected rows, in request order, running on across parts
    assert sorted(r["id"] for r in verified + rejected) == list(range(len(verified) + len(rejected)))
    for folder_rows in (verified, rejected):
        assert [r["id"] for r in folder_rows] == sorted(r["id"] for r in folder_rows)
    keys = [r["sample_key"] for r in verified + rejected]
    assert len(set(keys)) == len(keys)
    per_batch = Counter(_batch_of(k) for k in keys)
    assert sorted(per_batch) == list(range(BATCH_COUNT)) and min(per_batch.values()) > 0.9 * BATCH

    assert peak_mib < PEAK_RSS_LIMIT_MIB, f"peak RSS {peak_mib:.0f} MiB"
    print(f"60k generation: {len(parts['verified']) + len(parts['rejected'])} parts, peak RSS {peak_mib:.0f} MiB")
