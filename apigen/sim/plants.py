"""The simulator's planted pairs for the dedup and decontamination filters (flaw stage ``dedup``).

* ``duplicate``: an earlier clean pair of the same style over the same offered tools, re-sent exactly;
* ``near_duplicate``: such a pair's query with one word added at its end (word 3-gram Jaccard with the
  original >= ``NEAR_MIN_JACCARD``, checked exactly), same answers;
* ``contaminated``: a bundled BFCL v4 question (``apigen.benchmark_sets``) copied into the query: as
  the whole query of a no_call pair, or ahead of a clean pair's query (its calls and values stay, so
  the pair passes the other stages); the question's id is recorded.

Each is recorded with the kept pair's query (or the question). The history is the server's, so which
pair counts as "earlier" follows arrival order. While any of these rates is on, a clean pair that
happens to repeat an earlier one (the simulator's vocabulary is small) is recorded as what it is, so
the planted log stays a true oracle for the filter.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from apigen.sim.content import FLAW_STAGE, Planted
from apigen.sim.no_call import jaccard3

NEAR_MIN_JACCARD = 0.85   # margin over the filter's default 0.8, for MinHash's estimation error
ACCIDENTAL_JACCARD = 0.8  # a clean pair this close to an earlier one is recorded as a near duplicate
ADDED_WORDS = ("please", "thanks", "kindly", "quickly", "now")
CONTAMINATION_MIN_WORDS = 8  # a question shorter than the default n-gram length could not be matched


@lru_cache(maxsize=1)
def _questions() -> tuple[dict, ...]:
    from apigen.benchmark_sets import bundled_questions

    return tuple(q for q in bundled_questions() if len(re.findall(r"\w+", q["query"])) >= CONTAMINATION_MIN_WORDS)


def _normalized(query: str) -> str:
    return " ".join(re.findall(r"\w+", query.lower()))


def _minhash(query: str):
    from datasketch import MinHash

    words = re.findall(r"\w+", query.lower())
    m = MinHash(num_perm=64)
    m.update_batch([" ".join(words[i:i + 3]).encode() for i in range(max(1, len(words) - 2))])
    return m


@dataclass
class PlantHistory:
    """Clean pairs produced so far, by (style, offered tool names), and an LSH index of all their
    queries (datasketch) to find an accidental near repeat; thread-safe."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    clean: dict[tuple, list[tuple[str, list]]] = field(default_factory=lambda: defaultdict(list))
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)  # normalized query -> (first query, answers)
    lsh: object = None  # MinHashLSH over every query written, keyed by normalized query

    def label(self, bucket: tuple, pair: dict, record: Planted) -> Planted:
        """Record a clean pair; one that repeats an earlier pair is labelled as the duplicate it is."""
        if record.flaw is not None:
            return record
        with self.lock:
            norm, answers = _normalized(pair["query"]), canonical(pair["answers"])
            if norm in self.seen:  # same answers: an exact duplicate; other answers: the same query again
                first, first_answers = self.seen[norm]
                return _relabel(record, "duplicate" if answers == first_answers else "near_duplicate", first)
            minhash = _minhash(pair["query"])
            for candidate in self._index().query(minhash):  # candidates, confirmed by the exact measure
                first = self.seen[candidate][0]
                if jaccard3(first, pair["query"]) >= ACCIDENTAL_JACCARD:
                    self._remember(norm, pair, answers, minhash)
                    return _relabel(record, "near_duplicate", first)
            self._remember(norm, pair, answers, minhash)
            self.clean[bucket].append((pair["query"], pair["answers"]))
        return record

    def _index(self):
        if self.lsh is None:
            from datasketch import MinHashLSH

            self.lsh = MinHashLSH(threshold=ACCIDENTAL_JACCARD - 0.15, num_perm=64)  # low: recall first
        return self.lsh

    def _remember(self, norm: str, pair: dict, answers: str, minhash=None) -> None:
        if norm not in self.seen:
            self.seen[norm] = (pair["query"], answers)
            self._index().insert(norm, minhash if minhash is not None else _minhash(pair["query"]))

    def earlier(self, bucket: tuple) -> list[tuple[str, list]]:
        with self.lock:
            return list(self.clean[bucket])

    def note(self, pair: dict) -> None:
        with self.lock:
            self._remember(_normalized(pair["query"]), pair, canonical(pair["answers"]))


def _relabel(record: Planted, flaw: str, original: str, source_id: str | None = None) -> Planted:
    return Planted(query=record.query, answers=record.answers, flaw=flaw, stage=FLAW_STAGE[flaw],
                   original=original, source_id=source_id)


def canonical(answers: object) -> str:
    return json.dumps(answers, sort_keys=True, ensure_ascii=False)


def reword(query: str, rng: random.Random) -> str | None:
    """``query`` with one word added before its closing punctuation, if that keeps the 3-gram Jaccard
    at least ``NEAR_MIN_JACCARD`` (a query of a few words cannot stay that close)."""
    body = query.rstrip()
    end = body[-1] if body and body[-1] in "?.!" else ""
    body = body[:-1] if end else body
    reworded = f"{body} {rng.choice(ADDED_WORDS)}{end}"
    return reworded if jaccard3(query, reworded) >= NEAR_MIN_JACCARD else None


def _no_tool_fits(query: str, tools: list[dict]) -> bool:
    from api_registry.spec import ToolSpec
    from apigen.sim.no_call import intent_phrase
    from apigen.verify.no_call_rule import check_no_call

    try:
        specs = [ToolSpec(**t) for t in tools]
    except ValueError:
        return False
    return not check_no_call(query, specs) and not any(intent_phrase(t) in query.lower() for t in tools)


def bucket(style: str, tools: list[dict]) -> tuple:
    """Where an earlier pair may be repeated from: same style and offered tools (a no-call query fits
    any tools it was not written for, as long as none serves it)."""
    return (style,) if style == "no_call" else (style, tuple(sorted(t["name"] for t in tools)))


def plant(kind: str, style: str, tools: list[dict], pair: dict, record: Planted, earlier: list[tuple[str, list]],
          rng: random.Random) -> tuple[dict, Planted] | None:
    """The planted pair of ``kind`` in place of a freshly made clean ``pair``; None when there is nothing
    to plant from (no earlier clean pair of this style and tools, or the fresh pair is flawed)."""
    if record.flaw is not None:
        return None
    if kind in ("duplicate", "near_duplicate"):
        if not earlier:
            return None
        query, answers = rng.choice(earlier)
        if kind == "duplicate":
            return ({"query": query, "answers": answers},
                    Planted(query=query, answers=canonical(answers), flaw=kind, stage=FLAW_STAGE[kind], original=query))
        reworded = reword(query, rng)
        if reworded is None:
            return None
        return ({"query": reworded, "answers": answers},
                Planted(query=reworded, answers=canonical(answers), flaw=kind, stage=FLAW_STAGE[kind], original=query))
    question = rng.choice(_questions())
    if style == "no_call":  # a question an offered tool serves would be rejected at semantic, not dedup
        candidates = [question] + rng.sample(_questions(), 10)
        question = next((q for q in candidates if _no_tool_fits(q["query"], tools)), None)
        if question is None:
            return None
    text = question["query"].strip()
    query = text if style == "no_call" else f"{text} {pair['query']}"
    return ({"query": query, "answers": pair["answers"]},
            Planted(query=query, answers=record.answers, flaw="contaminated", stage=FLAW_STAGE["contaminated"],
                    original=text, source_id=question["id"]))
