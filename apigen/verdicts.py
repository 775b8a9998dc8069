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

from apigen.models import STAGES, Finding, Sample, StageResult
from apigen.quoting import clip
from apigen.safe_json import replace_surrogates
from apigen.stages import final_status
from apigen.summary import stage_counts
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
    verdict = verdict or StageResult.skipped(stage)
    out: dict[str, Any] = {"status": verdict.status}
    _findings(out, "errors", verdict.errors, limit)
    if stage == "format":
        _findings(out, "warnings", verdict.warnings, limit)
    elif stage == "execution":
        results = list(verdict.results or [])
        out["results"] = [_result(r) for r in results[:max(limit, 1)]] if results else []
        if len(results) > len(out["results"]):
            out["results_omitted"] = len(results) - len(out["results"])
    else:
        out["reason"] = clip(replace_surrogates(verdict.reason or ""), MESSAGE_CHARS)
    return out


def _id(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return replace_surrogates(value) if isinstance(value, str) else value


def verdict_record(sample: Sample, limit: int = _FINDING_LIMITS[0]) -> dict[str, Any]:
    return {"id": _id(sample.row_id), **(sample.position or {}), "passed": sample.passed,
            **({"undecided": True} if final_status(sample) == "undecided" else {}),
            "stages": {stage: stage_dict(stage, sample.verdicts.get(stage), limit) for stage in STAGES}}


def verdict_line(sample: Sample) -> str:
    """The sample's verdict as one line of strict JSON of at most ``MAX_VERDICT_BYTES``."""
    for limit in _FINDING_LIMITS:
        line = json.dumps(verdict_record(sample, limit), ensure_ascii=False, allow_nan=False)
        if len(line.encode("utf-8")) <= MAX_VERDICT_BYTES:
            return line
    return line  # with no findings listed a verdict is a few hundred bytes: not reached


def verify_summary(samples: Sequence[Sample], stages: Sequence[str]) -> dict[str, Any]:
    """Counts over the rows. ``undecided`` rows (the judge could not be reached) are neither passed nor
    failed: a later run with the same input decides them."""
    passed = sum(s.passed for s in samples)
    undecided = sum(final_status(s) == "undecided" for s in samples)
    codes = Counter(e.code for s in samples for v in s.verdicts.values()
                    if v.status != "passed" and not is_undecided(v) for e in v.errors)
    warnings = Counter(w.code for s in samples for v in s.verdicts.values() for w in v.warnings)
    decided = len(samples) - undecided
    return {"rows": len(samples), "passed": passed, "failed": decided - passed, "undecided": undecided,
            "pass_rate": round(passed / decided, 4) if decided else None, "stages_run": list(stages),
            "stages": {k: v for k, v in stage_counts(samples).items() if k in stages},
            "error_codes": dict(codes.most_common()), "warning_codes": dict(warnings.most_common())}


def write_verdicts(samples: Sequence[Sample], summary: dict[str, Any], out: str | Path) -> tuple[Path, Path]:
    """Write ``out`` (JSONL) and ``<out stem>.summary.json``; via temporary names, then renamed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary_path = out.with_name(out.name.removesuffix(".jsonl") + ".summary.json")
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(verdict_line(sample) + "\n")
    tmp_summary = summary_path.with_name(f".{summary_path.name}.tmp")
    tmp_summary.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(out)
    tmp_summary.replace(summary_path)
    return out, summary_path
