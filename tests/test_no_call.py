"""No-call samples: planning (--no-call-share), the three stages on rows answered with ``[]``, the
``no_call_tool_fits`` rule on real BFCL / xlam data, the no-call judge, and the whole path."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path

import pytest

from api_registry.registry import bundled_registry
from api_registry.sandbox import SandboxLimits, SandboxPool
from api_registry.spec import ToolSpec
from apigen.cache_keys import digest
from apigen.config import LLMConfig, RunConfig
from apigen.generation import build_messages
from apigen.llm import Endpoint, run_sync
from apigen.models import CALL_STYLES, Provenance, Sample, StageResult, Style
from apigen.no_call_plan import is_no_call_request, resolve_styles
from apigen.sampling import ApiSampler, ExampleSampler, PromptSampler, RequestPlanner, load_example_pool
from apigen.sim.server import SimConfig, SimServer
from apigen.stages import final_status, run_execution, run_format, run_semantic
from apigen.structured_output import pairs_schema
from apigen.verify.execution import CallExecutor
from apigen.verify.no_call_rule import check_no_call
from apigen.verify.semantic import build_judge_messages

DATA = Path(__file__).parent / "data"
LLM = LLMConfig(model="openai/apigen-sim", simulated=True)
REGISTRY = bundled_registry()
FACTORIAL = REGISTRY.get("factorial").spec
WEATHER = ToolSpec(name="get_weather", description="Get the current weather forecast for a city.",
                   parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})


def planner(styles=tuple(Style), share=0.0, n=400, seed=5) -> RequestPlanner:
    return RequestPlanner(ApiSampler(REGISTRY.specs()), ExampleSampler(), PromptSampler(), styles=tuple(styles),
                          seed=seed, n=n, pairs_per_request=4, no_call_share=share)


def sample(query: str, answers, style: Style | None = Style.NO_CALL, tools=(WEATHER,), key="k") -> Sample:
    prov = None if style is None else Provenance(style=style, category="c", generator_model="m", prompt_version="p",
                                                 seed=0, request_index=0, pair_index=0)
    return Sample(key=key, query=query, tools=list(tools), answers=answers, provenance=prov)


# --- planning -------------------------------------------------------------------------------------

def test_the_share_of_requests_planned_as_no_call_is_exact_and_seeded():
    plan = planner(share=0.25)
    requests = plan.plan_range(0, plan.request_count)
    no_call = [r for r in requests if r.style is Style.NO_CALL]
    assert len(no_call) in (math.floor(0.25 * 100), math.ceil(0.25 * 100))
    assert {r.style for r in requests} == set(Style)
    assert [r.index for r in no_call] == [r.index for r in planner(share=0.25).plan_range(0, 100)
                                          if r.style is Style.NO_CALL]  # the same plan again
    assert all(1 <= len(r.tools) <= 3 for r in no_call)
    # the examples a no_call request shows are no-call examples (answers []), never calls
    assert all(e["answers"] == [] for r in no_call for e in r.examples) and any(r.examples for r in no_call)
    assert all(e["answers"] for r in requests if r.style is not Style.NO_CALL for e in r.examples)


def test_without_no_call_the_plan_is_the_one_of_the_four_call_styles():
    old = planner(styles=CALL_STYLES).plan_range(0, 100)
    assert planner(styles=tuple(Style), share=0.0).plan_range(0, 100) == old  # share 0 disables
    assert planner(styles=CALL_STYLES, share=0.5).plan_range(0, 100) == old   # no_call not listed
    only = planner(styles=(Style.NO_CALL,), share=0.1).plan_range(0, 100)
    assert {r.style for r in only} == {Style.NO_CALL}


def test_a_change_of_share_changes_the_planned_requests_and_their_cache_key():
    a, b = planner(share=0.1).plan_range(0, 100), planner(share=0.2).plan_range(0, 100)
    assert sum(r.style is Style.NO_CALL for r in a) == 10 and sum(r.style is Style.NO_CALL for r in b) == 20
    assert digest("generate", a) != digest("generate", b)


def test_no_call_slots_do_not_depend_on_batching():
    slots = [is_no_call_request(3, i, 0.3) for i in range(50)]
    assert slots == [is_no_call_request(3, i, 0.3) for i in reversed(range(50))][::-1]
    assert sum(slots) in (15, 16)


@pytest.mark.parametrize("styles, share, expected", [
    (None, None, ([s.value for s in Style], 0.1)),                      # default: all five, 10 %
    (["simple"], None, (["simple"], 0.1)),                              # no no_call listed: none planned
    (["simple"], 0.2, (["simple", "no_call"], 0.2)),                    # the share given adds it
    (["simple", "no_call"], 0.0, (["simple", "no_call"], 0.0)),         # 0 disables
    (["no_call"], None, (["no_call"], 0.1)),                            # alone: every request
])
def test_styles_and_share_from_the_cli(styles, share, expected):
    assert resolve_styles(styles, share) == expected


def test_run_config_validates_the_share():
    assert RunConfig(generator=LLM, judge=LLM).no_call_share == 0.1
    assert Style.NO_CALL in RunConfig(generator=LLM, judge=LLM).styles
    with pytest.raises(ValueError, match="no_call_share"):
        RunConfig(generator=LLM, judge=LLM, no_call_share=1.5)
    with pytest.raises(ValueError, match="nothing to generate"):
        RunConfig(generator=LLM, judge=LLM, styles=["no_call"], no_call_share=0)


def test_verified_no_call_rows_of_an_earlier_run_are_examples_for_no_call_requests_only(tmp_path):
    factorial = json.dumps([FACTORIAL.to_prompt_dict()])
    rows = [{"query": "Factorial of 5?", "answers": json.dumps([{"name": "factorial", "arguments": {"n": 5}}]),
             "tools": factorial},
            {"query": "Paint my fence green.", "answers": "[]", "tools": factorial}]
    (tmp_path / "run.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    sampler = ExampleSampler(load_example_pool(str(tmp_path / "run.jsonl")))
    rng = random.Random(0)
    assert [e["query"] for e in sampler.sample(rng, Style.NO_CALL, ["factorial"])[0]] == ["Paint my fence green."]
    assert [e["query"] for e in sampler.sample(rng, Style.SIMPLE, ["factorial"])[0]] == ["Factorial of 5?"]
    assert [e["query"] for e in sampler.sample(rng, Style.SIMPLE, ["other"])[0]] == ["Factorial of 5?"]


def test_prompt_and_schema_of_a_no_call_request():
    request = next(r for r in planner(share=0.5).plan_range(0, 20) if r.style is Style.NO_CALL)
    text = build_messages(request)[0]["content"]
    assert "Style: no_call" in text and "empty list []" in text
    schema = pairs_schema(request.tools, 2, Style.NO_CALL)
    assert schema["properties"]["pairs"]["items"]["properties"]["answers"] == {"type": "array", "maxItems": 0}


# --- stages 1 and 2 -------------------------------------------------------------------------------

def test_format_accepts_no_calls_only_for_the_no_call_style_and_unstyled_rows():
    call = [{"name": "get_weather", "arguments": {"city": "Oslo"}}]
    out = run_format([sample("Write me a haiku", []), sample("Weather in Oslo?", call),
                      sample("Weather in Oslo?", [], style=Style.SIMPLE), sample("Write me a haiku", "[]", style=None)])
    verdicts = [s.verdicts["format"] for s in out]
    assert [v.status for v in verdicts] == ["passed", "failed", "failed", "passed"]
    assert verdicts[1].codes == ["style_mismatch"] and "no call at all" in verdicts[1].errors[0].message
    assert verdicts[2].codes == ["no_calls"]


@pytest.fixture(scope="module")
def executor():
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=5.0)) as pool:
        yield CallExecutor(pool, REGISTRY.target, REGISTRY.get)


def test_execution_has_nothing_to_run_for_a_no_call_row(executor):
    rows = run_format([sample("Write me a haiku", []),
                       sample("Factorial of 5?", [{"name": "factorial", "arguments": {"n": 5}}], Style.SIMPLE, [FACTORIAL])])
    out = run_execution(rows, executor)
    no_call, call = out[0].verdicts["execution"], out[1].verdicts["execution"]
    assert no_call.status == "passed" and no_call.results == () and "no call" in no_call.reason
    assert call.status == "passed" and call.results == (120,)
    assert run_execution(rows[:1], None)[0].verdicts["execution"].status == "passed"  # no sandbox needed


# --- stage 3 --------------------------------------------------------------------------------------

def test_the_rule_rejects_a_query_that_names_a_tools_purpose_with_its_values():
    assert check_no_call("Write a short poem about autumn.", [WEATHER]) == []
    assert check_no_call("Get the weather forecast for my city.", [WEATHER]) == []  # the city is never given
    assert [f.code for f in check_no_call("Get the current weather forecast for Paris.", [WEATHER])] == ["no_call_tool_fits"]
    assert [f.code for f in check_no_call("Use get_weather for city = Rome", [WEATHER])] == ["no_call_tool_fits"]


def _bfcl(name: str):
    for line in (DATA / "bfcl" / name).read_text().splitlines():
        row = json.loads(line)
        query = "\n".join(m["content"] for turn in row["question"] for m in turn if m["role"] == "user")
        yield row["id"], query, [ToolSpec(**f) for f in row["function"]]


def test_the_rule_on_real_irrelevance_questions_and_on_real_should_call_rows():
    """BFCL v4 irrelevance (240 questions no offered function serves) should pass; real rows whose
    answer is a call, turned into fake no-call rows, are what it should catch. Measured: 238 / 240
    irrelevance rows pass; 96 / 400 simple_python, 41 / 200 multiple and 4 / 15 xlam rows rejected."""
    irrelevance = list(_bfcl("BFCL_v4_irrelevance.json"))
    passed = sum(not check_no_call(q, tools) for _, q, tools in irrelevance)
    assert len(irrelevance) == 240 and passed >= 236
    simple = list(_bfcl("BFCL_v4_simple_python.json"))
    caught = sum(bool(check_no_call(q, tools)) for _, q, tools in simple)
    assert caught >= 0.2 * len(simple)
    xlam = [json.loads(line) for line in (DATA / "xlam" / "xlam_sample_15.jsonl").read_text().splitlines()]
    assert sum(bool(check_no_call(r["query"], [ToolSpec(**t) for t in json.loads(r["tools"])])) for r in xlam) >= 3


def test_semantic_without_a_judge_decides_no_call_rows_by_the_rule():
    rows = run_execution(run_format([sample("Write a short poem about autumn.", []),
                                     sample("Get the current weather forecast for Paris.", [])]), None)
    out, _ = run_sync(run_semantic(rows, None))
    good, bad = out[0].verdicts["semantic"], out[1].verdicts["semantic"]
    assert good.status == "passed" and good.decided_by == "rules" and final_status(out[0]) == "verified"
    assert bad.status == "failed" and bad.codes == ["no_call_tool_fits"] and final_status(out[1]) == "rejected"


def test_the_no_call_judge_has_its_own_prompt_and_is_asked_one_sample_at_a_time():
    no_call = sample("Please find the capital of the Moon.", [])
    assert "no-call sample" in build_judge_messages(no_call, [])[0]["content"]
    assert "<calls>" not in build_judge_messages(no_call, [])[0]["content"]
    factorial = [sample(f"Compute the factorial of {n}", [{"name": "factorial", "arguments": {"n": n}}], Style.SIMPLE,
                        [FACTORIAL], key=f"f{n}") for n in (3, 4, 5, 6)]
    # a query the rule lets through (no value) that the judge, seeing the tool's purpose, rejects
    fits = sample("Please compute the factorial n! of a number I pick later", [], tools=[FACTORIAL], key="fits")
    rows = [factorial[0], no_call, factorial[1], fits, factorial[2], factorial[3]]
    prepared = [r.with_verdict(StageResult(stage="execution", status="passed", results=tuple(1 for _ in r.answers)))
                for r in run_format(rows)]
    with SimServer(SimConfig()) as server:
        endpoint = Endpoint(model="openai/apigen-sim", api_base=server.api_base, api_key="x")
        out, stats = run_sync(run_semantic(prepared, endpoint, per_request=4))
        prompts = server.sim.state.counters["judge_requests"]
    verdicts = {s.key: s.verdicts["semantic"] for s in out}
    assert [s.key for s in out] == [r.key for r in rows]  # input order kept
    assert verdicts["k"].status == "passed" and verdicts["k"].decided_by == "judge"
    assert verdicts["fits"].status == "failed" and verdicts["fits"].codes == ["judge_rejected"]
    assert all(verdicts[f"f{n}"].status == "passed" for n in (3, 4, 5, 6))
    assert prompts == stats.requests == 1 + 2  # the four call samples in one batch, each no-call sample alone


# --- the whole path -------------------------------------------------------------------------------

@pytest.mark.usefixtures("prefect_server")
def test_generate_simulated_with_no_call_pairs(tmp_path):
    """Clean no-call pairs are verified; planted ``no_call_fits`` pairs are rejected at semantic."""
    from apigen.sim.content import canonical
    from flows.generate_dataset import generate_dataset
    from helpers import read_dataset

    with SimServer(SimConfig(seed=3, flaw_rate=0.3)) as server:
        llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True)
        config = RunConfig(n=120, generator=llm, judge=llm, seed=3, out=str(tmp_path / "out"), batch_size=40,
                           no_call_share=0.4)
        summary = generate_dataset(config)
        planted = list(server.sim.state.planted)
    verified, rejected, _ = read_dataset(tmp_path / "out")
    by_pair = {(p.query, p.answers): p for p in planted}
    no_call_planted = [p for p in planted if p.answers == "[]"]
    assert len(no_call_planted) >= 30 and summary["generated"] == 120
    clean = {(p.query, p.answers) for p in no_call_planted if p.flaw is None}
    fits = {(p.query, p.answers) for p in no_call_planted if p.flaw == "no_call_fits"}
    assert clean and fits

    def key(row):
        try:
            return row["query"], canonical(json.loads(row["answers"]))
        except json.JSONDecodeError:  # a planted malformed_json pair
            return row["query"], row["answers"]

    verified_no_call = {key(r) for r in verified if r["style"] == "no_call"}
    assert verified_no_call == clean
    assert all(json.loads(r["answers"]) == [] for r in verified if r["style"] == "no_call")
    rejected_fits = [r for r in rejected if key(r) in fits]
    assert len(rejected_fits) == len(fits)
    assert all(r["rejected_stage"] == "semantic" for r in rejected_fits)
    assert Counter(r["style"] for r in verified)["no_call"] == len(clean)
    assert all(by_pair[key(r)].flaw is None for r in verified)


@pytest.mark.usefixtures("prefect_server")
def test_verify_judges_a_row_with_no_calls_as_a_no_call_row(tmp_path):
    from apigen.cli import main

    rows = [{"id": 1, "query": "Write me a limerick about a cat.", "tools": json.dumps([WEATHER.to_xlam()]), "answers": "[]"},
            {"id": 2, "query": "Get the current weather forecast for Paris.", "tools": json.dumps([WEATHER.to_xlam()]),
             "answers": "[]"}]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "v.jsonl"
    assert main(["verify", str(data), "--judge-model", "none", "--out", str(out)]) == 0
    by_id = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert by_id[1]["passed"] and by_id[1]["stages"]["format"]["status"] == "passed"
    assert by_id[1]["stages"]["execution"]["status"] == "passed"
    assert by_id[2]["stages"]["format"]["status"] == "passed"
    assert by_id[2]["stages"]["semantic"]["errors"][0]["code"] == "no_call_tool_fits" and not by_id[2]["passed"]
