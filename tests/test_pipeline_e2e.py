"""The whole path on a real Prefect server: simulated LLM -> three stages -> Parquet."""

import json
from collections import Counter, defaultdict

import pyarrow.parquet as pq
import pytest

from apigen.cli import main
from apigen.config import LLMConfig, RunConfig
from apigen.sim.content import FLAW_STAGE, canonical
from apigen.sim.server import SimConfig, SimServer
from flows.generate_dataset import generate_dataset
from helpers import read_dataset

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_cli_generate_simulated_200(tmp_path):
    out = tmp_path / "out"
    assert main(["generate", "--simulate", "--n", "200", "--out", str(out)]) == 0
    table = pq.read_table(out / "verified")
    xlam = pq.read_table("tests/data/xlam/xlam_arcee_subset_15rows.parquet")
    assert table.schema.names[:4] == ["query", "id", "answers", "tools"]
    assert all(table.schema.field(f.name).type == f.type for f in xlam.schema)
    verified, rejected, summary = read_dataset(out)
    assert summary["generated"] == 200 == summary["verified"] + summary["rejected"]
    assert len(verified) == summary["verified"] and len(rejected) == summary["rejected"]
    stages = summary["stages"]
    for stage in stages.values():
        assert stage["in"] == stage["passed"] + stage["failed"] + stage.get("skipped", 0)
    assert stages["format"]["in"] == 200
    assert stages["execution"]["in"] == stages["format"]["passed"]
    assert stages["semantic"]["in"] == stages["execution"]["passed"]
    # dedup (on by default) sees what the stages verified; the simulator's templated queries repeat
    assert stages["dedup"]["in"] == stages["semantic"]["passed"]
    assert stages["dedup"]["passed"] == summary["verified"]
    assert summary["dedup"]["duplicates"] + summary["dedup"]["near_duplicates"] == stages["dedup"]["failed"]
    assert summary["simulated"] is True and all(r["simulated"] for r in verified)
    assert {r["style"] for r in verified} == {"simple", "multiple", "parallel", "parallel_multiple", "no_call"}
    assert sorted(r["id"] for r in verified + rejected) == list(range(200))  # one counter over both
    for row in verified[:20]:
        calls = json.loads(row["answers"])
        names = {t["name"] for t in json.loads(row["tools"])}
        assert (calls == []) == (row["style"] == "no_call") and all(c["name"] in names for c in calls)


def test_each_stage_rejects_exactly_the_flaws_aimed_at_it(tmp_path):
    with SimServer(SimConfig(seed=7, flaw_rate=0.3)) as server:
        llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True)
        # the three stages only: the simulator's clean pairs include templated (near-)duplicates, which
        # dedup rightly rejects (tests/test_dedup.py)
        config = RunConfig(n=240, generator=llm, judge=llm, seed=7, out=str(tmp_path / "out"), batch_size=60,
                           dedup=False, bundled_decontamination=False)
        summary = generate_dataset(config)
        planted = list(server.sim.state.planted)
    assert len(planted) == 240 == summary["generated"]
    expected: dict[tuple[str, str], set] = defaultdict(set)
    for record in planted:
        expected[(record.query, record.answers)].add(record.stage)
    verified, rejected, _ = read_dataset(tmp_path / "out")

    def key(row):
        try:
            return row["query"], canonical(json.loads(row["answers"]))
        except json.JSONDecodeError:
            return row["query"], row["answers"]

    outcomes = Counter()
    for row in verified:
        assert expected[key(row)] == {None}, f"a flawed pair was verified: {row['query']}"
        outcomes["clean verified"] += 1
    for row in rejected:
        stages = expected[key(row)]
        assert len(stages) == 1 and None not in stages, f"a clean pair was rejected at {row['rejected_stage']}: {row['errors']}"
        assert row["rejected_stage"] == next(iter(stages)), (row["rejected_stage"], stages, row["errors"])
        outcomes[f"{row['rejected_stage']} rejected"] += 1
    flaws = Counter(p.flaw for p in planted if p.flaw)
    # the dedup kinds are planted only at their own rates (0 here; tests/test_sim_planted_dataset.py)
    assert set(flaws) == {f for f, stage in FLAW_STAGE.items() if stage != "dedup"}, f"every flaw kind planted: {flaws}"
    assert outcomes["clean verified"] == sum(1 for p in planted if p.flaw is None)
    for stage in ("format", "execution", "semantic"):
        assert outcomes[f"{stage} rejected"] == sum(1 for p in planted if p.stage == stage) > 0


def test_same_seed_gives_the_same_verified_rows(tmp_path):
    args = ["generate", "--simulate", "--n", "48", "--seed", "11", "--batch-size", "16", "--flaw-rate", "0.3"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b"), "--concurrency", "2"]) == 0
    first = pq.read_table(tmp_path / "a" / "verified").to_pylist()
    second = pq.read_table(tmp_path / "b" / "verified").to_pylist()
    assert first == second and len(first) > 20
    other = tmp_path / "c"
    assert main(["generate", "--simulate", "--n", "48", "--seed", "12", "--out", str(other)]) == 0
    assert pq.read_table(other / "verified").column("query").to_pylist() != [r["query"] for r in first]


def test_a_refused_key_fails_the_run_with_a_clear_error(tmp_path, capsys, monkeypatch):
    from apigen.sim.server import REJECTED_KEY

    monkeypatch.setenv("APIGEN_LLM_API_KEY", REJECTED_KEY)
    with SimServer(SimConfig(seed=2)) as server:
        code = main(["generate", "--model", "openai/apigen-sim", "--api-base", server.api_base, "--n", "8",
                     "--out", str(tmp_path / "out"), "--result-storage", str(tmp_path / "store")])
        assert server.sim.stats()["requests"] == 2  # refused for good: not retried
    err = capsys.readouterr().err
    assert code == 1 and "EndpointRejectedError" in err and "401" in err and REJECTED_KEY not in err
    assert not (tmp_path / "out" / "summary.json").exists()

