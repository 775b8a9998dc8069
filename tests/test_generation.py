"""Reading LLM replies: tolerant JSON extraction, and unparseable replies become rejected samples."""

import random

import pytest

from api_registry.registry import bundled_registry
from apigen.generation import build_messages, extract_json, parse_generation
from apigen.models import Style
from apigen.sampling import ApiSampler, ExampleSampler, PromptSampler, RequestPlanner
from apigen.stages import run_format

PROVENANCE = {"seed": 3, "generator_model": "m", "prompt_version": "p", "simulated": True}


@pytest.fixture(scope="module")
def planner():
    return RequestPlanner(ApiSampler(bundled_registry().specs()), ExampleSampler(), PromptSampler(),
                          styles=tuple(Style), seed=3, n=40, pairs_per_request=4)


@pytest.mark.parametrize("text", [
    '[{"query": "q", "answers": []}]',
    'Sure! Here you go:\n[{"query": "q", "answers": []}]\nHope this helps.',
    '```json\n[{"query": "q", "answers": []}]\n```',
    'Some thoughts [not json] then ```\n[{"query": "q", "answers": []}]\n```',
    '{"pairs": [{"query": "q", "answers": []}]}',
])
def test_extract_json_tolerates_fences_and_prose(text):
    value = extract_json(text)
    assert value == [{"query": "q", "answers": []}] or value == {"pairs": [{"query": "q", "answers": []}]}


def test_extract_json_refuses_text_without_json():
    with pytest.raises(ValueError):
        extract_json("I'm sorry, I can't help with that.")


def test_unparseable_reply_becomes_one_rejected_sample(planner):
    request = planner.plan(0)
    samples = parse_generation("I'm sorry, I can't do that [", request, PROVENANCE)
    assert len(samples) == 1 and samples[0].raw.startswith("I'm sorry")
    (checked,) = run_format(samples)
    assert checked.rejected_at == "format" and checked.verdicts["format"].codes == ["json_invalid"]


def test_reply_is_cut_to_the_requested_count_and_keeps_order(planner):
    request = planner.plan(1)
    reply = "[" + ",".join(f'{{"query": "q{i}", "answers": []}}' for i in range(request.count + 3)) + "]"
    samples = parse_generation(reply, request, PROVENANCE)
    assert [s.query for s in samples] == [f"q{i}" for i in range(request.count)]
    assert [s.provenance.pair_index for s in samples] == list(range(request.count))


def test_pair_without_query_is_kept_and_rejected(planner):
    samples = parse_generation('[{"answers": []}, 7]', planner.plan(2), PROVENANCE)
    checked = run_format(samples)
    assert [c.rejected_at for c in checked] == ["format", "format"]
    assert "missing_query" in checked[0].verdicts["format"].codes


def test_planning_is_deterministic_per_seed_and_index(planner):
    again = RequestPlanner(ApiSampler(bundled_registry().specs()), ExampleSampler(), PromptSampler(),
                           styles=tuple(Style), seed=3, n=40, pairs_per_request=4)
    assert [planner.plan(i) for i in range(10)] == [again.plan(i) for i in reversed(range(10))][::-1]
    other = RequestPlanner(again.apis, again.examples, again.prompts, styles=tuple(Style), seed=4, n=40,
                           pairs_per_request=4)
    assert [planner.plan(i).tools for i in range(10)] != [other.plan(i).tools for i in range(10)]


def test_styles_shape_the_api_choice(planner):
    rng = random.Random(0)
    for _ in range(50):
        assert len(planner.apis.sample(rng, Style.SIMPLE)[1]) == 1
        assert len(planner.apis.sample(rng, Style.PARALLEL)[1]) == 1
        assert 2 <= len(planner.apis.sample(rng, Style.MULTIPLE)[1]) <= 4
        assert 2 <= len(planner.apis.sample(rng, Style.PARALLEL_MULTIPLE)[1]) <= 4


def test_last_request_asks_only_for_what_is_left():
    planner = RequestPlanner(ApiSampler(bundled_registry().specs()), ExampleSampler(), PromptSampler(),
                             styles=(Style.SIMPLE,), seed=0, n=10, pairs_per_request=4)
    assert [planner.plan(i).count for i in range(planner.request_count)] == [4, 4, 2]


def test_prompt_lists_the_tools_and_count(planner):
    request = planner.plan(5)
    text = build_messages(request)[0]["content"]
    assert f"Generate exactly {request.count}" in text and f"Style: {request.style.value}" in text
    for tool in request.tools:
        assert f'"name": "{tool.name}"' in text


def test_example_pool_from_an_earlier_runs_verified_output(tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from apigen.sampling import load_example_pool

    (tmp_path / "run" / "verified").mkdir(parents=True)
    rows = [{"query": "Factorial of 5?", "id": 0, "answers": json.dumps([{"name": "factorial", "arguments": {"n": 5}}]),
             "tools": json.dumps([{"name": "factorial", "description": "n!", "parameters": {}}])},
            {"query": "broken", "id": 1, "answers": "not json", "tools": "[]"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "run" / "verified" / "part-00000.parquet")
    pool = load_example_pool(str(tmp_path / "run"))
    assert [e["query"] for e in pool] == ["Factorial of 5?"]
    sampler = ExampleSampler(pool)
    assert sampler.sample(random.Random(0), Style.SIMPLE) == ({"query": "Factorial of 5?", "answers": [{"name": "factorial", "arguments": {"n": 5}}]},)
    with pytest.raises(ValueError, match="no such dataset"):
        load_example_pool(str(tmp_path / "missing"))
