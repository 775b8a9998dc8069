"""Check one chunk of an existing dataset as far as it can be checked without the sandbox or the judge.

``apigen verify`` spends nearly all of its time on work that needs nothing but the rows: decoding
them, the format stage, telling calls that have no implementation (the execution stage is then
skipped, naming them), and the deterministic grounding rules. ``check_chunk`` does all of that for
one chunk, in whatever process it is given (a worker of ``apigen.check_pool``), and renders the
verdict lines and their counts there too, so what comes back is a string and a few counters, not
thousands of samples. A chunk that still needs the sandbox (calls with an implementation) or the LLM
judge comes back as samples, with the stages left to run named; those stages use the same functions,
so a verdict is the same whichever way it was reached.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Coroutine, Sequence, TypeVar

from apigen.dataset_io import RawChunk
from apigen.models import STAGES, Sample
from apigen.stages import calls_of, run_format, run_semantic, skip_dead, skip_stage
from apigen.verdicts import VerifyTally, verdict_line
from apigen.verify.execution import Signatures, missing_implementations

T = TypeVar("T")


@dataclass(frozen=True)
class ChunkPlan:
    """What to check: the stages asked for; whether a judge sees what the grounding rules let through
    (then those samples wait for it); the executable functions' signatures (execution stage only)."""

    stages: tuple[str, ...]
    judge: bool = False
    signatures: Signatures | None = None
    render: bool = True  # False: samples come back even when decided (``verify --dedup`` filters them in order)


@dataclass(frozen=True)
class CheckedChunk:
    """A checked chunk: its verdict lines and counts when every stage asked for is decided; else its
    samples and the stages still to run, in order (``execution``: calls to run in the sandbox,
    ``semantic``: the judge)."""

    index: int
    rows: int
    text: str | None = None
    tally: VerifyTally | None = None
    samples: tuple[Sample, ...] | None = None
    pending: tuple[str, ...] = ()


def check_chunk(chunk: RawChunk, plan: ChunkPlan) -> CheckedChunk:
    samples = check_locally(chunk.samples(), plan)
    pending = pending_stages(samples, plan.stages)
    if pending or not plan.render:
        return CheckedChunk(index=chunk.index, rows=len(samples), samples=tuple(samples), pending=pending)
    return CheckedChunk(index=chunk.index, rows=len(samples), text=render(samples),
                        tally=VerifyTally(plan.stages).add(samples))


def render(samples: Sequence[Sample]) -> str:
    return "".join(verdict_line(sample) + "\n" for sample in samples)


def check_locally(samples: Sequence[Sample], plan: ChunkPlan) -> list[Sample]:
    """The stages asked for, as far as they go without the sandbox or the judge; a stage not asked for
    ahead of one that is is recorded as skipped (after the last, verdicts leave it out as before)."""
    out = list(samples)
    last = max(STAGES.index(stage) for stage in plan.stages)
    for stage in STAGES[:last + 1]:
        if stage not in plan.stages:
            out = skip_stage(out, stage)
        elif stage == "format":
            out = run_format(out)
        elif stage == "execution":
            out = _unrunnable_calls(out, plan.signatures or Signatures({}))
        else:
            out = _grounding_rules(out, plan.judge)
    return out


def pending_stages(samples: Sequence[Sample], stages: Sequence[str]) -> tuple[str, ...]:
    return tuple(stage for stage in STAGES if stage in stages and any(stage not in s.verdicts for s in samples))


def _unrunnable_calls(samples: list[Sample], signatures: Signatures) -> list[Sample]:
    """``run_execution`` for the samples with a call that cannot run (skipped, naming it) and those
    rejected earlier; the others, whose calls all can run, are left for the sandbox."""
    out, alive = skip_dead(samples, "execution")
    for i in alive:
        verdict = missing_implementations(calls_of(out[i]), signatures.unavailable)
        if verdict is not None:
            out[i] = out[i].with_verdict(verdict)
    return out


def _grounding_rules(samples: list[Sample], judge: bool) -> list[Sample]:
    """Semantic verdicts the grounding rules decide, by ``run_semantic`` itself (without a judge): a
    sample whose calls wait for the sandbox waits here too, and with a judge, what the rules pass
    waits for it (values the rules leave undecided included: without a judge they pass as warnings)."""
    ready = [i for i, s in enumerate(samples) if "execution" in s.verdicts]
    if not ready:
        return samples
    judged, _ = _without_awaiting(lambda: run_semantic([samples[i] for i in ready], None))
    out = list(samples)
    for i, sample in zip(ready, judged):
        verdict = sample.verdicts.get("semantic")
        if judge and verdict is not None and verdict.status == "passed" and "semantic" not in samples[i].verdicts:
            continue  # the judge decides it
        out[i] = sample
    return out


def _without_awaiting(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """The result of a coroutine that never suspends (``run_semantic`` without a judge) with no event
    loop (the calling thread may be running one); one that does suspend runs again in a loop of its own."""
    coroutine = make()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    return asyncio.run(make())
