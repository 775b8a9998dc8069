"""A generate run against the simulator planting no-call pairs, duplicates, near duplicates and BFCL
copies: every planted copy is rejected at ``dedup`` with its own code, no clean pair is, and clean
no-call pairs are verified. The simulator's planted log is the oracle."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from apigen.benchmark_sets import bundled_questions
from apigen.config import LLMConfig, RunConfig
from apigen.sim.server import SimConfig, SimServer
from helpers import read_dataset

pytestmark = pytest.mark.usefixtures("prefect_server")

QUESTIONS = {q["id"]: q["query"] for q in bundled_questions()}
SAME_TEXT: dict[str, list[str]] = defaultdict(list)
for _id, _text in QUESTIONS.items():
    SAME_TEXT[_text].append(_id)
CODES = {"duplicate": "duplicate", "near_duplicate": "near_duplicate", "contaminated": "contaminated"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from flows.generate_dataset import generate_dataset

    out = tmp_path_factory.mktemp("hygiene") / "out"
    sim = SimConfig(seed=13, flaw_rate=0.1, duplicate_rate=0.05, near_duplicate_rate=0.05, contamination_rate=0.05,
                    label_repeats=True)
    with SimServer(sim) as server:
        llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True)
        summary = generate_dataset(RunConfig(n=600, generator=llm, judge=llm, seed=13, batch_size=100, out=str(out),
                                             result_storage=str(out.parent / "store")))
        planted = [p.as_dict() for p in server.sim.state.planted]
    verified, rejected, written = read_dataset(out)
    return summary, planted, verified, rejected


def _rows_by_query(verified, rejected):
    rows = defaultdict(list)
    for row in verified:
        rows[row["query"]].append(("verified", None, None))
    for row in rejected:
        rows[row["query"]].append((row["rejected_stage"], row["error_codes"], json.loads(row["errors"])))
    return rows


def test_every_planted_copy_is_rejected_with_its_code_and_no_clean_pair_is(run):
    summary, planted, verified, rejected = run
    rows = _rows_by_query(verified, rejected)
    kinds = defaultdict(int)
    for record in planted:
        flaw = record["flaw"]
        if flaw not in CODES:
            continue
        kinds[flaw] += 1
        copy = rows[record["query"]]
        if flaw == "contaminated":
            # the copied benchmark question is rejected, naming the test question it copies (or its twin:
            # BFCL repeats some questions across categories, e.g. simple_python and multiple)
            twins = SAME_TEXT[QUESTIONS[record["source_id"]]]
            assert any(stage == "dedup" and codes == ["contaminated"] and any(f"{t} " in errors[0]["message"] for t in twins)
                       for stage, codes, errors in copy), (record, copy)
            continue
        # a duplicate and the pair it repeats: the first in run order is kept, the other rejected with the code
        group = copy if flaw == "duplicate" else copy + rows[record["original"]]
        outcomes = sorted(stage if stage != "dedup" else f"dedup:{codes[0]}" for stage, codes, _ in group)
        assert outcomes.count("verified") == 1 and f"dedup:{CODES[flaw]}" in outcomes, (record, group)
    assert kinds["duplicate"] >= 5 and kinds["near_duplicate"] >= 5 and kinds["contaminated"] >= 5, dict(kinds)
    # a clean pair is never rejected at dedup unless it is the first half of a planted pair (kept once)
    planted_pairs = {r["original"] for r in planted if r["flaw"] in ("duplicate", "near_duplicate")}
    for record in planted:
        if record["flaw"] is None and record["query"] not in planted_pairs:
            assert all(stage != "dedup" for stage, _, _ in rows[record["query"]]), (record, rows[record["query"]])


def test_clean_no_call_pairs_pass_and_the_summary_counts_it_all(run):
    summary, planted, verified, rejected = run
    no_call = [r for r in verified if r["style"] == "no_call"]
    assert no_call and all(json.loads(r["answers"]) == [] for r in no_call)
    clean_no_call = {r["query"] for r in planted if r["flaw"] is None and r["answers"] == "[]"}
    verified_queries = {r["query"] for r in verified}
    planted_pairs = {r["original"] for r in planted if r["flaw"] in ("duplicate", "near_duplicate")}
    assert clean_no_call - planted_pairs <= verified_queries
    dedup = summary["stages"]["dedup"]
    assert dedup["in"] == summary["stages"]["semantic"]["passed"] and dedup["passed"] == summary["verified"]
    assert summary["dedup"]["duplicates"] == dedup["errors"].get("duplicate", 0)
    assert summary["dedup"]["near_duplicates"] == dedup["errors"].get("near_duplicate", 0)
    assert summary["contamination"]["rejected"] == dedup["errors"].get("contaminated", 0) > 0
    assert summary["contamination"]["by_benchmark"] == {"bfcl_v4": summary["contamination"]["rejected"]}
    diversity = summary["diversity"]
    assert diversity["duplicate_rate"] == summary["dedup"]["duplicate_rate"] > 0
    assert 0 < diversity["style_share"]["no_call"] < 0.3
