"""``--judge-batch k``: k samples a judge request, the same verdicts as one at a time, and a batched
reply that cannot be trusted for a sample costs that sample a single request, never its verdict."""

import json
import math
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api_registry.registry import bundled_registry
from apigen.config import LLMConfig
from apigen.generation import generate_batch
from apigen.llm import Endpoint, run_sync
from apigen.models import Provenance, Sample, Style
from apigen.sampling import ApiSampler, ExampleSampler, PromptSampler, RequestPlanner
from apigen.sim.content import canonical, judge_verdict
from apigen.stages import run_format, run_semantic
from apigen.structured_output import batch_judge_schema
from apigen.verify.semantic import build_batch_judge_messages, judge_batch, parse_batch_verdicts
from helpers import send_json

PROVENANCE = {"seed": 0, "generator_model": "openai/apigen-sim", "prompt_version": "p", "simulated": True}


def _get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def sim_port():
    """A real ``apigen sim-llm`` process with planted flaws."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--seed", "11",
                                "--flaw-rate", "0.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert "serving" in process.stdout.readline()
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _endpoint(port: int) -> Endpoint:
    return Endpoint(model="openai/apigen-sim", api_base=f"http://127.0.0.1:{port}/v1", api_key="simulated",
                    backoff_s=0.01, temperature=0.0)


def _judge_requests(port: int) -> int:
    return _get(port, "/stats").get("judge_requests", 0)


def _verdicts(samples):
    return [(s.verdicts["semantic"].status, s.verdicts["semantic"].decided_by, tuple(s.verdicts["semantic"].codes))
            for s in samples]


def test_k4_makes_a_quarter_of_the_requests_with_the_same_verdicts(sim_port):
    planner = RequestPlanner(ApiSampler(bundled_registry().specs()), ExampleSampler(), PromptSampler(),
                             styles=tuple(Style), seed=4, n=60, pairs_per_request=4)
    generated = run_sync(generate_batch(planner.plan_range(0, planner.request_count), _endpoint(sim_port), PROVENANCE))
    planted = {(p["query"], p["answers"]): p["flaw"] for p in _get(sim_port, "/planted")}
    samples = run_format(generated.samples)
    endpoint = _endpoint(sim_port)

    # Through the stage: the free rules first, only what they let through reaches the judge.
    before = _judge_requests(sim_port)
    single, single_stats = run_sync(run_semantic(samples, endpoint, 1))
    asked = _judge_requests(sim_port) - before
    batched, batched_stats = run_sync(run_semantic(samples, endpoint, 4))
    asked_batched = _judge_requests(sim_port) - before - asked
    reached_judge = sum(s.verdicts["semantic"].decided_by == "judge" for s in single)
    assert reached_judge >= 12  # enough samples got past format and the free rules to mean something
    assert asked == single_stats.requests == reached_judge
    assert asked_batched == batched_stats.requests == math.ceil(reached_judge / 4)
    assert _verdicts(batched) == _verdicts(single)
    assert not any(s.verdicts["semantic"].warnings for s in batched)  # no sample needed a second request

    # The judge alone, planted mismatches included (the rules would catch most of them first).
    items = [(s, []) for s in samples if s.rejected_at is None]
    flaws = [planted[(s.query, canonical(s.answers))] for s, _ in items]
    assert "mismatch" in flaws and None in flaws
    alone = {k: run_sync(judge_batch(items, endpoint, k)) for k in (1, 4)}
    assert alone[4][1].requests == math.ceil(len(items) / 4) and alone[1][1].requests == len(items)
    for verdicts, _ in alone.values():
        assert [v.status for v in verdicts] == ["failed" if f == "mismatch" else "passed" for f in flaws]


def _factorial(query: str, n: int) -> Sample:
    spec = bundled_registry().get("factorial").spec
    prov = Provenance(style=Style.SIMPLE, category="math", generator_model="m", prompt_version="p", seed=0,
                      request_index=0, pair_index=0)
    return Sample(key=query, query=query, tools=[spec], answers=[{"name": "factorial", "arguments": {"n": n}}],
                  provenance=prov)


# Four samples the rule-based judge decides: pass, pass, fail (a call returned nothing), pass.
ITEMS = [(_factorial("Compute the factorial of 5", 5), [120]), (_factorial("Compute the factorial of 6", 6), [720]),
         (_factorial("Compute the factorial of 7", 7), [None]), (_factorial("Compute the factorial of 3", 3), [6])]
EXPECTED = ["passed", "passed", "failed", "passed"]


def _right(prompt: str) -> list[dict]:
    return judge_verdict(prompt)["verdicts"]


BAD_REPLIES = {  # mode -> (the batched reply, from the right verdicts; the samples judged again, by code)
    "prose": (lambda v: "They all look fine to me.", {i: "judge_batch_unparseable" for i in range(4)}),
    "single_verdict": (lambda v: json.dumps({"passed": True, "reason": "ok"}), {i: "judge_batch_unparseable" for i in range(4)}),
    "nan": (lambda v: json.dumps({"verdicts": v}).replace('"passed": true', '"passed": NaN'),
            {i: "judge_batch_unparseable" for i in range(4)}),
    "duplicate_key": (lambda v: json.dumps({"verdicts": v})[:-1] + ', "verdicts": []}',
                      {i: "judge_batch_unparseable" for i in range(4)}),
    "missing_id": (lambda v: json.dumps({"verdicts": [x for x in v if x["id"] != "s2"]}), {1: "judge_batch_missing"}),
    "duplicated_id": (lambda v: json.dumps({"verdicts": v + [{**v[0], "passed": not v[0]["passed"]}]}),
                      {0: "judge_batch_duplicate"}),
    "unknown_ids": (lambda v: json.dumps({"verdicts": v + [{"id": "s9", "passed": False}, {"id": 3, "passed": False},
                                                           "s1"]}), {}),
    "malformed_item": (lambda v: json.dumps({"verdicts": [{**x, "passed": "yes"} if x["id"] == "s3" else x for x in v]}),
                       {2: "judge_batch_malformed"}),
    "renamed_ids": (lambda v: json.dumps({"verdicts": [{**x, "id": x["id"].upper()} for x in v]}),
                    {i: "judge_batch_missing" for i in range(4)}),
}


class _BadJudge:
    """A loopback OpenAI-style endpoint: single judge prompts get the simulator's verdict, batched ones
    the reply of the current ``mode``. Counts both kinds of request."""

    def __init__(self):
        self.mode, self.counts = "prose", {"batched": 0, "single": 0}
        judge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = request["messages"][0]["content"]
                if '<sample id="' in prompt:
                    judge.counts["batched"] += 1
                    content = BAD_REPLIES[judge.mode][0](_right(prompt))
                else:
                    judge.counts["single"] += 1
                    content = json.dumps(judge_verdict(prompt))
                send_json(self, 200, {"id": "x", "object": "chat.completion", "created": int(time.time()),
                                      "model": "bad-judge", "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": content}}],
                                      "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(model="openai/bad-judge", api_base=f"http://127.0.0.1:{self.httpd.server_address[1]}/v1",
                        api_key="x", backoff_s=0.01, structured="off")


@pytest.fixture(scope="module")
def bad_judge():
    judge = _BadJudge()
    yield judge
    judge.httpd.shutdown()
    judge.httpd.server_close()


@pytest.mark.parametrize("mode", list(BAD_REPLIES))
def test_untrusted_batched_replies_are_handled_per_sample(bad_judge, mode):
    bad_judge.mode, bad_judge.counts = mode, {"batched": 0, "single": 0}
    verdicts, stats = run_sync(judge_batch(ITEMS, bad_judge.endpoint, per_request=4))
    judged_again = BAD_REPLIES[mode][1]
    assert [v.status for v in verdicts] == EXPECTED  # nothing lost, nothing guessed
    assert all(v.decided_by == "judge" for v in verdicts)
    assert {i: [w.code for w in v.warnings] for i, v in enumerate(verdicts) if v.warnings} == {
        i: [code] for i, code in judged_again.items()}
    assert bad_judge.counts == {"batched": 1, "single": len(judged_again)} and stats.requests == 1 + len(judged_again)


def test_parse_batch_verdicts_accounts_for_every_id():
    ids = ["s1", "s2", "s3"]
    reply = '```json\n{"verdicts": [{"id": "s1", "reason": "ok", "passed": true}, {"id": "s3", "passed": false, ' \
            '"reason": {"why": 1}}, {"id": "s3", "passed": true}]}\n```'
    verdicts, missing = parse_batch_verdicts(reply, ids)
    assert verdicts == {"s1": (True, "ok")}
    assert missing == {"s2": "judge_batch_missing", "s3": "judge_batch_duplicate"}
    assert parse_batch_verdicts("[1, 2]", ids) == ({}, dict.fromkeys(ids, "judge_batch_unparseable"))


def test_batched_prompt_lists_shared_tools_once_and_each_samples_offer():
    other = bundled_registry().get("is_palindrome").spec
    extra = ITEMS[0][0].model_copy(update={"tools": [other, ITEMS[0][0].tools[0]]})
    text = build_batch_judge_messages([*ITEMS[:2], (extra, None)])[0]["content"]
    tools = json.loads(text.split("<tools>\n", 1)[1].split("\n</tools>", 1)[0])
    assert [t["name"] for t in tools] == ["factorial", "is_palindrome"]  # each definition once, first seen first
    assert "Offered tools: is_palindrome, factorial" in text and text.count("Offered tools: factorial\n") == 2
    assert "were NOT executed" in text and 'Sample ids: s1, s2, s3' in text
    schema = batch_judge_schema(["s1", "s2"])["properties"]["verdicts"]
    assert [v["properties"]["id"] for v in schema["prefixItems"]] == [{"const": "s1"}, {"const": "s2"}]
    assert schema["minItems"] == schema["maxItems"] == 2 and "items" not in schema


def test_judge_batch_changes_the_cache_key_only_when_set():
    base = LLMConfig(model="openai/m", temperature=0.0)
    assert base.identity() == "openai/m|None|0.0|4096|auto|False"  # the key of k=1 is what it always was
    assert LLMConfig(model="openai/m", temperature=0.0, judge_batch=4).identity().startswith(
        base.identity() + "|judge_batch=4:")
    with pytest.raises(ValueError):
        LLMConfig(model="openai/m", judge_batch=33)


@pytest.mark.usefixtures("prefect_server")
def test_cli_generate_simulated_with_judge_batch(tmp_path):
    from apigen.cli import main

    summaries = {}
    for k in (1, 4):
        out = tmp_path / f"out{k}"
        # no no-call pairs: they are judged one per request whatever K is (tests/test_no_call.py)
        assert main(["generate", "--simulate", "--n", "40", "--seed", "3", "--judge-batch", str(k),
                     "--no-call-share", "0", "--out", str(out)]) == 0
        summaries[k] = json.loads((out / "summary.json").read_text())
    one, four = summaries[1], summaries[4]
    assert one["verified"] == four["verified"] > 0 and one["stages"] == four["stages"]
    judged = one["llm_calls"]["semantic"]["requests"]
    assert judged >= 8 and four["llm_calls"]["semantic"]["requests"] == math.ceil(judged / 4)
