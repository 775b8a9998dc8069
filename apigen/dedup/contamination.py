"""Benchmark questions a training set must not contain, and the index that finds them in a query.

A generated query is contaminated when it contains at least half (``min_share``) of the word n-grams
(n = 8 by default) of a benchmark question - a question pasted inside a longer query, or most of it
reworded at the edges - or is a near duplicate of one (the same MinHash as ``near``, which also
catches questions shorter than n words). One shared 8-gram is not enough: measured on 10,000
recombined real queries, single shared 8-grams were mostly stock phrasing ("can you provide me with
the list of", "at an annual interest rate of 5 and"), not copies. Sources: the bundled BFCL v4 questions
(``apigen.benchmark_sets``) and user files: BFCL question files (JSON Lines with ``question``
turns), xlam-layout files (``.jsonl``/``.json``/``.parquet`` with ``query``), or a plain text file of
one query per line. Every match names the benchmark (``bfcl_v4`` or the file's stem) and the test id
(the row's ``id``; the line number for a text file).

Benchmark files are trusted no more than datasets: rows that do not decode or have no question are
skipped and counted, never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from apigen.chat_text import user_text
from apigen.dedup.near import NearIndex, Signer
from apigen.dedup.normalize import word_ngrams, words

DEFAULT_NGRAM = 8
MIN_SHARE = 0.5  # of a question's distinct n-grams found in the query
BUNDLED_SET = "bfcl_v4"


@dataclass(frozen=True)
class Question:
    benchmark: str
    id: str
    query: str


@dataclass(frozen=True)
class QuestionSet:
    """One benchmark's questions, as loaded; ``skipped``: rows with no usable question."""

    name: str
    questions: tuple[Question, ...]
    skipped: int = 0


@dataclass(frozen=True)
class Contamination:
    benchmark: str
    test_id: str
    how: str                     # "ngram" or "near_duplicate"
    jaccard: float | None = None  # near_duplicate: the similarity
    shared: tuple[int, int] | None = None  # ngram: (the question's n-grams in the query, its n-grams)
    ngram: str | None = None      # ngram: the first shared n-gram

    def describe(self) -> str:
        if self.how == "ngram":
            return (f"overlaps {self.benchmark} test question {self.test_id} (contains {self.shared[0]} of its "
                    f"{self.shared[1]} word n-grams, e.g. {self.ngram!r})")
        return f"near duplicate of {self.benchmark} test question {self.test_id} (word 3-gram Jaccard {self.jaccard})"


def bundled_set(name: str = BUNDLED_SET) -> QuestionSet:
    from apigen.benchmark_sets import bundled_questions

    return QuestionSet(name, tuple(Question(name, str(q["id"]), q["query"]) for q in bundled_questions(name)
                                   if isinstance(q.get("query"), str) and q["query"].strip()))


def load_question_file(path: str | Path) -> QuestionSet:
    """The questions of a BFCL, xlam-layout or plain text file (see the module docstring)."""
    from apigen.dataset_io import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    name = path.stem
    if path.suffix.lower() not in (".jsonl", ".json", ".ndjson", ".parquet"):
        return _text_set(path, name)
    questions, skipped = [], 0
    for position, row in _rows(path):
        text = _question_text(row)
        if text is None:
            skipped += 1
            continue
        row_id = row.get("id") if isinstance(row.get("id"), (str, int)) and not isinstance(row.get("id"), bool) else None
        questions.append(Question(name, str(row_id if row_id is not None else position), text))
    return QuestionSet(name, tuple(questions), skipped)


def _text_set(path: Path, name: str) -> QuestionSet:
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        from apigen.dataset_io import InputError

        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    questions = [Question(name, str(number), line.strip()) for number, line in enumerate(text.splitlines(), start=1)
                 if line.strip()]
    return QuestionSet(name, tuple(questions))


def _rows(path: Path) -> Iterator[tuple[int, dict]]:
    from apigen.dataset_io import read_rows

    for where, row in read_rows(path):
        (_, position), = where.items()
        yield position, row if isinstance(row, dict) else {}


def _question_text(row: dict) -> str | None:
    """The user turns of a BFCL ``question`` (a list of turns, each a list of messages) or an xlam
    ``query`` (text, or a list of chat messages)."""
    text = user_text(row.get("question", row.get("query")))
    return text if isinstance(text, str) and text.strip() else None


class ContaminationIndex:
    """Every question's word n-grams (n-gram -> the questions that have it) and its MinHash signature."""

    def __init__(self, sets: Iterable[QuestionSet], signer: Signer, threshold: float, ngram: int = DEFAULT_NGRAM,
                 min_share: float = MIN_SHARE):
        self.sets = list(sets)
        self.ngram, self.min_share = ngram, min_share
        self._grams: dict[str, list[int]] = {}
        self._gram_counts: list[int] = []
        self._near = NearIndex(signer, threshold)
        self._questions: list[Question] = []
        for qset in self.sets:
            for question in qset.questions:
                index = len(self._questions)
                tokens = words(question.query)
                grams = set(word_ngrams(tokens, ngram)) if len(tokens) >= ngram else set()
                for gram in grams:
                    self._grams.setdefault(gram, []).append(index)
                self._gram_counts.append(len(grams))
                self._near.add(index, signer.sign(tokens))
                self._questions.append(question)

    def describe(self) -> list[dict[str, Any]]:
        """The sets, for the summary: name, questions and rows skipped."""
        return [{"name": s.name, "questions": len(s.questions), **({"skipped": s.skipped} if s.skipped else {})}
                for s in self.sets]

    def match(self, tokens: list[str], signature: Any) -> Contamination | None:
        """The question most of whose n-grams the query contains (the largest share, then the earliest
        question), else a near duplicate."""
        if len(tokens) >= self.ngram:
            found: dict[int, list[str]] = {}
            for gram in dict.fromkeys(word_ngrams(tokens, self.ngram)):
                for index in self._grams.get(gram, ()):
                    found.setdefault(index, []).append(gram)
            best = max(found, key=lambda i: (len(found[i]) / self._gram_counts[i], -i), default=None)
            if best is not None and len(found[best]) >= self.min_share * self._gram_counts[best]:
                question = self._questions[best]
                return Contamination(question.benchmark, question.id, "ngram", ngram=found[best][0],
                                     shared=(len(found[best]), self._gram_counts[best]))
        near = self._near.match(signature)
        if near is not None:
            question = self._questions[near.key]
            return Contamination(question.benchmark, question.id, "near_duplicate", jaccard=near.jaccard)
        return None
