"""Count what each stage let through: the numbers behind summary.json and the pass-rate table.

Invariants the counts keep: generated = verified + rejected + undecided; per stage, in = passed +
failed (+ skipped, for samples a stage could not judge, e.g. a tool without implementation; + undecided,
for samples the judge could not be reached for: not failures, and not in the pass rate).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Sequence

from apigen.models import STAGES, Sample
from apigen.stages import final_status
from apigen.verify.semantic import is_undecided


def stage_counts(samples: Sequence[Sample]) -> dict[str, dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for index, stage in enumerate(STAGES):
        earlier = STAGES[:index]
        seen = [s.verdicts[stage] for s in samples if stage in s.verdicts
                and not any(e in s.verdicts and s.verdicts[e].status == "failed" for e in earlier)]
        undecided = sum(is_undecided(v) for v in seen)
        passed = sum(v.status == "passed" for v in seen)
        failed = sum(v.status == "failed" for v in seen) - undecided
        skipped = sum(v.status == "skipped" for v in seen)
        codes = Counter(e.code for v in seen if v.status == "failed" and not is_undecided(v) for e in v.errors)
        counts[stage] = {"in": passed + failed + skipped + undecided, "passed": passed, "failed": failed,
                         **({"skipped": skipped} if skipped else {}), **({"undecided": undecided} if undecided else {}),
                         "pass_rate": round(passed / (passed + failed), 4) if passed + failed else None,
                         "errors": dict(codes.most_common())}
    return counts


def breakdown(samples: Sequence[Sample], key: str) -> dict[str, dict[str, int]]:
    """Verified/rejected (/undecided, when there are any) per provenance field (style, category, generator_model)."""
    table: dict[str, Counter] = defaultdict(Counter)
    for s in samples:
        value = getattr(s.provenance, key)
        table[getattr(value, "value", value)][final_status(s)] += 1
    return {k: {"verified": v["verified"], "rejected": v["rejected"],
                **({"undecided": v["undecided"]} if v["undecided"] else {})} for k, v in sorted(table.items())}


def summarize(samples: Sequence[Sample], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's counts. ``undecided`` pairs (the judge could not be reached) are exported with the
    rejected rows (stage ``semantic``, code ``judge_error``) but are not counted as rejected: the next
    run with the same parameters judges them again."""
    status = Counter(final_status(s) for s in samples)
    return {"generated": len(samples), "verified": status["verified"], "rejected": status["rejected"],
            "undecided": status["undecided"],
            "stages": stage_counts(samples),
            "by_style": breakdown(samples, "style"), "by_category": breakdown(samples, "category"),
            "by_generator_model": breakdown(samples, "generator_model"), **(extra or {})}
