"""The ordered pass over a run's samples that keeps the first occurrence and rejects the rest.

Each sample that passed every stage so far is checked, in run order, for contamination (a benchmark
question), then for an exact duplicate, then for a near duplicate of everything kept before it and of
the few-shot examples the generator was shown (an LLM copying an example is caught). The first
occurrence is kept (``dedup`` passed) and indexed; the others get ``dedup`` failed with
``contaminated``/``duplicate``/``near_duplicate``, naming what they matched. One filter lives for the
whole run, so duplicates across batches are caught; given the same samples in the same order it
gives the same verdicts (a resumed run recomputes them). Samples rejected earlier are left as they
are: they are not training data, so they neither take a key nor get a dedup verdict.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from apigen.dedup.contamination import ContaminationIndex
from apigen.dedup.exact import exact_key
from apigen.dedup.near import DEFAULT_THRESHOLD, NearIndex, Signer
from apigen.dedup.normalize import words
from apigen.models import Finding, Sample, StageResult

STAGE = "dedup"


@dataclass(frozen=True)
class Reference:
    """A text the samples must not repeat that is not a sample: a few-shot example."""

    label: str   # how a rejection names it, e.g. "seed example 3"
    query: str
    answers: Any


def _verified(sample: Sample) -> bool:
    from apigen.stages import final_status

    return final_status(sample) == "verified"


def sample_label(sample: Sample) -> str:
    """How a rejection names the kept sample: its key (generation), or its id and place (``apigen verify``)."""
    if sample.provenance is None and sample.position:
        (kind, position), = sample.position.items()
        return f"row id {sample.row_id!r} ({kind} {position})"
    return f"sample {sample.key}"


class DatasetFilter:
    """``apply`` batches in run order; ``stats`` for the summary. ``dedup=False`` with a contamination
    index only decontaminates; ``eligible`` says which samples are training data so far."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, dedup: bool = True,
                 contamination: ContaminationIndex | None = None, references: Iterable[Reference] = (),
                 signer: Signer | None = None, eligible: Callable[[Sample], bool] = _verified):
        self.threshold, self.dedup, self.contamination = threshold, dedup, contamination
        self.signer = signer or Signer()
        self.eligible = eligible
        self._exact: dict[str, str] = {}
        self._near = NearIndex(self.signer, threshold)
        self._labels: list[str] = []
        self.references = 0
        if dedup:
            for ref in references:
                self._keep(ref.label, exact_key(ref.query, ref.answers), self.signer.sign(words(ref.query)))
                self.references += 1
        self.checked = 0
        self.rejected: Counter = Counter()
        self.by_benchmark: Counter = Counter()

    def apply(self, samples: Sequence[Sample]) -> list[Sample]:
        """The samples with a ``dedup`` verdict on each eligible one, in the same order."""
        return [self.check(sample) for sample in samples]

    def check(self, sample: Sample) -> Sample:
        if STAGE in sample.verdicts:  # a verdict of an earlier pass (e.g. a resumed run): decided again here
            sample = sample.model_copy(update={"verdicts": {k: v for k, v in sample.verdicts.items() if k != STAGE}})
        if not self.eligible(sample):
            return sample
        self.checked += 1
        tokens = words(sample.query)
        signature = self.signer.sign(tokens)
        key = exact_key(sample.query, sample.answers) if self.dedup else ""
        finding = self._finding(key, tokens, signature)
        if finding is None:
            if self.dedup:
                self._keep(sample_label(sample), key, signature)
            return sample.with_verdict(StageResult(stage=STAGE, status="passed"))
        self.rejected[finding.code] += 1
        return sample.with_verdict(StageResult(stage=STAGE, status="failed", errors=(finding,)))

    def _finding(self, key: str, tokens: list[str], signature: Any) -> Finding | None:
        if self.contamination is not None:
            hit = self.contamination.match(tokens, signature)
            if hit is not None:
                self.by_benchmark[hit.benchmark] += 1
                return Finding(code="contaminated", message=f"query {hit.describe()}")
        if not self.dedup:
            return None
        kept = self._exact.get(key)
        if kept is not None:
            return Finding(code="duplicate", message=f"same query and answers as {kept}, kept")
        near = self._near.match(signature)
        if near is not None:
            return Finding(code="near_duplicate",
                           message=f"query near-duplicates that of {self._labels[near.key]}, kept "
                                   f"(word 3-gram Jaccard {near.jaccard} >= {self.threshold})")
        return None

    def _keep(self, label: str, key: str, signature: Any) -> None:
        self._exact.setdefault(key, label)
        self._near.add(len(self._labels), signature)
        self._labels.append(label)

    def stats(self) -> dict[str, Any]:
        """The summary's ``dedup`` (when deduplicating) and ``contamination`` (when decontaminating) keys."""
        out: dict[str, Any] = {}
        checked = self.checked
        if self.dedup:
            dup, near = self.rejected["duplicate"], self.rejected["near_duplicate"]
            out["dedup"] = {"checked": checked, "duplicates": dup, "near_duplicates": near,
                            "duplicate_rate": round(dup / checked, 4) if checked else 0.0,
                            "near_duplicate_rate": round(near / checked, 4) if checked else 0.0,
                            "threshold": self.threshold, "reference_examples": self.references}
        if self.contamination is not None:
            out["contamination"] = {"rejected": self.rejected["contaminated"],
                                    "by_benchmark": dict(sorted(self.by_benchmark.items())),
                                    "sets": self.contamination.describe(), "ngram": self.contamination.ngram,
                                    "min_share": self.contamination.min_share}
        return out
