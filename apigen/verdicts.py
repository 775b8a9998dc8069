"""``apigen verify`` output: one verdict object per input row, and the summary beside it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from apigen.models import STAGES, Sample, StageResult
from apigen.summary import stage_counts


def stage_dict(stage: str, verdict: StageResult | None) -> dict[str, Any]:
    verdict = verdict or StageResult.skipped(stage)
    out: dict[str, Any] = {"status": verdict.status, "errors": [e.model_dump() for e in verdict.errors]}
    if stage == "format":
        out["warnings"] = [w.model_dump() for w in verdict.warnings]
    elif stage == "execution":
        out["results"] = list(verdict.results or [])
    else:
        out["reason"] = verdict.reason or ""
    return out


def verdict_record(sample: Sample) -> dict[str, Any]:
    return {"id": sample.row_id, "passed": sample.passed,
            "stages": {stage: stage_dict(stage, sample.verdicts.get(stage)) for stage in STAGES}}


def verify_summary(samples: Sequence[Sample], stages: Sequence[str]) -> dict[str, Any]:
    passed = sum(s.passed for s in samples)
    codes = Counter(e.code for s in samples for v in s.verdicts.values() if v.status != "passed" for e in v.errors)
    warnings = Counter(w.code for s in samples for v in s.verdicts.values() for w in v.warnings)
    return {"rows": len(samples), "passed": passed, "failed": len(samples) - passed,
            "pass_rate": round(passed / len(samples), 4) if samples else None, "stages_run": list(stages),
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
            handle.write(json.dumps(verdict_record(sample), ensure_ascii=False) + "\n")
    tmp_summary = summary_path.with_name(f".{summary_path.name}.tmp")
    tmp_summary.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(out)
    tmp_summary.replace(summary_path)
    return out, summary_path
