"""The text two queries are compared on: case, Unicode form, punctuation and spacing do not matter.

``"What's the weather in  PARIS?"`` and ``"what s the weather in paris"`` are the same query; the
words are what n-grams (near duplicates, benchmark overlap) are built from.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_query(text: object) -> str:
    """Casefolded NFKC text with every run of punctuation, symbols and spaces made one space."""
    if not isinstance(text, str):
        return ""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def words(text: object) -> list[str]:
    """The words of ``normalize_query(text)``."""
    return normalize_query(text).split()


def word_ngrams(tokens: list[str], n: int) -> list[str]:
    """The word n-grams of ``tokens``, in order; a text shorter than ``n`` words is one n-gram of all of
    them (so a short query still has a shingle), an empty one has none."""
    if len(tokens) < n:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
