"""Count what each stage let through: the numbers behind summary.json and the pass-rate table.

Invariants the counts keep: generated = verified + rejected + undecided; per stage, in = passed +
failed (+ skipped, for samples a stage could not judge, e.g. a tool without implementation; + undecided,
for samples the judge could not be reached for: not failures, and not in the pass rate).

``SummaryCounter`` takes samples a batch at a time and keeps only counters, so a run's summary costs
no memory per sample; ``summarize`` is the same over one list.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Iterable, Sequence

from apigen.diversity import sample_categories
from apigen.models import DATASET_CHECKS, STAGES, Sample
from apigen.stages import final_status
from apigen.verify.semantic import is_undecided

BREAKDOWN_FIELDS = ("style", "category", "generator_model")


def stage_counts_of(statuses: Counter, codes: Counter) -> dict[str, Any]:
    """One stage's entry of the summary's ``stages``: in / passed / failed (/ skipped, / undecided when
    any), the pass rate over decided samples, and the samples per error code, most frequent first."""
    passed, failed, skipped, undecided = statuses["passed"], statuses["failed"], statuses["skipped"], statuses["undecided"]
    return {"in": passed + failed + skipped + undecided, "passed": passed, "failed": failed,
            **({"skipped": skipped} if skipped else {}), **({"undecided": undecided} if undecided else {}),
            "pass_rate": round(passed / (passed + failed), 4) if passed + failed else None,
            "errors": dict(codes.most_common())}


class SummaryCounter:
    """Per-stage and per-provenance counts, accumulated batch by batch."""

    def __init__(self) -> None:
        self.status: Counter = Counter()
        self.stages: dict[str, Counter] = {stage: Counter() for stage in STAGES + DATASET_CHECKS}
        self.codes: dict[str, Counter] = {stage: Counter() for stage in STAGES + DATASET_CHECKS}
        self.breakdowns: dict[str, dict[str, Counter]] = {key: defaultdict(Counter) for key in BREAKDOWN_FIELDS}

    def add(self, samples: Iterable[Sample]) -> "SummaryCounter":
        for s in samples:
            status = final_status(s)
            self.status[status] += 1
            for key in BREAKDOWN_FIELDS:
                values = sample_categories(s) if key == "category" else [getattr(s.provenance, key)]
                for value in values:  # a multi-category sample counts once in each of its categories
                    self.breakdowns[key][getattr(value, "value", value)][status] += 1
            for stage in STAGES + DATASET_CHECKS:
                verdict = s.verdicts.get(stage)
                if verdict is None:
                    continue
                undecided = is_undecided(verdict)
                kind = "undecided" if undecided else verdict.status
                self.stages[stage][kind] += 1
                if verdict.status == "failed" and not undecided:
                    self.codes[stage].update({e.code for e in verdict.errors})  # samples per code, not codes
                if verdict.status == "failed":
                    break  # the later stages did not see it
        return self

    def stage_counts(self) -> dict[str, dict[str, Any]]:
        counts: dict[str, dict[str, Any]] = {}
        checks = tuple(c for c in DATASET_CHECKS if self.stages[c])  # a row only when a check ran
        for stage in STAGES + checks:
            counts[stage] = stage_counts_of(self.stages[stage], self.codes[stage])
        return counts

    def breakdown(self, key: str) -> dict[str, dict[str, int]]:
        """Verified/rejected (/undecided, when there are any) per value of a provenance field."""
        return {k: {"verified": v["verified"], "rejected": v["rejected"],
                    **({"undecided": v["undecided"]} if v["undecided"] else {})}
                for k, v in sorted(self.breakdowns[key].items())}

    def summary(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The run's counts. ``undecided`` pairs (the judge could not be reached) are exported with the
        rejected rows (stage ``semantic``, code ``judge_error``) but are not counted as rejected: the next
        run with the same parameters judges them again."""
        return {"generated": sum(self.status.values()), "verified": self.status["verified"],
                "rejected": self.status["rejected"], "undecided": self.status["undecided"],
                "stages": self.stage_counts(),
                **{f"by_{key}": self.breakdown(key) for key in BREAKDOWN_FIELDS}, **(extra or {})}


def summarize(samples: Sequence[Sample], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """``SummaryCounter.summary`` over one list of samples."""
    return SummaryCounter().add(samples).summary(extra)
