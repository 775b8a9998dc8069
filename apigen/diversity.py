"""How varied a run's verified data is: the figures a team checks before training on it.

A dataset that passed every check can still be narrow: the same few APIs, one query shape, short
queries, one style. ``DiversityCounter`` takes samples a batch at a time (like ``SummaryCounter``) and
keeps what the figures need, not the samples:

- APIs: offered in any prompt of the run, called by a verified row, and available in the registry;
- per category: verified rows, each category of a multi-category row counted once;
- query length (words): min, p10, median, p90, max, mean over verified rows;
- distinct-n: distinct word n-grams over all word n-grams of the verified queries (n = 2, 3), the
  usual lexical-diversity measure (Li et al. 2016); 1.0 means no n-gram repeats;
- share of each style among verified rows.

Distinct n-grams are kept as 64-bit hashes (blake2b), not strings: ~40 bytes each in the set, so a
60k-row run with ~30 n-grams per query holds a few tens of MB, and the count is exact up to hash
collisions (negligible at 64 bits).
"""

from __future__ import annotations

from collections import Counter
from hashlib import blake2b
from typing import Any, Iterable

from apigen.dedup.normalize import words
from apigen.models import Sample
from apigen.stages import final_status

DISTINCT_N = (2, 3)


def query_words(query: str) -> list[str]:
    """The query's words as dedup compares them (``apigen.dedup.normalize``: casefolded, NFKC,
    punctuation dropped): what lengths and n-grams count."""
    return words(query)


def sample_categories(sample: Sample) -> list[str]:
    """Each distinct category of the sample's offered tools (a multi-category sample has several)."""
    found = sorted({tool.category or "uncategorized" for tool in sample.tools})
    if found:
        return found
    category = sample.provenance.category if sample.provenance else None
    return [category or "uncategorized"]


def _ngram_hash(words: list[str], start: int, n: int) -> int:
    text = "\x1f".join(words[start:start + n]).encode()
    return int.from_bytes(blake2b(text, digest_size=8).digest(), "little")


def _percentile(lengths: Counter, share: float) -> int:
    """The nearest-rank percentile of a length histogram."""
    total = sum(lengths.values())
    rank = max(1, -(-int(share * total * 1000) // 1000))  # ceil(share * total), without float drift
    seen = 0
    for length in sorted(lengths):
        seen += lengths[length]
        if seen >= rank:
            return length
    return max(lengths)


class DiversityCounter:
    """Diversity figures of the verified rows, accumulated batch by batch."""

    def __init__(self, apis_available: int | None = None):
        self.apis_available = apis_available
        self.offered: set[str] = set()
        self.used: set[str] = set()
        self.categories: Counter = Counter()
        self.styles: Counter = Counter()
        self.lengths: Counter = Counter()
        self.ngrams: dict[int, set[int]] = {n: set() for n in DISTINCT_N}
        self.ngram_total: Counter = Counter()
        self.verified = 0

    def add(self, samples: Iterable[Sample]) -> "DiversityCounter":
        for sample in samples:
            self.offered.update(tool.name for tool in sample.tools)
            if final_status(sample) != "verified":
                continue
            self.verified += 1
            self.used.update(call.get("name") for call in _answer_calls(sample) if isinstance(call.get("name"), str))
            self.categories.update(sample_categories(sample))
            if sample.provenance is not None:
                self.styles[sample.provenance.style.value] += 1
            words = query_words(sample.query)
            self.lengths[len(words)] += 1
            for n in DISTINCT_N:
                grams = range(len(words) - n + 1)
                self.ngram_total[n] += len(grams)
                self.ngrams[n].update(_ngram_hash(words, i, n) for i in grams)
        return self

    def summary(self) -> dict[str, Any]:
        verified = self.verified
        lengths = self.lengths
        return {
            "verified_rows": verified,
            "apis": {"offered": len(self.offered), "used": len(self.used),
                     **({"available": self.apis_available} if self.apis_available is not None else {}),
                     "used_of_offered": round(len(self.used) / len(self.offered), 4) if self.offered else None},
            "by_category": dict(sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))),
            "query_words": ({"min": min(lengths), "p10": _percentile(lengths, 0.10), "median": _percentile(lengths, 0.5),
                             "p90": _percentile(lengths, 0.90), "max": max(lengths),
                             "mean": round(sum(k * v for k, v in lengths.items()) / verified, 2)}
                            if verified else None),
            **{f"distinct_{n}": (round(len(self.ngrams[n]) / self.ngram_total[n], 4) if self.ngram_total[n] else None)
               for n in DISTINCT_N},
            "style_share": {style: round(count / verified, 4) for style, count in sorted(self.styles.items())},
        }


def _answer_calls(sample: Sample) -> list[dict]:
    """The verified row's calls as dicts (answers are a list, or xlam's JSON string of one)."""
    answers = sample.answers
    if isinstance(answers, str):
        from apigen.safe_json import UntrustedJSONError, loads_strict

        try:
            answers = loads_strict(answers)
        except UntrustedJSONError:
            return []
    return [call for call in answers if isinstance(call, dict)] if isinstance(answers, list) else []
