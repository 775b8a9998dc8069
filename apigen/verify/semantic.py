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

``per_request`` k > 1 (``--judge-batch k``) judges k samples in one request: the tool definitions
are listed once (deduplicated), each sample says which of them it was offered, and the reply is one
verdict per sample id. The reply is untrusted: a sample whose verdict is missing, duplicated or
malformed, or every sample of a reply that is not a usable object, is judged again on its own (the
single prompt, with its retries) and its verdict carries a warning saying why (``judge_batch_*``
codes): no sample is lost or decided by a guess. A batched request the judge could not be reached
for leaves its k samples undecided, as a single request does; one too long for the judge's context
is split into single requests.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Sequence

from apigen.llm import CallStats, Endpoint, LLMError, complete_reply, structured_mode
from apigen.llm_errors import FIXES
from apigen.models import Finding, Sample, StageResult
from apigen.reply_parsing import first_json_value
from apigen.structured_output import batch_judge_schema, judge_schema, response_format
from apigen.verify.no_call_rule import is_no_call
from prompts import load_template

STAGE = "semantic"
RESULT_CHARS = 1500  # long results are cut for the judge; the export keeps them whole
# A verdict is one short object. Without a bound, a small model constrained to {"reason": string, ...}
# can run on inside the string to the token limit (SmolLM2 did: 3 minutes a verdict on 1 CPU).
VERDICT_MAX_TOKENS = 400
UNDECIDED = "judge_error"  # the code of an undecided verdict: the judge could not be reached
# Why a sample of a batched request was judged on its own (a warning on its verdict).
BATCH_UNPARSEABLE, BATCH_MISSING, BATCH_DUPLICATE = "judge_batch_unparseable", "judge_batch_missing", "judge_batch_duplicate"
BATCH_MALFORMED, BATCH_TOO_LONG = "judge_batch_malformed", "judge_batch_too_long"
BATCH_WHY = {BATCH_UNPARSEABLE: "the batched reply was not an object with a list of verdicts",
             BATCH_MISSING: "the batched reply had no verdict for it",
             BATCH_DUPLICATE: "the batched reply gave it more than one verdict",
             BATCH_MALFORMED: "its verdict in the batched reply had no boolean 'passed'",
             BATCH_TOO_LONG: "the batched request did not fit the judge's context"}


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


def _calls(sample: Sample) -> str:
    return json.dumps(sample.answers if not isinstance(sample.answers, str) else json.loads(sample.answers),
                      ensure_ascii=False)


def _results(results: Sequence[Any] | None) -> dict[str, str]:
    return {"results_note": EXECUTED if results else NOT_EXECUTED,
            "results": "\n".join(json.dumps(r, ensure_ascii=False)[:RESULT_CHARS] for r in results or ())}


def build_judge_messages(sample: Sample, results: Sequence[Any] | None) -> list[dict[str, str]]:
    """The judge prompt; ``results`` None (or empty) means the calls were not executed, and it says so.
    A no-call sample (answers ``[]``) gets a prompt of its own: is there really no tool that fits?"""
    if is_no_call(sample):
        text = load_template("judge_no_call").render(
            query=sample.query, tools=json.dumps([t.to_prompt_dict() for t in sample.tools], ensure_ascii=False))
        return [{"role": "user", "content": text}]
    text = load_template("judge").render(
        query=sample.query, tools=json.dumps([t.to_prompt_dict() for t in sample.tools], ensure_ascii=False),
        calls=_calls(sample), **_results(results))
    return [{"role": "user", "content": text}]


def batch_ids(count: int) -> list[str]:
    """The sample ids of a batched judge prompt: positional, so nothing about the sample leaks into them."""
    return [f"s{n}" for n in range(1, count + 1)]


def build_batch_judge_messages(items: Sequence[tuple[Sample, Sequence[Any] | None]]) -> list[dict[str, str]]:
    """One prompt for several samples (ids from ``batch_ids``): each distinct tool definition once, then
    each sample with the names of the tools it was offered, its query, calls and results."""
    tools: dict[str, dict] = {}  # canonical JSON -> definition, in first-seen order
    blocks = []
    for sample_id, (sample, results) in zip(batch_ids(len(items)), items):
        offered = []
        for tool in sample.tools:
            definition = tool.to_prompt_dict()
            tools.setdefault(json.dumps(definition, sort_keys=True, ensure_ascii=False), definition)
            offered.append(tool.name)
        blocks.append(load_template("judge_batch_sample").render(
            id=sample_id, offered=", ".join(offered) or "(none)", query=sample.query, calls=_calls(sample),
            **_results(results)))
    text = load_template("judge_batch").render(
        count=len(items), tools=json.dumps(list(tools.values()), ensure_ascii=False),
        samples="\n\n".join(b.strip("\n") for b in blocks), ids=", ".join(batch_ids(len(items))))
    return [{"role": "user", "content": text}]


def parse_verdict(text: str) -> tuple[bool, str]:
    """(passed, reason) from the judge's reply; ValueError when it is not a usable verdict."""
    value = first_json_value(text)
    if not isinstance(value, dict) or not isinstance(value.get("passed"), bool):
        raise ValueError(f"verdict must be an object with a boolean 'passed', got {text[:120]!r}")
    reason = value.get("reason", "")
    return value["passed"], reason if isinstance(reason, str) else json.dumps(reason)


def parse_batch_verdicts(text: str, ids: Sequence[str]) -> tuple[dict[str, tuple[bool, str]], dict[str, str]]:
    """({id: (passed, reason)}, {id: why it has no usable verdict}) from a batched reply; every id lands in
    exactly one of the two. Items with an id not asked for are ignored; an id answered twice is not trusted."""
    try:
        value = first_json_value(text)  # strict decoding (apigen.safe_json): no NaN, duplicate keys, deep nesting
    except ValueError:
        value = None
    items = value.get("verdicts") if isinstance(value, dict) else None
    if not isinstance(items, list):
        return {}, dict.fromkeys(ids, BATCH_UNPARSEABLE)
    found: dict[str, list[Any]] = {i: [] for i in ids}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] in found:
            found[item["id"]].append(item)
    verdicts, missing = {}, {}
    for sample_id, answers in found.items():
        if not answers:
            missing[sample_id] = BATCH_MISSING
        elif len(answers) > 1:
            missing[sample_id] = BATCH_DUPLICATE
        elif not isinstance(answers[0].get("passed"), bool):
            missing[sample_id] = BATCH_MALFORMED
        else:
            reason = answers[0].get("reason", "")
            verdicts[sample_id] = (answers[0]["passed"], reason if isinstance(reason, str) else json.dumps(reason))
    return verdicts, missing


def _decided(passed: bool, reason: str) -> StageResult:
    if passed:
        return StageResult(stage=STAGE, status="passed", reason=reason, decided_by="judge")
    return StageResult(stage=STAGE, status="failed", reason=reason, decided_by="judge",
                       errors=(Finding(code="judge_rejected", message=reason or "the judge rejected the sample"),))


def _undecided(exc: LLMError) -> StageResult:
    return StageResult(stage=STAGE, status="failed", decided_by="judge", errors=(Finding(
        code=UNDECIDED, message=f"undecided: the judge could not be reached ({exc}); the next run asks again"),))


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
            return _undecided(exc)
        try:
            passed, reason = parse_verdict(last)
        except ValueError:
            continue
        return _decided(passed, reason)
    return StageResult(stage=STAGE, status="failed", reason=last[:500], decided_by="judge", errors=(
        Finding(code="judge_unparseable", message=f"no usable verdict after {attempts} attempts: {last[:200]!r}"),))


async def judge_together(items: Sequence[tuple[Sample, Sequence[Any]]], endpoint: Endpoint,
                         stats: CallStats) -> list[StageResult]:
    """Verdicts for ``items`` from one batched request; the samples it gave no usable verdict for are
    judged singly, and say why in a warning."""
    if len(items) == 1:
        return [await judge(*items[0], endpoint, stats)]
    ids = batch_ids(len(items))
    batched = endpoint.model_copy(update={"max_tokens": min(endpoint.max_tokens, VERDICT_MAX_TOKENS * len(items))})
    mode = structured_mode(batched)
    fmt = None if mode == "off" else response_format(mode, batch_judge_schema(ids), "verdicts")
    try:
        reply = await complete_reply(batched, build_batch_judge_messages(items), stats, response_format=fmt)
    except LLMError as exc:
        if exc.kind == "context_length_exceeded":  # the batch's size, not one sample's fault: ask singly
            verdicts, missing = {}, dict.fromkeys(ids, BATCH_TOO_LONG)
        elif not exc.transient:
            raise JudgeRefused(endpoint, exc) from None
        else:
            return [_undecided(exc) for _ in items]
    else:
        verdicts, missing = parse_batch_verdicts(reply.content, ids)
    again = [i for i, sample_id in enumerate(ids) if sample_id in missing]
    singles = dict(zip(again, await asyncio.gather(*(judge(*items[i], endpoint, stats) for i in again))))
    out = []
    for i, sample_id in enumerate(ids):
        if sample_id in verdicts:
            out.append(_decided(*verdicts[sample_id]))
            continue
        note = Finding(code=missing[sample_id], message=f"judged on its own: {BATCH_WHY[missing[sample_id]]}")
        out.append(singles[i].model_copy(update={"warnings": singles[i].warnings + (note,)}))
    return out


async def judge_batch(items: Sequence[tuple[Sample, Sequence[Any]]], endpoint: Endpoint,
                      per_request: int = 1) -> tuple[list[StageResult], CallStats]:
    """Verdicts in input order, ``per_request`` consecutive samples a request; on ``JudgeRefused`` the
    requests not yet answered are cancelled."""
    stats = CallStats()
    # no-call samples are judged one per request, by their own prompt; the others k at a time
    calling = [i for i, item in enumerate(items) if not is_no_call(item[0])]
    groups = [calling[start:start + per_request] for start in range(0, len(calling), max(1, per_request))]
    groups += [[i] for i, item in enumerate(items) if is_no_call(item[0])]
    calls = [asyncio.ensure_future(judge_together([items[i] for i in group], endpoint, stats)) for group in groups]
    try:
        verdicts = await asyncio.gather(*calls)
    except JudgeRefused:
        for call in calls:
            call.cancel()
        raise
    by_index = {i: verdict for group, group_verdicts in zip(groups, verdicts) for i, verdict in zip(group, group_verdicts)}
    return [by_index[i] for i in range(len(items))], stats


def is_undecided(verdict: StageResult | None) -> bool:
    """A semantic verdict the judge never gave: it could not be reached."""
    return verdict is not None and verdict.decided_by == "judge" and UNDECIDED in verdict.codes

