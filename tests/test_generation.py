"""Reading LLM replies: tolerant JSON extraction, and unparseable replies become rejected samples."""

import json
import random

import pytest

from api_registry.registry import bundled_registry
from apigen.generation import build_messages, parse_generation
from apigen.llm import Reply
from apigen.models import Style
from apigen.reply_parsing import first_json_value
from apigen.sampling import ApiSampler, ExampleSampler, PromptSampler, RequestPlanner
from apigen.stages import run_format

PROVENANCE = {"seed": 3, "generator_model": "m", "prompt_version": "p", "simulated": True}


@pytest.fixture(scope="module")
def planner():
    return RequestPlanner(ApiSampler(bundled_registry().specs()), ExampleSampler(), PromptSampler(),
                          styles=tuple(Style), seed=3, n=40, pairs_per_request=4)


@pytest.mark.parametrize("text", [
    '{"passed": true, "reason": "ok"}',
    'Sure! Here you go:\n{"passed": true, "reason": "ok"}\nHope this helps.',
    '```json\n{"passed": true, "reason": "ok"}\n```',
    '<think>is it [fine]?</think>```\n{"passed": true, "reason": "ok"}\n```',
])
def test_first_json_value_tolerates_fences_prose_and_reasoning(text):
    assert first_json_value(text) == {"passed": True, "reason": "ok"}


def test_first_json_value_refuses_text_without_json():
    with pytest.raises(ValueError):
        first_json_value("I'm sorry, I can't help with that.")


def test_unparseable_reply_becomes_one_rejected_sample(planner):
    request = planner.plan(0)
    outcome = parse_generation("I'm sorry, I can't do that [", request, PROVENANCE)
    assert len(outcome.samples) == 1 and outcome.samples[0].raw.startswith("I'm sorry")
    assert outcome.not_returned == {"fewer_than_asked": request.count - 1}
    (checked,) = run_format(outcome.samples)
    assert checked.rejected_at == "format" and checked.verdicts["format"].codes == ["json_invalid"]


def test_reply_is_cut_to_the_requested_count_and_keeps_order(planner):
    request = planner.plan(1)
    reply = "[" + ",".join(f'{{"query": "q{i}", "answers": []}}' for i in range(request.count + 3)) + "]"
    outcome = parse_generation(reply, request, PROVENANCE)
    assert [s.query for s in outcome.samples] == [f"q{i}" for i in range(request.count)]
    assert [s.provenance.pair_index for s in outcome.samples] == list(range(request.count))
    assert not outcome.not_returned


def test_pair_without_query_is_kept_and_rejected(planner):
    outcome = parse_generation('[{"answers": []}, 7]', planner.plan(2), PROVENANCE)
    checked = run_format(outcome.samples)
    assert [c.rejected_at for c in checked] == ["format", "format"]
    assert "missing_query" in checked[0].verdicts["format"].codes


def test_every_requested_pair_is_accounted_for(planner):
    """requested = returned samples + pairs not returned, by reason: fewer than asked, truncated, empty."""
    request = planner.plan(3)
    pair = '{"query": "What is 2 + 2?", "answers": [{"name": "f", "arguments": {}}]}'
    short = parse_generation(f"[{pair}]", request, PROVENANCE)
    cut = parse_generation(Reply(f'{{"pairs": [{pair}, {{"query": "Wha', "length"), request, PROVENANCE)
    empty = parse_generation(Reply("", "stop"), request, PROVENANCE)
    assert (len(short.samples), short.not_returned) == (1, {"fewer_than_asked": request.count - 1})
    assert (len(cut.samples), cut.not_returned) == (1, {"truncated": request.count - 1})
    assert (len(empty.samples), empty.not_returned) == (0, {"empty_reply": request.count})


def test_a_list_closed_early_loses_no_pair(planner):
    """A real reply shape: the list closes after the first object and more objects follow."""
    request = planner.plan(4)
    pairs = [f'{{"query": "Convert {i} km to miles.", "answers": [{{"name": "f", "arguments": {{"x": {i}}}}}]}}'
             for i in range(3)]
    outcome = parse_generation(f"[{pairs[0]}],\n{pairs[1]}],\n{pairs[2]}]", request, PROVENANCE)
    assert [s.query for s in outcome.samples] == [f"Convert {i} km to miles." for i in range(3)]


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


def test_foreign_examples_are_renamed_and_marked_as_format_only(planner):
    """The bundled xlam seeds use APIs the registry does not offer: a small model must not copy their names."""
    request = planner.plan(6)
    assert request.examples_foreign
    text = build_messages(request)[0]["content"]
    seed_names = {a["name"] for e in ExampleSampler().pool for a in e["answers"]}
    examples = text[text.index("<examples>"):text.index("</examples>")]
    assert "other_api_1" in examples and "NOT have" in text
    assert not any(f'"{name}"' in examples for name in seed_names)


def test_examples_over_the_offered_tools_are_preferred():
    pool = [{"query": "Factorial of 5?", "answers": [{"name": "factorial", "arguments": {"n": 5}}], "tools": []},
            {"query": "Mean of 1, 2?", "answers": [{"name": "mean", "arguments": {"xs": [1, 2]}}], "tools": []}]
    sampler = ExampleSampler(pool)
    own, foreign = sampler.sample(random.Random(0), Style.SIMPLE, ["factorial"])
    assert not foreign and own == ({"query": "Factorial of 5?", "answers": pool[0]["answers"]},)
    other, foreign = sampler.sample(random.Random(0), Style.SIMPLE, ["gcd"])
    assert foreign and {a["name"] for e in other for a in e["answers"]} <= {"other_api_1", "other_api_2"}


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
    assert sampler.sample(random.Random(0), Style.SIMPLE, ["factorial"]) == (
        ({"query": "Factorial of 5?", "answers": [{"name": "factorial", "arguments": {"n": 5}}]},), False)
    with pytest.raises(ValueError, match="no such dataset"):
        load_example_pool(str(tmp_path / "missing"))


def test_native_tool_calls_without_a_query_are_rejected_as_such(planner):
    reply = Reply("", "tool_calls", tool_calls=({"name": "f", "arguments": '{"x": 1}'},))
    outcome = parse_generation(reply, planner.plan(7), PROVENANCE)
    (checked,) = run_format(outcome.samples)
    assert checked.rejected_at == "format" and "missing_query" in checked.verdicts["format"].codes


def test_replies_are_bounded_by_the_pairs_asked_for(planner, monkeypatch):
    """A small model that runs on inside a string is cut off at a budget that fits the request."""
    import apigen.generation as generation
    from apigen.generation import TOKENS_BASE, TOKENS_PER_PAIR, generate_batch
    from apigen.llm import Endpoint, run_sync

    seen = []

    async def fake(endpoint, messages, stats, response_format=None, seed=None):
        seen.append((endpoint.max_tokens, seed))
        return Reply("[]", "stop")

    monkeypatch.setattr(generation, "complete_reply", fake)
    requests = [planner.plan(0), planner.plan(9)]
    endpoint = Endpoint(model="openai/x", api_base="http://127.0.0.1:9/v1", max_tokens=4096, structured="off")
    run_sync(generate_batch(requests, endpoint, PROVENANCE))
    assert [tokens for tokens, _ in seen] == [TOKENS_BASE + TOKENS_PER_PAIR * r.count for r in requests]
    assert len({seed for _, seed in seen}) == 2  # one seed per request, the same on every run
    seen.clear()
    run_sync(generate_batch(requests, endpoint.model_copy(update={"max_tokens": 100}), PROVENANCE))
    assert [tokens for tokens, _ in seen] == [100, 100]  # never above what the user configured


def test_a_query_copied_from_the_examples_is_rejected(planner):
    """Seen on SmolLM2: the few-shot example's query, verbatim, with calls to the offered tools."""
    request = planner.plan(6)
    copied = request.examples[0]["query"].upper() + "  "
    tool = request.tools[0].name
    reply = json.dumps({"pairs": [{"query": copied, "answers": [{"name": tool, "arguments": {}}]},
                                  {"query": "A new question entirely.", "answers": [{"name": tool, "arguments": {}}]}]})
    first, second = run_format(parse_generation(reply, request, PROVENANCE).samples)
    assert first.verdicts["semantic"].codes == ["copied_example"]
    assert first.verdicts["format"].status != "skipped"  # a copied query is not a format fault: still checked
    assert "copied_example" not in first.verdicts["format"].codes and "semantic" not in second.verdicts


@pytest.mark.parametrize("n, batch_size, per_request", [(2000, 50, 4), (96, 16, 4), (10, 7, 3), (5, 50, 4)])
def test_batch_pairs_are_the_pairs_its_requests_ask_for(n, batch_size, per_request):
    """The progress counts a finished batch's pairs as the planner asked for them (a batch of 50 at 4 pairs
    per request is 13 requests, 52 pairs), so the last batch brings the count to exactly n."""
    from apigen.config import LLMConfig, RunConfig
    from tasks.sample import plan_batch

    llm = LLMConfig(model="openai/apigen-sim", api_base="http://127.0.0.1:1/v1")
    config = RunConfig(n=n, generator=llm, judge=llm, batch_size=batch_size, pairs_per_request=per_request)
    asked = [sum(r.count for r in plan_batch(config, b)) for b in range(config.batch_count)]
    assert [config.batch_pairs(b) for b in range(config.batch_count)] == asked and sum(asked) == n
