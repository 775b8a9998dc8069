"""What the Prefect dashboard shows for a run, computed from its summary: tables, markdown, events.

Pure functions; the artifacts and events are created at the flow's edge (``flows/``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable, Sequence

from apigen.models import DATASET_CHECKS, STAGES, Sample
from apigen.summary import stage_counts_of

PASS_RATES_KEY = "apigen-stage-pass-rates"
BREAKDOWN_KEY = "apigen-breakdown"
FAILURES_KEY = "apigen-failures"
DIVERSITY_KEY = "apigen-diversity"
STAGE_EVENT = "apigen.stage.completed"


def stages_of(summary: dict[str, Any]) -> list[str]:
    """The stages in order, then the dataset checks (dedup) that ran: the rows of the tables below."""
    return [stage for stage in STAGES + DATASET_CHECKS if stage in summary["stages"]]


def pass_rate_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per stage, after a ``returned`` row: pairs asked for, pairs the LLM gave back, pairs
    missing (not returned, or lost with a failed request) - the share a stage table alone would hide.
    ``undecided``: pairs a stage could not decide (the judge was unreachable), neither passed nor failed.
    ``top codes`` count samples (a sample with one code twice counts once)."""
    requested = summary.get("requested_pairs", summary["generated"])
    missing = summary.get("pairs_not_returned", 0) + summary.get("pairs_lost_to_failed_requests", 0)
    rows = [returned_row(requested, summary["generated"], missing)]
    return rows + [stage_row(stage, summary["stages"][stage]) for stage in stages_of(summary)]


def returned_row(requested: int, returned: int, missing: int) -> dict[str, Any]:
    return {"stage": "returned", "in": requested, "passed": returned, "failed": missing, "undecided": 0,
            "pass rate": percent(returned / requested if requested else None), "top codes": ""}


def stage_row(stage: str, counts: dict[str, Any]) -> dict[str, Any]:
    """A stage's row of the pass-rate table, from its counts in the summary's ``stages`` shape."""
    top = list(counts.get("errors", {}).items())[:3]
    return {"stage": stage, "in": counts["in"], "passed": counts["passed"], "failed": counts["failed"],
            "undecided": counts.get("undecided", 0), "pass rate": percent(counts["pass_rate"]),
            "top codes": ", ".join(f"{code} ({n:,})" for code, n in top)}


def percent(rate: float | None) -> str:
    """A pass rate as people read it: ``96.9%`` (``-`` when nothing was decided)."""
    return "-" if rate is None else f"{100 * rate:.1f}%"


class LiveStageCounts:
    """Per-stage counts as each stage's batch tasks finish, for the pass-rate table while a run goes on
    (the summary's counts come only when a batch has been through every stage and written). A sample
    counts at a stage it reached: not rejected at an earlier one."""

    def __init__(self) -> None:
        self.requested = self.returned = 0
        self.status: dict[str, Counter] = {stage: Counter() for stage in STAGES}
        self.codes: dict[str, Counter] = {stage: Counter() for stage in STAGES}
        self.batches: Counter = Counter()

    def add_generated(self, requested: int, samples: Sequence[Sample]) -> None:
        self.requested += requested
        self.returned += len(samples)

    def add(self, stage: str, samples: Sequence[Sample]) -> None:
        from apigen.verify.semantic import is_undecided

        self.batches[stage] += 1
        position = STAGES.index(stage)
        for sample in samples:
            verdict = sample.verdicts.get(stage)
            rejected = sample.rejected_at
            if verdict is None or (rejected is not None and rejected in STAGES and STAGES.index(rejected) < position):
                continue
            undecided = is_undecided(verdict)
            self.status[stage]["undecided" if undecided else verdict.status] += 1
            if verdict.status == "failed" and not undecided:
                self.codes[stage].update({e.code for e in verdict.errors})

    def stage_counts(self, stage: str) -> dict[str, Any]:
        return stage_counts_of(self.status[stage], self.codes[stage])

    def rows(self) -> list[dict[str, Any]]:
        return [returned_row(self.requested, self.returned, self.requested - self.returned)] + \
            [stage_row(stage, self.stage_counts(stage)) for stage in STAGES]


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


def pass_rate_floor(rate: float | None) -> str | None:
    """The rate's 10%-floor as a label value ("70": 70% <= rate < 80%; "100"): Prefect's automation
    triggers match resource labels, not numbers (deployments/automations/pass-rate-drop.yaml)."""
    if rate is None:
        return None
    return str(min(100, int(round(rate * 100, 6)) // 10 * 10))


def stage_events(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``apigen.stage.completed`` payload per stage, for automations (e.g. alert on a low pass rate)."""
    return [stage_event(stage, summary["stages"][stage]) for stage in stages_of(summary)]


def stage_event(stage: str, counts: dict[str, Any]) -> dict[str, Any]:
    return {"stage": stage, "in": counts["in"], "passed": counts["passed"], "failed": counts["failed"],
            "undecided": counts.get("undecided", 0), "pass_rate": counts["pass_rate"],
            "top_errors": dict(list(counts["errors"].items())[:5])}


def diversity_markdown(summary: dict[str, Any]) -> str:
    """The run's diversity figures (``summary["diversity"]``, see ``apigen.diversity``) as markdown."""
    d = summary.get("diversity")
    if not d:
        return "# Diversity\n\nNo diversity figures in this run's summary."
    apis = d["apis"]
    lines = ["# Diversity of the verified rows", "",
             f"- APIs: {apis['used']} called of {apis['offered']} offered"
             + (f" ({apis['available']} in the registry)" if "available" in apis else ""),
             f"- distinct-2: {_share(d.get('distinct_2'))}, distinct-3: {_share(d.get('distinct_3'))} "
             "(distinct word n-grams over all n-grams of the queries)"]
    for key, label in (("duplicate_rate", "duplicates"), ("near_duplicate_rate", "near duplicates")):
        if d.get(key) is not None:
            lines.append(f"- {label}: {_share(d[key])} of the rows checked")
    words = d.get("query_words")
    if words:
        lines.append(f"- query length (words): min {words['min']}, p10 {words['p10']}, median {words['median']}, "
                     f"p90 {words['p90']}, max {words['max']}, mean {words['mean']}")
    if d.get("style_share"):
        lines += ["", "| style | share of verified |", "| --- | --- |"]
        lines += [f"| {style} | {_share(share)} |" for style, share in d["style_share"].items()]
    if d.get("by_category"):
        lines += ["", "| category | verified rows |", "| --- | --- |"]
        lines += [f"| {category} | {count:,} |" for category, count in d["by_category"].items()]
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
