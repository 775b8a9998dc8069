"""What the Prefect dashboard shows for a run, computed from its summary: tables, markdown, events.

Pure functions; the artifacts and events are created at the flow's edge (``flows/``).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from apigen.models import DATASET_CHECKS, STAGES, Sample

PASS_RATES_KEY = "apigen-stage-pass-rates"
BREAKDOWN_KEY = "apigen-breakdown"
FAILURES_KEY = "apigen-failures"
STAGE_EVENT = "apigen.stage.completed"


def stages_of(summary: dict[str, Any]) -> list[str]:
    """The stages in order, then the dataset checks (dedup) that ran: the rows of the tables below."""
    return [stage for stage in STAGES + DATASET_CHECKS if stage in summary["stages"]]


def pass_rate_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per stage, after a ``returned`` row: pairs asked for, pairs the LLM gave back, pairs
    missing (not returned, or lost with a failed request) - the share a stage table alone would hide.
    ``undecided``: pairs a stage could not decide (the judge was unreachable), neither passed nor failed."""
    requested = summary.get("requested_pairs", summary["generated"])
    missing = summary.get("pairs_not_returned", 0) + summary.get("pairs_lost_to_failed_requests", 0)
    returned = {"stage": "returned", "in": requested, "passed": summary["generated"], "failed": missing,
                "undecided": 0, "pass_rate": round(summary["generated"] / requested, 4) if requested else 0.0}
    return [returned] + [{"stage": stage, "in": s["in"], "passed": s["passed"], "failed": s["failed"],
                          "undecided": s.get("undecided", 0),
                          "pass_rate": s["pass_rate"] if s["pass_rate"] is not None else 0.0}
                         for stage, s in ((stage, summary["stages"][stage]) for stage in stages_of(summary))]


def breakdown_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for dimension, key in (("style", "by_style"), ("category", "by_category"), ("generator_model", "by_generator_model")):
        for value, counts in summary.get(key, {}).items():
            undecided = counts.get("undecided", 0)
            total = counts["verified"] + counts["rejected"] + undecided
            rows.append({"dimension": dimension, "value": value, "verified": counts["verified"],
                         "rejected": counts["rejected"], "undecided": undecided,
                         "verified_rate": round(counts["verified"] / total, 4) if total else 0.0})
    return rows


class FailureExamples:
    """The first rejected sample for each (stage, code), from samples seen a batch at a time: what
    ``failure_markdown`` needs, without keeping every sample of a run (at most ``limit`` kept)."""

    def __init__(self, limit: int = 200):
        self.limit = limit
        self._first: dict[tuple[str, str], Sample] = {}

    def add(self, samples: Iterable[Sample]) -> None:
        for s in samples:
            stage = s.rejected_at
            if stage is None or len(self._first) >= self.limit:
                continue
            for code in s.verdicts[stage].codes:
                if len(self._first) < self.limit:
                    self._first.setdefault((stage, code), s)

    @property
    def samples(self) -> list[Sample]:
        return list({id(s): s for s in self._first.values()}.values())


def failure_markdown(summary: dict[str, Any], samples: Sequence[Sample], top: int = 10) -> str:
    """The most frequent failure codes, each with one example sample and its message (``samples``: all
    of the run's, or ``FailureExamples.samples``)."""
    counts: list[tuple[str, str, int]] = sorted(
        ((stage, code, n) for stage in stages_of(summary) for code, n in summary["stages"][stage]["errors"].items()),
        key=lambda item: -item[2])[:top]
    lines = [f"# Top failure codes ({summary['rejected']} of {summary['generated']} samples rejected)", ""]
    if summary.get("undecided"):
        lines += [f"{summary['undecided']} samples are undecided: the judge could not be reached. They are not "
                  "counted as rejected; the next run with the same parameters judges them.", ""]
    if not counts:
        return "\n".join(lines + ["No sample was rejected."])
    lines += ["| stage | code | samples |", "| --- | --- | --- |"]
    lines += [f"| {stage} | `{code}` | {n} |" for stage, code, n in counts]
    for stage, code, _ in counts:
        example = next((s for s in samples if s.rejected_at == stage and code in s.verdicts[stage].codes), None)
        if example is None:
            continue
        error = next(e for e in example.verdicts[stage].errors if e.code == code)
        answers = example.answers if isinstance(example.answers, str) else json.dumps(example.answers, ensure_ascii=False)
        lines += ["", f"## `{code}` ({stage})", f"- query: {example.query[:300]!s}",
                  f"- answers: `{(answers or example.raw or '')[:300]}`", f"- error: {error.message[:300]}"]
    return "\n".join(lines)


def stage_events(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``apigen.stage.completed`` payload per stage, for automations (e.g. alert on a low pass rate)."""
    return [{"stage": stage, "in": s["in"], "passed": s["passed"], "failed": s["failed"],
             "undecided": s.get("undecided", 0), "pass_rate": s["pass_rate"],
             "top_errors": dict(list(s["errors"].items())[:5])}
            for stage, s in ((stage, summary["stages"][stage]) for stage in stages_of(summary))]
