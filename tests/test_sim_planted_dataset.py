"""The simulator's planted pairs for no-call, dedup and decontamination: what each kind is, that the
planted log records it truly, and that each passes the three stages it is not aimed at."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from datasketch import MinHash, MinHashLSH

from api_registry.registry import bundled_registry
from api_registry.sandbox import SandboxLimits, SandboxPool
from apigen.benchmark_sets import bundled_questions
from apigen.generation import build_messages, parse_generation
from apigen.models import Style
from apigen.sampling import ApiSampler, ExampleSampler, PromptSampler, RequestPlanner
from apigen.sim.content import canonical
from apigen.sim.no_call import jaccard3
from apigen.sim.server import SimConfig, SimulatedLLM
from apigen.stages import final_status, run_execution, run_format, run_semantic
from apigen.llm import run_sync
from apigen.verify.execution import CallExecutor
from apigen.verify.no_call_rule import check_no_call
from apigen.verify.semantic import build_judge_messages

REGISTRY = bundled_registry()
PROVENANCE = {"seed": 0, "generator_model": "openai/apigen-sim", "prompt_version": "p", "simulated": True}


def requests(n: int, share: float, seed: int = 2):
    planner = RequestPlanner(ApiSampler(REGISTRY.specs()), ExampleSampler(), PromptSampler(), styles=tuple(Style),
                             seed=seed, n=n, pairs_per_request=4, no_call_share=share)
    return planner.plan_range(0, planner.request_count)


def simulate(config: SimConfig, n: int, share: float):
    """(samples, planted records, sim) of a run of ``n`` pairs answered by the simulator, in order."""
    sim = SimulatedLLM(config)
    samples = []
    for request in requests(n, share):
        samples += parse_generation(sim.reply(build_messages(request)[0]["content"]), request, PROVENANCE).samples
    return samples, list(sim.state.planted), sim


def minhash(text: str) -> MinHash:
    words = re.findall(r"\w+", text.lower())
    m = MinHash(num_perm=128)
    m.update_batch([" ".join(words[i:i + 3]).encode() for i in range(max(1, len(words) - 2))])
    return m


@pytest.fixture(scope="module")
def executor():
    with SandboxPool(size=2, limits=SandboxLimits(timeout_s=5.0)) as pool:
        yield CallExecutor(pool, REGISTRY.target, REGISTRY.get)


def test_no_call_pairs_and_the_planted_no_call_fits():
    samples, planted, sim = simulate(SimConfig(seed=1, flaw_rate=0.5), 160, share=1.0)
    assert len(planted) == 160 and all(p.answers == "[]" for p in planted)
    flaws = Counter(p.flaw for p in planted)
    assert set(flaws) == {None, "no_call_fits"} and flaws["no_call_fits"] > 50
    assert all(p.stage == "semantic" for p in planted if p.flaw)
    by_query = {s.query: s for s in samples}
    caught_by_rule = 0
    for record in planted:
        sample = by_query[record.query]
        assert sample.answers == []
        rule = check_no_call(sample.query, sample.tools)
        judged = sim.reply(build_judge_messages(sample, [])[0]["content"])
        if record.flaw is None:  # clean: no offered tool fits, for the rule and for the simulated judge
            assert rule == [] and '"passed": true' in judged, record.query
        else:
            caught_by_rule += bool(rule)
            assert '"passed": false' in judged, record.query  # the judge always knows what it planted
    assert caught_by_rule >= 0.9 * flaws["no_call_fits"]  # the free rule catches nearly all of them
    assert len({p.query for p in planted if p.flaw is None}) == flaws[None]  # out-of-scope queries do not repeat


def test_dedup_rates_are_off_by_default():
    assert (SimConfig().duplicate_rate, SimConfig().near_duplicate_rate, SimConfig().contamination_rate) == (0, 0, 0)
    _, planted, sim = simulate(SimConfig(seed=4, flaw_rate=0.2), 80, share=0.2)
    assert not {"duplicate", "near_duplicate", "contaminated"} & {p.flaw for p in planted}
    assert all(p.original is None and p.source_id is None for p in planted)
    assert not sim.state.history.seen  # the planting path (and its extra random draws) never ran


def test_planted_repeats_and_contamination_are_recorded_truly_and_pass_the_three_stages(executor):
    config = SimConfig(seed=3, flaw_rate=0.0, duplicate_rate=0.1, near_duplicate_rate=0.1, contamination_rate=0.1)
    samples, planted, _ = simulate(config, 400, share=0.2)
    flaws = Counter(p.flaw for p in planted)
    assert flaws["duplicate"] >= 20 and flaws["near_duplicate"] >= 20 and flaws["contaminated"] >= 20
    assert all(p.stage == "dedup" for p in planted if p.flaw)
    questions = {q["id"]: q["query"].strip() for q in bundled_questions()}
    first: dict[str, str] = {}  # normalized query -> canonical answers, of the pairs before
    clean = []
    for record in planted:
        norm = " ".join(re.findall(r"\w+", record.query.lower()))
        if record.flaw == "duplicate":  # the same query and answers as a pair before it
            assert record.original == record.query and first.get(norm) in (record.answers, None)
            assert norm in first
        elif record.flaw == "near_duplicate":  # a pair before it, one word added; no exact repeat
            original = " ".join(re.findall(r"\w+", record.original.lower()))
            assert original in first and norm != original
            assert jaccard3(record.query, record.original) >= 0.8
            assert minhash(record.query).jaccard(minhash(record.original)) >= 0.7
        elif record.flaw == "contaminated":  # a bundled BFCL question, word for word, with its id
            assert questions[record.source_id] == record.original and record.original in record.query
        else:
            clean.append(record)
        first.setdefault(norm, record.answers)
    # the planted near duplicates (not the accidental ones the log also labels) keep Jaccard >= 0.85
    assert sum(jaccard3(p.query, p.original) >= 0.85 for p in planted if p.flaw == "near_duplicate") >= 20
    # what the log calls clean is clean: no query repeats another one, exactly or nearly
    norms = [" ".join(re.findall(r"\w+", p.query.lower())) for p in clean]
    assert len(set(norms)) == len(norms)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)  # candidates, then the exact measure
    for i, record in enumerate(clean):
        signature = minhash(record.query)
        assert not [j for j in lsh.query(signature) if jaccard3(clean[j].query, record.query) >= 0.8], record.query
        lsh.insert(i, signature)
    # every pair, planted or not, passes format, execution and the semantic rules: only dedup may reject it
    checked = run_execution(run_format(samples), executor)
    judged, _ = run_sync(run_semantic(checked, None))
    failures = [(s.query, s.rejected_at, [c for v in s.verdicts.values() for c in v.codes])
                for s in judged if final_status(s) != "verified"]
    assert not failures, failures[:5]
    assert Counter(canonical(s.answers) == "[]" for s in judged)[True] >= 60  # no-call pairs among them
