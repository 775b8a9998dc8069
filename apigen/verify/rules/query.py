"""The query in the forms the rules compare against, computed once per check (``QueryIndex``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

from apigen.verify.rules.context_math import _close_to_any
from apigen.verify.rules.vocabulary import (MAX_QUERY_CHARS, MAX_RUN_WORDS, MAX_RUNS, _CLOCK, _DIGIT_RUN, _LEADING_POINT,
                                            _MONTH_ABBR, _MONTH_NAME, _MONTHS, _NOON, _NOT_ALNUM, _NUMBER_WITH_UNIT,
                                            _NUMBER_WORD, _ONE_UNIT, _ORDINALS, _OTHER_NUMBER_WORDS, _RELATIVE_TIME,
                                            _SCALES, _SEPARATORS, _SHORT_MONTH_DAY, _STOPWORDS, _TENS, _UNIT_FACTORS,
                                            _UNITS, _WORD)


def _loose(text: str) -> str:
    """Lowercase, punctuation to spaces, single spaces, padded: a form for word-boundary matching."""
    return " " + " ".join(_NOT_ALNUM.sub(" ", text.lower()).split()) + " "


def _stem(word: str) -> str:
    """Singular of a plural, crudely: cities -> city, boxes -> box, games -> game."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _fold(text: str) -> str:
    """Accents off (São -> Sao), so a value and its query compare whatever the spelling."""
    if text.isascii():  # nothing to take off (and NFKD leaves ASCII as it is)
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _valid_date(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= 31 and 1000 <= y <= 2999


def _words_to_numbers(words: list[str]) -> set[float]:
    """Numbers written as words: "three", "twenty five", "two thousand", "a dozen", "third"."""
    found: set[float] = set()
    current: float | None = None
    for word in words + ["<end>"]:
        if word in _UNITS or word in _TENS:
            value = _UNITS.get(word, _TENS.get(word, 0))
            current = value if current is None else (current + value if current % 100 >= 20 or current >= 100 else value)
            found.add(current)
            continue
        if word in _SCALES and word not in ("k", "m", "b", "mm", "bn") and current is not None:
            current *= _SCALES[word]
            found.add(current)
            continue
        if word in _ORDINALS:
            found.add(_ORDINALS[word])
        if word in _OTHER_NUMBER_WORDS:
            found.add(_OTHER_NUMBER_WORDS[word])
        current = None
    return found


@dataclass
class QueryIndex:
    """The query in the forms the rules compare against."""

    text: str
    lower: str = field(init=False)
    loose: str = field(init=False)
    words: list[str] = field(init=False)
    stems: set[str] = field(init=False)
    numbers: set[float] = field(init=False)
    dates: set[tuple[int, int, int]] = field(init=False)
    month_days: set[tuple[int, int]] = field(init=False)
    squashed: str = field(init=False)
    relative_time: str = field(init=False)  # the first relative-time phrase ("tomorrow"), or ""
    sorted_numbers: list[float] = field(init=False)  # ``numbers`` sorted, NaN left out: bisected
    code_aliases: dict[str, bool] = field(init=False, default_factory=dict)  # memo of ``_code_alias``

    def __post_init__(self) -> None:
        self.text = _fold(self.text[:MAX_QUERY_CHARS])
        self.lower = self.text.lower()
        self.loose = _loose(self.text)
        self.squashed = _NOT_ALNUM.sub("", self.lower)
        relative = _RELATIVE_TIME.search(self.lower)
        self.relative_time = relative.group() if relative else ""
        self.words = _WORD.findall(self.lower)
        self.stems = {_stem(w) for w in self.words} | set(self.words)
        self.numbers = self._numbers()
        self.sorted_numbers = sorted(n for n in self.numbers if n == n)
        self.dates, self.month_days = self._dates()

    def _numbers(self) -> set[float]:
        numbers: set[float] = set()
        lower = self.lower
        for match in _DIGIT_RUN.finditer(lower):  # every digit run, wherever it is
            numbers.add(float(match.group()))
        for match in _NUMBER_WITH_UNIT.finditer(lower):
            value = float(_SEPARATORS.sub("", match.group(1)) + (match.group(2) or ""))
            numbers.add(value)
            unit = (match.group(3) or "").strip()
            if unit in ("%", "percent", "per cent"):
                numbers.add(value / 100)
            elif unit:
                numbers.add(value * _SCALES[unit])
        for match in _LEADING_POINT.finditer(lower):  # ".5"
            numbers.add(float("0." + match.group(1)))
        for match in _NUMBER_WORD.finditer(lower):  # "2 hours" -> 120 (minutes)
            factors = _UNIT_FACTORS.get(match.group(2)) or _UNIT_FACTORS.get(_stem(match.group(2)), ())
            value = float(match.group(1))
            numbers |= {round(value * f, 9) for f in factors} | {round(value / f, 9) for f in factors}
        for match in _ONE_UNIT.finditer(lower):
            numbers |= set(_UNIT_FACTORS.get(match.group(1), ()))  # "the past week" -> 7 (days)
        for match in _CLOCK.finditer(lower):
            hour = int(match.group(1)) % 12 + (12 if match.group(3).startswith("p") else 0)
            numbers.add(hour)  # "2 pm" -> 14:00
        if _NOON.search(lower):
            numbers.add(12)
        numbers |= _words_to_numbers(self.words)
        numbers.update(_MONTHS[name] for name in _MONTH_NAME.findall(lower))
        for match in _SHORT_MONTH_DAY.finditer(lower):
            name = match.group(1) or match.group(2)
            numbers.add(_MONTHS.get(name) or _MONTH_ABBR[name])
        return numbers

    def _dates(self) -> tuple[set[tuple[int, int, int]], set[tuple[int, int]]]:
        dates: set[tuple[int, int, int]] = set()
        month_days: set[tuple[int, int]] = set()
        lower = self.lower
        for y, m, d in re.findall(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b", lower):
            dates.add((int(y), int(m), int(d)))
        for a, b, y in re.findall(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b", lower):
            dates |= {(int(y), int(a), int(b)), (int(y), int(b), int(a))}  # either order
        for y, m, d in re.findall(r"\b(19\d\d|20\d\d)(\d\d)(\d\d)\b", lower):
            dates.add((int(y), int(m), int(d)))
        month = rf"({'|'.join(_MONTHS)}|{'|'.join(_MONTH_ABBR)})\.?"
        for name, d, y in re.findall(rf"\b{month}\s*(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(\d{{4}}))?\b", lower):
            m = _MONTHS.get(name) or _MONTH_ABBR[name]
            month_days.add((m, int(d)))
            if y:
                dates.add((int(y), m, int(d)))
        for d, name, y in re.findall(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{month}(?:,?\s+(\d{{4}}))?\b", lower):
            m = _MONTHS.get(name) or _MONTH_ABBR[name]
            month_days.add((m, int(d)))
            if y:
                dates.add((int(y), m, int(d)))
        dates = {x for x in dates if _valid_date(*x)}
        return dates, month_days | {(m, d) for _, m, d in dates}

    # --- membership tests -------------------------------------------------------------------

    def says(self, text: str) -> bool:
        """``text`` is written in the query, case-insensitively, at word boundaries (or loosely)."""
        t = text.strip().lower()
        if not t:
            return True
        tokens = tuple(_loose(t).split())
        if not tokens:  # punctuation only ("$", "%"): as written, at word boundaries
            return re.search(r"(?<![a-z0-9])" + re.escape(t) + r"(?![a-z0-9])", self.lower) is not None
        # Written at word boundaries implies the same run of words in the loose form, and the loose
        # form is what matched otherwise: one test, a set lookup for short texts.
        if len(tokens) <= 3:
            return tokens in self.ngrams[len(tokens) - 1]
        return " " + " ".join(tokens) + " " in self.loose

    @cached_property
    def ngrams(self) -> tuple[set[tuple[str, ...]], ...]:
        """The runs of 1, 2 and 3 words of the loose form."""
        tokens = self.loose.split()
        return tuple(set(zip(*(tokens[i:] for i in range(n)))) for n in (1, 2, 3))

    def has_number(self, value: float) -> bool:
        return _close_to_any(abs(value), self.sorted_numbers)

    def has_word(self, word: str) -> bool:
        w = word.lower()
        return w in self.stems or _stem(w) in self.stems

    @cached_property
    def capitalized_runs(self) -> list[str]:
        """Runs of capitalized words, stopwords dropped: "London Heathrow", "Apple" (the first
        ``MAX_RUNS`` distinct ones, each at most ``MAX_RUN_WORDS`` words)."""
        runs: dict[str, None] = {}
        for match in re.finditer(r"\b([A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*)*)", self.text):
            words = [w for w in match.group(1).split() if w.lower() not in _STOPWORDS]
            for start in range(0, len(words), MAX_RUN_WORDS):
                runs.setdefault(" ".join(words[start:start + MAX_RUN_WORDS]))
                if len(runs) >= MAX_RUNS:
                    return list(runs)
        return list(runs)

    @cached_property
    def alias_runs(self) -> list[tuple[str, list[str]]]:
        """(initials, squeezed text from each word on) of each capitalized run."""
        return [("".join(w[0] for w in words).lower(), [_squeeze(" ".join(words[k:])) for k in range(len(words))])
                for words in (run.split() for run in self.capitalized_runs)]

    @cached_property
    def caps_tokens(self) -> list[str]:
        """All-caps tokens of 2-6 letters, lowercased (the first ``MAX_RUNS`` distinct ones)."""
        found = (t.lower() for t in re.findall(r"\b[A-Z]{2,6}\b", self.text))
        return list(islice(dict.fromkeys(found), MAX_RUNS))



def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _squeeze(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[^a-z]", "", text.lower()))

