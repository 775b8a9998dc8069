"""Hostile LLM replies never kill ``apigen generate``: each is that pair's or that request's rejection.

Before: a reply holding 3,000 nested brackets (as a JSON string of arguments) crashed the format
stage with ``RecursionError``; a pair nested 900 deep was accepted and carried into every later
walk; a lone surrogate in a reply crashed the cache key and the Parquet export (not UTF-8). The
replies come from a real OpenAI-compatible server on loopback, through litellm, as in production.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow.parquet as pq
import pytest

from api_registry.registry import bundled_registry
from apigen.cli import main
from apigen.generation import parse_generation
from apigen.models import Style
from apigen.sampling import ApiSampler, ExampleSampler, PromptSampler, RequestPlanner
from apigen.stages import run_format
from helpers import send_json

MODEL = "hostile-model"
DEEP = "[" * 3000 + "]" * 3000
REPLIES = {
    "deep_reply": DEEP,
    "deep_arguments": json.dumps([{"query": "What is 2 + 2?", "answers": [{"name": "f", "arguments": DEEP}]}]),
    "deep_pair": '[{"query": "Deep?", "answers": ' + "[" * 900 + "]" * 900 + "}]",
    "bigint": '[{"query": "Add it.", "answers": [{"name": "f", "arguments": {"n": ' + "9" * 5000 + "}}]}]",
    "nan": '[{"query": "Halve it.", "answers": [{"name": "f", "arguments": {"x": NaN}}]}]',
    "surrogates": '[{"query": "Caf\\ud800 menu?", "answers": [{"name": "f", "arguments": {}}]}] \udc80',
    # as deep as decoded JSON may be (safe_json.MAX_DEPTH = 100): read, and carried safely through every stage
    "deep_but_allowed": '[{"query": "Deep?", "answers": [{"name": "f", "arguments": {"x": ' + "[" * 95 + "]" * 95 + "}}]}]",
}
NOT_JSON_INVALID = {"surrogates", "deep_but_allowed"}  # readable: rejected for calling a tool not offered
PROVENANCE = {"seed": 0, "generator_model": MODEL, "prompt_version": "p", "simulated": False}


class HostileLLM:
    """An OpenAI-compatible loopback server: each generation request gets the next hostile reply
    (in turn), a judge request a passing verdict."""

    def __init__(self, replies: list[str]):
        self.replies, self.served = replies, []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                prompt = "\n".join(str(m.get("content")) for m in body.get("messages", []))
                if "<calls>" in prompt:
                    text = json.dumps({"passed": True, "reason": "fine"})
                else:
                    with server._lock:
                        text = server.replies[len(server.served) % len(server.replies)]
                        server.served.append(text)
                self._json(200, {"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": MODEL,
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _json(self, status, payload):
                send_json(self, status, payload)  # a lone surrogate goes out as "\udc80", as a server may send it

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "HostileLLM":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def request_of_two():
    planner = RequestPlanner(ApiSampler(bundled_registry().specs()), ExampleSampler(), PromptSampler(),
                             styles=tuple(Style), seed=0, n=8, pairs_per_request=2)
    return planner.plan(0)


def test_each_hostile_reply_is_rejected_pair_by_pair(request_of_two):
    for kind, reply in REPLIES.items():
        outcome = parse_generation(reply, request_of_two, PROVENANCE)
        checked = run_format(outcome.samples)
        assert len(checked) + sum(outcome.not_returned.values()) == request_of_two.count, kind
        assert checked and all(s.rejected_at == "format" for s in checked), kind
        for sample in checked:  # storable: strict JSON, UTF-8
            json.dumps(sample.model_dump(mode="json"), allow_nan=False, ensure_ascii=False).encode("utf-8")
        codes = ["unknown_function"] if kind in NOT_JSON_INVALID else ["json_invalid"]
        assert all(s.verdicts["format"].codes == codes for s in checked), kind


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.timeout(300)
def test_generate_finishes_with_a_dataset_when_every_reply_is_hostile(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "APIGEN_LLM_API_KEY", "APIGEN_MODEL"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "run"
    with HostileLLM(list(REPLIES.values())) as server:
        code = main(["generate", "--model", f"openai/{MODEL}", "--api-base", server.api_base, "--n", "14",
                     "--pairs-per-request", "2", "--structured", "off", "--seed", "0", "--out", str(out)])
    assert code == 0
    assert sorted(server.served) == sorted(REPLIES.values())  # each hostile reply was served once
    summary = json.loads((out / "summary.json").read_text())
    assert summary["requested_pairs"] == 14 and summary["pairs_lost_to_failed_requests"] == 0
    assert summary["generated"] + summary["pairs_not_returned"] == 14
    rejected = pq.read_table(out / "rejected").to_pylist()
    assert len(rejected) == summary["generated"] == summary["rejected"] and summary["verified"] == 0
    assert sorted(code for r in rejected for code in r["error_codes"]) == ["json_invalid"] * 5 + ["unknown_function"] * 2
    assert any("\ufffd" in r["query"] for r in rejected)  # the lone surrogate, replaced: the row could be written
