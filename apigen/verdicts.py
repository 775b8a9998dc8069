"""``apigen verify`` output: one verdict object per input row, and the summary beside it.

Each verdict line is strict JSON (no NaN, no lone surrogates) and bounded (``MAX_VERDICT_BYTES``):
messages are cut, long lists of findings end with a count of those left out, a long execution result
is replaced by a preview. The row is named by its own ``id`` (None when it has none that can be
written) and by where it is in the input (``"line"`` in a ``.jsonl`` file, ``"index"`` otherwise).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from apigen.models import DATASET_CHECKS, STAGES, Finding, Sample, StageResult
from apigen.quoting import clip
from apigen.safe_json import replace_surrogates
from apigen.stages import final_status
from apigen.verify.semantic import is_undecided

MAX_VERDICT_BYTES = 8000  # one verdict line, newline excluded
MESSAGE_CHARS = 500        # one finding's message, one judge reason
RESULT_CHARS = 1000        # one execution result, as JSON
PREVIEW_CHARS = 200        # what is shown of a result that is too long
_FINDING_LIMITS = (20, 5, 1, 0)  # findings kept per list, tried in turn until the line fits


def _finding(finding: Finding) -> dict[str, Any]:
    out = finding.model_dump()
    out["message"] = clip(replace_surrogates(str(out.get("message", ""))), MESSAGE_CHARS)
    return out


def _findings(out: dict[str, Any], key: str, findings: Sequence[Finding], limit: int) -> None:
    out[key] = [_finding(f) for f in findings[:limit]]
    if len(findings) > limit:
        out[f"{key}_omitted"] = len(findings) - limit


def _result(value: Any) -> Any:
    """An execution result as it can be written: itself when it is short strict JSON, else a preview."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        text = None
    if text is not None and len(text) <= RESULT_CHARS and replace_surrogates(text) is text:
        return value
    shown = replace_surrogates(clip(text, PREVIEW_CHARS)) if text is not None else f"<{type(value).__name__}>"
    return {"omitted": "result too long or not strict JSON", "chars": len(text) if text else None, "preview": shown}


def stage_dict(stage: str, verdict: StageResult | None, limit: int = _FINDING_LIMITS[0]) -> dict[str, Any]:
    verdict = verdict or StageResult.skipped(stage, "not requested")  # a stage no task ran for
    out: dict[str, Any] = {"status": verdict.status}
    _findings(out, "errors", verdict.errors, limit)
    if stage == "format":
        _findings(out, "warnings", verdict.warnings, limit)
    elif stage == "execution":
        results = list(verdict.results or [])
        out["results"] = [_result(r) for r in results[:max(limit, 1)]] if results else []
        if len(results) > len(out["results"]):
            out["results_omitted"] = len(results) - len(out["results"])
    elif stage == "semantic":  # a dataset check (dedup) has its reasons in its errors
        out["reason"] = clip(replace_surrogates(verdict.reason or ""), MESSAGE_CHARS)
        if verdict.warnings:  # values the grounding rules left undecided (no judge ran)
            _findings(out, "warnings", verdict.warnings, limit)
    return out


def _id(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return replace_surrogates(value) if isinstance(value, str) else value


def verdict_record(sample: Sample, limit: int = _FINDING_LIMITS[0]) -> dict[str, Any]:
    return {"id": _id(sample.row_id), **(sample.position or {}), "passed": sample.passed,
            **({"undecided": True} if final_status(sample) == "undecided" else {}),
            "stages": {**{stage: stage_dict(stage, sample.verdicts.get(stage), limit) for stage in STAGES},
                       **{check: stage_dict(check, sample.verdicts[check], limit) for check in DATASET_CHECKS
                          if check in sample.verdicts}}}


def verdict_line(sample: Sample) -> str:
    """The sample's verdict as one line of strict JSON of at most ``MAX_VERDICT_BYTES``."""
    for limit in _FINDING_LIMITS:
        line = json.dumps(verdict_record(sample, limit), ensure_ascii=False, allow_nan=False)
        if len(line.encode("utf-8")) <= MAX_VERDICT_BYTES:
            return line
    return line  # with no findings listed a verdict is a few hundred bytes: not reached


_COUNTED = STAGES + DATASET_CHECKS  # a dataset check (dedup) is counted like a stage, when it ran


class VerifyTally:
    """The summary's counts, added batch by batch, so a run keeps counts and never every row.

    ``undecided`` rows (the judge could not be reached) are neither passed nor failed: a later run
    with the same input decides them. A passed row with a skipped stage (execution of a tool with no
    implementation) is counted apart in ``passed_with_skipped``, by the stages it skipped: it passed
    less than every stage asked for.
    """

    def __init__(self, stages: Sequence[str]):
        self.stages = list(stages)
        self.rows = self.passed = self.undecided = 0
        self.codes: Counter = Counter()
        self.warnings: Counter = Counter()
        self.passed_skipping: Counter = Counter()  # "execution" -> passed rows whose execution was skipped
        self.per_stage: dict[str, Counter] = {stage: Counter() for stage in _COUNTED}
        self.stage_codes: dict[str, Counter] = {stage: Counter() for stage in _COUNTED}

    def add(self, samples: Sequence[Sample]) -> "VerifyTally":
        self.rows += len(samples)
        self.passed += sum(s.passed for s in samples)
        self.undecided += sum(final_status(s) == "undecided" for s in samples)
        self.passed_skipping.update(",".join(st for st in self.stages if getattr(s.verdicts.get(st), "status", "") == "skipped")
                                    for s in samples if s.passed)
        self.passed_skipping.pop("", None)
        self.codes.update(e.code for s in samples for v in s.verdicts.values()
                          if v.status != "passed" and not is_undecided(v) for e in v.errors)
        self.warnings.update(w.code for s in samples for v in s.verdicts.values() for w in v.warnings)
        for index, stage in enumerate(_COUNTED):
            counts, codes = Counter(), Counter()
            for s in samples:
                verdict = s.verdicts.get(stage)
                if verdict is None or any(s.verdicts[e].status == "failed" for e in _COUNTED[:index] if e in s.verdicts):
                    continue  # an earlier stage rejected it: this one never saw it
                kind = "undecided" if is_undecided(verdict) else verdict.status
                counts[kind] += 1
                if kind == "failed":
                    codes.update(e.code for e in verdict.errors)
            counts["in"] = sum(counts.values())
            self.per_stage[stage].update(counts)
            self.stage_codes[stage].update(dict(codes.most_common()))  # a batch's codes, most frequent first
        return self

    def merge(self, other: "VerifyTally") -> "VerifyTally":
        """Add the counts of ``other`` (a later chunk's): the same as adding its samples here."""
        self.rows += other.rows
        self.passed += other.passed
        self.undecided += other.undecided
        self.passed_skipping.update(getattr(other, "passed_skipping", ()))  # absent from a tally cached before it existed
        self.codes.update(other.codes)
        self.warnings.update(other.warnings)
        for stage in _COUNTED:
            self.per_stage[stage].update(other.per_stage[stage])
            self.stage_codes[stage].update(other.stage_codes[stage])
        return self

    def summary(self) -> dict[str, Any]:
        decided = self.rows - self.undecided
        return {"rows": self.rows, "passed": self.passed, "failed": decided - self.passed, "undecided": self.undecided,
                "pass_rate": round(self.passed / decided, 4) if decided else None,
                **({"passed_with_skipped": dict(self.passed_skipping.most_common())} if self.passed_skipping else {}),
                "stages_run": self.stages,
                "stages": {**{stage: self._stage(stage) for stage in STAGES if stage in self.stages},
                           **{c: self._stage(c) for c in DATASET_CHECKS if self.per_stage[c]["in"]}},
                "error_codes": dict(self.codes.most_common()), "warning_codes": dict(self.warnings.most_common())}

    def _stage(self, stage: str) -> dict[str, Any]:
        c = self.per_stage[stage]
        return {"in": c["in"], "passed": c["passed"], "failed": c["failed"],
                **({"skipped": c["skipped"]} if c["skipped"] else {}),
                **({"undecided": c["undecided"]} if c["undecided"] else {}),
                "pass_rate": round(c["passed"] / (c["passed"] + c["failed"]), 4) if c["passed"] + c["failed"] else None,
                "errors": dict(self.stage_codes[stage].most_common())}


def verify_summary(samples: Sequence[Sample], stages: Sequence[str]) -> dict[str, Any]:
    """The summary of ``samples`` at once (see ``VerifyTally``)."""
    return VerifyTally(stages).add(samples).summary()


class VerdictWriter:
    """Writes verdicts in input order as batches finish, in any order, and the summary at the end.

    Out-of-order batches wait in memory only until the ones before them arrive, so memory is bounded
    by the batches in flight, not the row count. ``out`` and ``<out stem>.summary.json`` appear only
    when ``close`` succeeds (written under temporary names, then renamed); ``abort`` leaves neither.
    """

    def __init__(self, out: str | Path, stages: Sequence[str], dataset_filter: Any = None):
        """``dataset_filter`` (an ``apigen.dedup`` ``DatasetFilter``): applied to each batch of samples in
        input order, so the first occurrence of a row is the one kept; its figures join the summary."""
        self.dataset_filter = dataset_filter
        self.out = Path(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.summary_path = self.out.with_name(self.out.name.removesuffix(".jsonl") + ".summary.json")
        self._tmp = self.out.with_name(f".{self.out.name}.tmp")
        self._handle = self._tmp.open("w", encoding="utf-8")
        self.tally = VerifyTally(stages)
        self._waiting: dict[int, Sequence[Sample] | tuple[str, VerifyTally]] = {}
        self._next = 0

    def add(self, index: int, samples: Sequence[Sample]) -> None:
        """Batch ``index`` (0, 1, 2, ... in input order) has finished."""
        self._waiting[index] = samples
        self._flush()

    def add_rendered(self, index: int, text: str, tally: VerifyTally) -> None:
        """Batch ``index`` has finished, its verdict lines and counts already made (in a worker process)."""
        self._waiting[index] = (text, tally)
        self._flush()

    def _flush(self) -> None:
        while self._next in self._waiting:
            batch = self._waiting.pop(self._next)
            if isinstance(batch, tuple) and len(batch) == 2 and isinstance(batch[1], VerifyTally):
                self._handle.write(batch[0])
                self.tally.merge(batch[1])
            else:
                if self.dataset_filter is not None:
                    batch = self.dataset_filter.apply(batch)
                self._handle.write("".join(verdict_line(sample) + "\n" for sample in batch))
                self.tally.add(batch)
            self._next += 1

    def close(self) -> dict[str, Any]:
        if self._waiting:
            raise RuntimeError(f"batches {sorted(self._waiting)} arrived but batch {self._next} never did")
        self._handle.close()
        summary = {**self.tally.summary(), **(self.dataset_filter.stats() if self.dataset_filter is not None else {})}
        tmp_summary = self.summary_path.with_name(f".{self.summary_path.name}.tmp")
        tmp_summary.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        self._tmp.replace(self.out)
        tmp_summary.replace(self.summary_path)
        return summary

    def abort(self) -> None:
        self._handle.close()
        self._tmp.unlink(missing_ok=True)
