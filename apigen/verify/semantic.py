"""Stage 3, semantic: does the answer, with its execution results, really fit the query?

An LLM judge sees the query, the full tool list, the calls and their results, and returns
``{"passed": bool, "reason": str}``. Its reply is untrusted text: parsed as JSON, never evaluated.
An unparseable verdict is asked again; if it stays unparseable it is recorded as such.

A judge that could not be reached (429, 5xx, timeouts, still failing after the LLM layer's retries)
decided nothing: the sample is *undecided* (code ``judge_error``), neither verified nor rejected,
counted apart, and asked again by the next run (its batch is not cached). A judge that refuses the
request for good (bad key, unknown model, malformed request) raises ``JudgeRefused``: every other
sample would meet the same answer, so the run stops at once with that cause. A sample too long for
the judge's context is that sample's fault: it is rejected (``judge_context_exceeded``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Sequence

from apigen.llm import CallStats, Endpoint, LLMError, complete_reply, structured_mode
from apigen.llm_errors import FIXES
from apigen.models import Finding, Sample, StageResult
from apigen.reply_parsing import first_json_value
from apigen.structured_output import judge_schema, response_format
from prompts import load_template

STAGE = "semantic"
RESULT_CHARS = 1500  # long results are cut for the judge; the export keeps them whole
# A verdict is one short object. Without a bound, a small model constrained to {"reason": string, ...}
# can run on inside the string to the token limit (SmolLM2 did: 3 minutes a verdict on 1 CPU).
VERDICT_MAX_TOKENS = 400
UNDECIDED = "judge_error"  # the code of an undecided verdict: the judge could not be reached


class JudgeRefused(RuntimeError):
    """The judge endpoint refused a request for good (key, permissions, model, request): ``str()`` is
    one line naming the endpoint, the cause and the fix."""

    def __init__(self, endpoint: Endpoint, error: LLMError):
        where = f" at {endpoint.api_base}" if endpoint.api_base else ""
        detail = " ".join(str(error).split())
        fix = FIXES.get(error.kind, "check the judge endpoint")
        super().__init__(f"judge {endpoint.model}{where}: {detail}. Fix: {fix}")
        self.kind, self.status = error.kind, error.status


EXECUTED = "These are the results the calls returned when they were executed, one line per call:"
NOT_EXECUTED = ("The calls were NOT executed (no implementation is available), so there are no results: "
                "judge the calls against the query alone.")


def build_judge_messages(sample: Sample, results: Sequence[Any] | None) -> list[dict[str, str]]:
    """The judge prompt; ``results`` None (or empty) means the calls were not executed, and it says so."""
    executed = bool(results)
    text = load_template("judge").render(
        query=sample.query,
        tools=json.dumps([t.to_prompt_dict() for t in sample.tools], ensure_ascii=False),
        calls=json.dumps(sample.answers if not isinstance(sample.answers, str) else json.loads(sample.answers),
                         ensure_ascii=False),
        results_note=EXECUTED if executed else NOT_EXECUTED,
        results="\n".join(json.dumps(r, ensure_ascii=False)[:RESULT_CHARS] for r in results or ()))
    return [{"role": "user", "content": text}]


def parse_verdict(text: str) -> tuple[bool, str]:
    """(passed, reason) from the judge's reply; ValueError when it is not a usable verdict."""
    value = first_json_value(text)
    if not isinstance(value, dict) or not isinstance(value.get("passed"), bool):
        raise ValueError(f"verdict must be an object with a boolean 'passed', got {text[:120]!r}")
    reason = value.get("reason", "")
    return value["passed"], reason if isinstance(reason, str) else json.dumps(reason)


async def judge(sample: Sample, results: Sequence[Any], endpoint: Endpoint, stats: CallStats,
                attempts: int = 3) -> StageResult:
    messages = build_judge_messages(sample, results)
    endpoint = endpoint.model_copy(update={"max_tokens": min(endpoint.max_tokens, VERDICT_MAX_TOKENS)})
    mode = structured_mode(endpoint)
    fmt = None if mode == "off" else response_format(mode, judge_schema(), "verdict")
    last = ""
    for _ in range(attempts):
        try:
            last = (await complete_reply(endpoint, messages, stats, response_format=fmt)).content
        except LLMError as exc:
            if exc.kind == "context_length_exceeded":  # this sample's fault, not the endpoint's
                return StageResult(stage=STAGE, status="failed", decided_by="judge", errors=(Finding(
                    code="judge_context_exceeded", message=f"the sample does not fit the judge's context: {exc}"),))
            if not exc.transient:
                raise JudgeRefused(endpoint, exc) from None
            return StageResult(stage=STAGE, status="failed", decided_by="judge", errors=(Finding(
                code=UNDECIDED, message=f"undecided: the judge could not be reached ({exc}); the next run asks again"),))
        try:
            passed, reason = parse_verdict(last)
        except ValueError:
            continue
        if passed:
            return StageResult(stage=STAGE, status="passed", reason=reason, decided_by="judge")
        return StageResult(stage=STAGE, status="failed", reason=reason, decided_by="judge",
                           errors=(Finding(code="judge_rejected", message=reason or "the judge rejected the sample"),))
    return StageResult(stage=STAGE, status="failed", reason=last[:500], decided_by="judge", errors=(
        Finding(code="judge_unparseable", message=f"no usable verdict after {attempts} attempts: {last[:200]!r}"),))


async def judge_batch(items: Sequence[tuple[Sample, Sequence[Any]]], endpoint: Endpoint) -> tuple[list[StageResult], CallStats]:
    """Verdicts in input order; on ``JudgeRefused`` the requests not yet answered are cancelled."""
    stats = CallStats()
    calls = [asyncio.ensure_future(judge(s, r, endpoint, stats)) for s, r in items]
    try:
        verdicts = await asyncio.gather(*calls)
    except JudgeRefused:
        for call in calls:
            call.cancel()
        raise
    return list(verdicts), stats


def is_undecided(verdict: StageResult | None) -> bool:
    """A semantic verdict the judge never gave: it could not be reached."""
    return verdict is not None and verdict.decided_by == "judge" and UNDECIDED in verdict.codes

