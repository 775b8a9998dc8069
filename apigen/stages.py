"""Run each verification stage over a batch of samples; one code path for generation and ``verify``.

A stage judges only samples that passed every earlier stage; the others get ``skipped``. Each
function returns new Sample objects (samples are immutable records), in input order.
"""

from __future__ import annotations

from typing import Sequence

from apigen.llm import CallStats, Endpoint
from apigen.models import DATASET_CHECKS, STAGES, Finding, FunctionCall, Sample, StageResult, Style
from apigen.verify.execution import CallExecutor, check_many
from apigen.verify.format_check import call_shape, check_format, decode_answers, unusable_answers
from apigen.verify.grounding import grade
from apigen.verify.no_call_rule import NO_CALL_EXECUTION, check_no_call, is_no_call
from apigen.verify.semantic import is_undecided, judge_batch


def skip_dead(samples: Sequence[Sample], stage: str) -> tuple[list[Sample], list[int]]:
    """Mark samples rejected earlier as skipped here; return them and the indexes still alive.

    A verdict decided ahead of its stage (a row rejected while it was read) stays as it is, and
    does not stop the stages before it from checking the row.
    """
    out, alive = [], []
    for i, sample in enumerate(samples):
        if stage in sample.verdicts:  # already judged (e.g. a row rejected while it was read)
            out.append(sample)
        elif sample.rejected_at is None or STAGES.index(sample.rejected_at) > STAGES.index(stage):
            problem = unusable_answers(sample.answers) if stage != "format" and not _format_passed(sample) else None
            if problem is None:
                alive.append(i)
                out.append(sample)
            else:  # the format stage was not asked for, and the answers are not calls this stage can use
                out.append(sample.with_verdict(StageResult(stage=stage, status="failed", errors=(
                    Finding(code="calls_unusable", message=f"{problem.message} (format stage code {problem.code})"),))))
        else:
            out.append(sample.with_verdict(StageResult.skipped(stage, f"rejected at {sample.rejected_at}")))
    return out, alive


def _format_passed(sample: Sample) -> bool:
    verdict = sample.verdicts.get("format")
    return verdict is not None and verdict.status == "passed"


def skip_stage(samples: Sequence[Sample], stage: str) -> list[Sample]:
    """Mark a stage that was not asked for as skipped."""
    return [s if stage in s.verdicts else s.with_verdict(StageResult.skipped(stage, "not requested")) for s in samples]


def run_format(samples: Sequence[Sample], allow_no_call: bool = False) -> list[Sample]:
    """``answers: []`` passes for the no_call style and for rows without a style (``apigen verify``:
    such a row is judged as a no-call row); a sample of another style needs calls (``no_calls``)."""
    out, alive = skip_dead(samples, "format")
    for i in alive:
        s = out[i]
        style = s.provenance.style if s.provenance else None  # rows of existing datasets have no style
        no_call_ok = allow_no_call or style is None or style is Style.NO_CALL
        out[i] = s.with_verdict(check_format(s.query, s.tools, s.answers, s.raw, allow_no_call=no_call_ok,
                                             style=style))
    return out


def calls_of(sample: Sample) -> list[FunctionCall]:
    """The sample's calls; valid only once the format stage has passed it."""
    decoded, _ = decode_answers(sample.answers)
    return [FunctionCall(name=name, arguments=arguments) for name, arguments in
            (call_shape(index, call) for index, call in enumerate(decoded))]


def run_execution(samples: Sequence[Sample], executor: CallExecutor) -> list[Sample]:
    out, alive = skip_dead(samples, "execution")
    no_call = [i for i in alive if is_no_call(out[i])]  # nothing to run: passed, with no results
    for i in no_call:
        out[i] = out[i].with_verdict(NO_CALL_EXECUTION)
    calling = [i for i in alive if i not in no_call]
    verdicts = check_many([calls_of(out[i]) for i in calling], executor) if calling else []
    for i, verdict in zip(calling, verdicts):
        out[i] = out[i].with_verdict(verdict)
    return out


async def run_semantic(samples: Sequence[Sample], endpoint: Endpoint | None,
                       per_request: int = 1) -> tuple[list[Sample], CallStats]:
    """Grounding rules first (free); the LLM judge, if there is one, only for what they let through
    (values the rules leave undecided included), ``per_request`` samples in each judge request."""
    out, alive = skip_dead(samples, "semantic")
    to_judge = []
    for i in alive:
        if is_no_call(out[i]):  # no calls to ground: the no-call rule, then its own judge prompt
            findings = check_no_call(out[i].query, out[i].tools)
            if findings:
                out[i] = out[i].with_verdict(StageResult(stage="semantic", status="failed", errors=tuple(findings),
                                                         reason="no-call rule", decided_by="rules"))
            elif endpoint is None:
                out[i] = out[i].with_verdict(StageResult(stage="semantic", status="passed", decided_by="rules",
                                                         reason="no-call rule only (no judge model)"))
            else:
                to_judge.append(i)
            continue
        grounding = grade(out[i].query, out[i].tools, calls_of(out[i]))
        if grounding.failures:
            out[i] = out[i].with_verdict(StageResult(stage="semantic", status="failed", errors=tuple(grounding.failures),
                                                     reason="deterministic grounding rules", decided_by="rules"))
        elif endpoint is None:  # undecided values (neither grounded nor wrong) pass, as warnings
            out[i] = out[i].with_verdict(StageResult(stage="semantic", status="passed", decided_by="rules",
                                                     warnings=tuple(grounding.undecided),
                                                     reason="deterministic grounding rules only (no judge model)"))
        else:
            to_judge.append(i)
    items = [(out[i], list((out[i].verdicts.get("execution") or StageResult.skipped("execution")).results or []))
             for i in to_judge]
    verdicts, stats = await judge_batch(items, endpoint, per_request) if items else ([], CallStats())
    for i, verdict in zip(to_judge, verdicts):
        out[i] = out[i].with_verdict(verdict)
    return out, stats


def final_status(sample: Sample) -> str:
    """``verified`` only when every stage passed (a skipped stage does not verify) and no dataset check
    (dedup) failed; ``undecided`` when the judge could not be reached for a sample the other stages
    passed; else ``rejected``."""
    if (all(sample.verdicts.get(s) is not None and sample.verdicts[s].status == "passed" for s in STAGES)
            and all(sample.verdicts.get(c) is None or sample.verdicts[c].status != "failed" for c in DATASET_CHECKS)):
        return "verified"
    if sample.rejected_at == "semantic" and is_undecided(sample.verdicts["semantic"]):
        return "undecided"
    return "rejected"
