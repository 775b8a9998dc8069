"""LLM failures are accounted for: every request sent is counted, pairs the model did not return are
reported, a judge that could not be reached leaves pairs undecided (judged again by the next run, never
cached as rejected), and a judge that refuses the key stops the run at once with that cause.

Everything is real: loopback HTTP endpoints scripted to fail, Prefect flows on the session's server,
the ``apigen`` CLI.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apigen.config import LLMConfig, RunConfig
from apigen.reply_parsing import first_json_value
from apigen.sim.content import is_judge_prompt
from apigen.sim.server import REJECTED_KEY, SimConfig, SimServer, SimulatedLLM
from flows.generate_dataset import generate_dataset
from helpers import read_dataset, send_json

pytestmark = pytest.mark.usefixtures("prefect_server")


class ScriptedLLM:
    """An OpenAI-compatible endpoint answering with the simulated LLM's content, failing on script:
    the first ``fail_first`` completion requests get ``fail_status``; generation replies keep only
    ``keep`` of the pairs asked for; judge prompts get ``judge_status`` while it is set."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503, keep: float = 1.0,
                 judge_status: int | None = None):
        self.sim = SimulatedLLM(SimConfig(seed=4))
        self.fail_first, self.fail_status, self.keep, self.judge_status = fail_first, fail_status, keep, judge_status
        self.requests = self.judge_requests = self.generation_requests = 0
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _answer(self, prompt: str) -> tuple[int, str]:
        judge = is_judge_prompt(prompt)
        with self.lock:
            self.requests += 1
            number = self.requests
            if judge:
                self.judge_requests += 1
            else:
                self.generation_requests += 1
        if number <= self.fail_first:
            return self.fail_status, ""
        if judge and self.judge_status:
            return self.judge_status, ""
        content = self.sim.reply(prompt)
        if not judge and self.keep < 1:
            pairs = first_json_value(content)
            content = json.dumps(pairs[: int(len(pairs) * self.keep)])
        return 200, content

    def _handler(self):
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, payload: dict) -> None:
                send_json(self, status, payload, {"Retry-After": "0"} if status == 429 else None)

            def do_GET(self):
                self._send(200, {"object": "list", "data": [{"id": "apigen-sim", "object": "model"}]})

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                prompt = "\n".join(m.get("content") or "" for m in request.get("messages", []))
                status, content = scripted._answer(prompt)
                if status != 200:
                    self._send(status, {"error": {"message": f"scripted failure {status}", "type": "server_error"}})
                    return
                self._send(200, {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
                                 "model": "apigen-sim", "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        return Handler


def _llm(api_base: str, max_attempts: int) -> LLMConfig:
    return LLMConfig(model="openai/apigen-sim", api_base=api_base, simulated=True, max_attempts=max_attempts)


def test_requests_of_failed_task_attempts_and_pairs_not_returned_are_counted(tmp_path):
    """Attempt 1 of the generate task loses both its requests (503) and Prefect retries the task; the
    model then returns half of the pairs asked for. The summary counts every request the server saw."""
    server = ScriptedLLM(fail_first=2, keep=0.5)
    try:
        llm = _llm(server.api_base, max_attempts=1)
        config = RunConfig(n=8, generator=llm, judge=llm, seed=4, out=str(tmp_path / "out"), batch_size=8,
                           pairs_per_request=4, result_storage=str(tmp_path / "store"))
        generate_dataset(config)
    finally:
        server.stop()
    _, _, summary = read_dataset(tmp_path / "out")
    calls = summary["llm_calls"]
    assert server.generation_requests == 4  # 2 lost with the failed attempt, 2 answered by the retry
    assert calls["generate"]["requests"] == server.generation_requests, calls
    assert calls["generate"]["failures"] == {"http_503": 2}, calls
    assert sum(c["requests"] for c in calls.values()) == server.requests
    assert summary["generated"] == 4 and summary["pairs_not_returned"] == 4
    assert summary["pairs_not_returned_by_reason"] == {"fewer_than_asked": 4}
    assert summary["requested_pairs"] == (summary["generated"] + summary["pairs_not_returned"]
                                          + summary["pairs_lost_to_failed_requests"])


def test_an_unreachable_judge_leaves_pairs_undecided_and_the_next_run_judges_them(tmp_path):
    """A judge that answers 429 to every request: its pairs are undecided, neither verified nor
    rejected, and not cached; the same command, once the judge is back, judges them."""
    generator = SimServer(SimConfig(seed=4)).start()
    judge = ScriptedLLM(judge_status=429)
    try:
        config = RunConfig(n=8, generator=_llm(generator.api_base, 2), judge=_llm(judge.api_base, 2), seed=4,
                           out=str(tmp_path / "out"), batch_size=8, result_storage=str(tmp_path / "store"))
        first = generate_dataset(config)
        asked_while_down = judge.judge_requests
        _, rejected, summary = read_dataset(tmp_path / "out")
        judge.judge_status = None  # the judge is back, at the same address: same cache keys
        generation_requests = generator.sim.stats()["requests"]
        second = generate_dataset(config)
        assert generator.sim.stats()["requests"] == generation_requests  # generation came from the cache
    finally:
        judge.stop()
        generator.stop()
    undecided = first["stages"]["semantic"]["in"]
    assert asked_while_down > 0 and undecided > 0
    assert first["undecided"] == undecided == first["stages"]["semantic"]["undecided"]
    assert first["verified"] == 0 and first["rejected"] == first["generated"] - undecided
    assert first["stages"]["semantic"]["failed"] == 0 and "judge_error" not in first["stages"]["semantic"]["errors"]
    assert sum(r["rejected_stage"] == "semantic" for r in rejected) == undecided  # exported, marked undecided
    assert all(r["error_codes"] == ["judge_error"] for r in rejected if r["rejected_stage"] == "semantic")
    assert summary["undecided"] == undecided  # summary.json says so too
    assert judge.judge_requests > asked_while_down  # judged again, not served from the cache as rejected
    assert second["undecided"] == 0 and second["verified"] == first["verified"] + undecided


def test_a_judge_that_refuses_the_key_stops_the_run_at_once_with_the_cause(tmp_path, capsys, monkeypatch):
    """HTTP 401 on completions (the model listing passes, so the preflight does not catch it): one
    request, no retries, exit 1, and the cause in the message."""
    from apigen.cli import main

    monkeypatch.setenv("APIGEN_LLM_API_KEY", REJECTED_KEY)
    data = tmp_path / "rows.jsonl"
    tool = {"name": "factorial", "description": "Factorial of n.", "parameters": {"n": {"type": "int", "description": "n"}}}
    data.write_text(json.dumps({"id": 1, "query": "Compute the factorial of 5", "tools": [tool],
                                "answers": [{"name": "factorial", "arguments": {"n": 5}}]}) + "\n")
    out = tmp_path / "verdicts.jsonl"
    with SimServer(SimConfig()) as server:
        started = time.monotonic()
        code = main(["verify", str(data), "--stages", "format,semantic", "--judge-model", "openai/apigen-sim",
                     "--judge-api-base", server.api_base, "--out", str(out)])
        elapsed = time.monotonic() - started
        requests = server.sim.stats()["requests"]
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if "the run failed" in line]
    assert code == 1 and requests == 1, (code, requests, err[-500:])
    assert len(failed) == 1 and "auth_refused (HTTP 401)" in failed[0], err[-500:]
    assert REJECTED_KEY not in err and not out.exists()
    assert elapsed < 30, elapsed  # no task-level retries with backoff
