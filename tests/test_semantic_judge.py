"""The LLM judge over real HTTP: structured verdicts, unparseable replies retried then recorded."""

import json
import urllib.request

import pytest

from api_registry.registry import bundled_registry
from apigen.llm import Endpoint, run_sync
from apigen.models import Provenance, Sample, Style
from apigen.sim.server import SimConfig, SimServer
from apigen.stages import run_semantic
from apigen.verify.semantic import parse_verdict


def sample(query: str, arguments: dict) -> Sample:
    spec = bundled_registry().get("factorial").spec
    prov = Provenance(style=Style.SIMPLE, category="math", generator_model="m", prompt_version="p", seed=0,
                      request_index=0, pair_index=0)
    return Sample(key="k", query=query, tools=[spec], answers=[{"name": "factorial", "arguments": arguments}], provenance=prov)


@pytest.mark.parametrize("text, expected", [
    ('{"passed": true, "reason": "fits"}', (True, "fits")),
    ('Verdict:\n```json\n{"passed": false, "reason": "wrong n"}\n```', (False, "wrong n")),
])
def test_parse_verdict(text, expected):
    assert parse_verdict(text) == expected


@pytest.mark.parametrize("text", ['{"passed": "yes"}', "looks good to me", '["passed"]'])
def test_unusable_verdicts_are_errors(text):
    with pytest.raises(ValueError):
        parse_verdict(text)


def test_judge_verdicts_and_unparseable_replies():
    with SimServer(SimConfig()) as server:
        real_reply = server.sim.reply
        garbage = {"left": 0}

        def flaky_reply(prompt: str) -> str:
            if "Compute the factorial of 6" in prompt and garbage["left"] > 0:
                garbage["left"] -= 1
                return "I think it is fine!"
            if "never parse" in prompt:
                return "no verdict here"
            return real_reply(prompt)
        server.sim.reply = flaky_reply
        garbage["left"] = 2
        endpoint = Endpoint(model="openai/apigen-sim", api_base=server.api_base, api_key="x", backoff_s=0.01)
        samples = [sample("Compute the factorial of 5", {"n": 5}), sample("Compute the factorial of 6", {"n": 6}),
                   sample("Compute the factorial of 9", {"n": 4}), sample("Compute the factorial of 7, never parse", {"n": 7})]
        judged, stats = run_sync(run_semantic(samples, endpoint))
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/stats") as response:
            requests = json.loads(response.read())
    verdicts = [s.verdicts["semantic"] for s in judged]
    assert [v.status for v in verdicts] == ["passed", "passed", "failed", "failed"]
    assert verdicts[1].reason  # passed on the third try, after two unparseable replies
    assert verdicts[2].codes == ["ungrounded_value"]  # the free rules caught it: the judge was not asked
    assert verdicts[3].codes == ["judge_unparseable"]
    judged_calls = 1 + 3 + 0 + 3
    assert stats.requests == requests["requests"] == judged_calls


def test_an_unreachable_judge_is_told_apart_from_rejections():
    from apigen.models import Finding, StageResult
    from apigen.verify.semantic import is_undecided

    error = StageResult(stage="semantic", status="failed", decided_by="judge",
                        errors=(Finding(code="judge_error", message="unreachable"),))
    rejected = StageResult(stage="semantic", status="failed", decided_by="judge",
                           errors=(Finding(code="judge_rejected", message="no"),))
    by_rules = StageResult(stage="semantic", status="failed", decided_by="rules",
                           errors=(Finding(code="ungrounded_value", message="x"),))
    assert is_undecided(error)
    assert not is_undecided(rejected)
    assert not is_undecided(by_rules) and not is_undecided(None)  # the judge was never asked
