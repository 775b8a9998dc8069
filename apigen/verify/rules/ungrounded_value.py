"""Rule ``ungrounded_value``: a value the query cannot explain, failed only when it contradicts the query.

Three outcomes per argument value. *Grounded*: the query says it, literally or in a way a string
match misses (``evidence``), or a person derives it (``derivations``). *Failed*
(``ungrounded_value``): the value contradicts the query -- the query gives a value of the same kind
(a number, a date, a name or code) that no argument uses, so the model swapped in another one -- or it
is an identifier nobody gave (an email, a URL, an id), or a concrete date for a relative one
("tomorrow"), which no dataset row can pin down. *Undecided* (``value_undecided``, a warning): neither,
e.g. a count the query does not state or free text; people often call such values fine (a sensible
default, world knowledge), so the judge decides them, or without a judge the sample passes with the
warning.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from itertools import islice
from typing import Iterator

from apigen.models import Finding
from apigen.verify.rules.context import Context, Leaf, _close_to_any, _declared, _same, _schema_options, _show, _where
from apigen.verify.rules.derivations import _KNOWN, derived
from apigen.verify.rules.evidence import date_of, leaf_problem
from apigen.verify.rules.placeholder_value import is_placeholder, placeholder_exempt
from apigen.verify.rules.query import _fold, _squeeze, _subsequence
from apigen.verify.rules.registry import Rule
from apigen.verify.rules.vocabulary import (MAX_MATCHES, _DIGIT_RUN, _EMAIL, _KEYWORDS, _MONTH_NAME, _MONTHS, _STOPWORDS,
                                            _TENS, _UNITS, _URL)

UNDECIDED = "value_undecided"
_NUMBER_WORDS = {w: n for w, n in {**_UNITS, **_TENS}.items() if n >= 2}
_COUNT = "|".join(_NUMBER_WORDS)

_ID_PARAM = re.compile(r"(?:^|[_.\[])ids?$|[a-z]Ids?$")
_ID_LIKE = re.compile(r"(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{4,}|\d{5,}")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)\s*[\"'(]?$")
_QUOTED_ITEM = re.compile(r"'([^'\n]{1,60})'|\"([^\"\n]{1,60})\"")
_NAME_RUN = re.compile(r"\b[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*)*")


class _Used:
    """What the calls' values carry, to tell which of the query's own values went unused."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    @cached_property
    def numbers(self) -> list[float]:
        found = list(self.ctx.leaf_numbers)
        for leaf in self.ctx.leaves:
            if isinstance(leaf.value, str):
                found += [float(d) for d in islice(_DIGIT_RUN.findall(leaf.value), 50)]
        return sorted(n for n in found if math.isfinite(n))

    @cached_property
    def tokens(self) -> set[str]:
        return set(self.ctx.leaf_text.split())

    @cached_property
    def codes(self) -> list[str]:
        return [t for t in self.tokens if t.isalpha() and 2 <= len(t) <= 6]

    @cached_property
    def tool_words(self) -> set[str]:
        """Words of the called tools' names and descriptions: a name the query shares with them is
        the context of the request ("NFL" for ``nfl_data.player_record``), not a value."""
        called = {call.name for call in self.ctx.calls}
        text = " ".join(f"{t.name} {t.description}" for name, t in self.ctx.tools.items() if name in called)
        return set(re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text[:20_000]).lower()))

    def context(self, item: str) -> bool:
        words = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", _fold(item))]
        content = [w for w in words if w not in _STOPWORDS and len(w) >= 2]
        return bool(content) and all(w in self.tool_words for w in content)

    @cached_property
    def dates(self) -> set[tuple[int, int, int]]:
        return {d for leaf in self.ctx.leaves if (d := date_of(leaf.value)) is not None}

    def number(self, n: float) -> bool:
        return any(_close_to_any(x, self.numbers) for x in (n, n / 100, n * 100, -n))

    def name(self, item: str) -> bool:
        words = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", _fold(item))]
        content = [w for w in words if w not in _STOPWORDS and len(w) >= 2] or words
        if any(w in self.tokens for w in content):
            return True
        name = " ".join(words)
        if any(code in self.tokens for code in _KNOWN.get(name, ())):
            return True
        initials, squeezed = "".join(w[0] for w in words), _squeeze(name)
        return any((len(code) >= 2 and (initials.startswith(code) or (len(initials) >= 2 and code.startswith(initials)))) or
                   (code[:1] == squeezed[:1] and _subsequence(_squeeze(code), squeezed)) for code in self.codes)


def _named_items(text: str) -> Iterator[str]:
    """The query's quoted strings, capitalized runs (a sentence's first word left out) and codes."""
    for match in islice(_QUOTED_ITEM.finditer(text), MAX_MATCHES):
        yield match.group(1) or match.group(2)
    for match in islice(_NAME_RUN.finditer(text), MAX_MATCHES):
        words = match.group().split()
        if _SENTENCE_START.search(text[max(match.start() - 3, 0):match.start()]) or match.start() == 0:
            words = words[1:]
        words = [w for w in words if w.lower().strip(".'") not in _STOPWORDS and w.lower() not in _KEYWORDS
                 and not re.fullmatch(r"I'\w+", w)]  # "I'm", "I'd"
        if words:
            yield " ".join(words)


def _unused(leaf: Leaf, ctx: Context, used: _Used, date: tuple[int, int, int] | None) -> str | None:
    """A value of the query of the leaf's kind that no argument uses: the model swapped it out."""
    q = ctx.index
    value = leaf.value
    if date is not None:
        missed = [d for d in sorted(q.dates) if d not in used.dates]
        return f"the query's date {'-'.join(map(str, missed[0]))} is used by no argument" if missed else None
    numeric = isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()))
    if numeric:
        stated = [(text, float(text)) for text in islice(_DIGIT_RUN.findall(q.lower), MAX_MATCHES)]
        stated += [(word, float(_NUMBER_WORDS[word])) for word in q.words[:2_000] if word in _NUMBER_WORDS]
        if isinstance(value, (int, str)) and str(value).strip().isdigit() and int(str(value).strip()) <= 12:
            stated += [(name, float(_MONTHS[name])) for name in _MONTH_NAME.findall(q.lower)]  # "February" -> 2
        for text, number in stated:
            if not used.number(number):
                return f"the query's number {text} is used by no argument"
        kinds = {o.get("type") for o in _schema_options(leaf.schema)} - {None, "null"}
        if not kinds or kinds & {"number", "integer", "float"}:
            return None  # a number for a parameter that takes numbers: only a number contradicts it
    if isinstance(value, (str, int, float)) and len(str(value).split()) <= 3:  # 7 for a city: the names
        for item in _named_items(q.text):
            if not used.name(item) and not used.context(item):
                return f"the query's {item!r} is used by no argument"
    return None


def _taken(stated: str, used: _Used) -> bool:
    """Some argument carries the stated value (another call's, in a query with several)."""
    number = re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?", stated.rstrip("%"))
    if number:
        value = float(stated.rstrip("%").replace(",", ""))
        return used.number(value / 100 if stated.endswith("%") else value) or used.number(value)
    words = re.findall(r"[a-z0-9]+", stated.lower())
    return bool(words) and all(w in used.tokens for w in words)


def _bound_elsewhere(leaf: Leaf, ctx: Context, used: _Used) -> str | None:
    """The query binds this very parameter to a value ("radius = 3", "with a radius of 3", "iban:
    DE89...") and the argument is not grounded: the call carries another value than the one asked for.
    Free text counts only for an explicit ``=`` or ``:``."""
    name = re.split(r"[.\[]", leaf.path)[0]
    words = [w for w in re.findall(r"[a-z]+|[0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())]
    if not words or max(len(w) for w in words) < 3:
        return None
    free = isinstance(leaf.value, str) and len(leaf.value.split()) > 3
    head = r"\b" + r"[\W_]+".join(map(re.escape, words)) + r"\s*"
    patterns = [head + r"(?:=|:)\s*[\"'\[{]?([^\s,;\"'\[\]{}]+)"]
    if not free:  # "a radius of 3", "growth rate is '1.5%'": a number or a quoted value only
        patterns.append(head + r"(?:\bis\b|\bof\b|\bas\b)\s*(-?\d[\d,]*(?:\.\d+)?%?|'[^'\n]{1,40}'|\"[^\"\n]{1,40}\")")
    for pattern in patterns:
        match = re.search(pattern, ctx.index.lower)
        if match is None:
            continue
        stated = match.group(1).strip("'\"").rstrip(".")
        if not stated or stated in _STOPWORDS or _same(leaf.value, stated) or _taken(stated, used):
            continue
        return f"the query gives {name} as {stated!r}"
    if isinstance(leaf.value, (int, float)) and not isinstance(leaf.value, bool):  # "two nights", "30 days"
        for word in (w for w in words if len(w) >= 4 and w not in _STOPWORDS):
            stem = word[:-1] if word.endswith("s") else word
            counted = re.search(rf"(?<![\w.])({_COUNT}|\d[\d,]*(?:\.\d+)?)[\s-]+(?:[a-z]+\s+)?{re.escape(stem)}s?\b",
                                ctx.index.lower)
            if counted:
                stated = counted.group(1)
                number = _NUMBER_WORDS.get(stated) or float(stated.replace(",", "")) if stated not in _NUMBER_WORDS else _NUMBER_WORDS[stated]
                if not _same(leaf.value, number) and not used.number(float(number)):  # a number no argument took
                    return f"the query gives {counted.group()!r}"
    return None


def _invented_identifier(leaf: Leaf) -> str | None:
    value = leaf.value
    if isinstance(value, str):
        text = value.strip()
        if _EMAIL.match(text):
            return "an email address"
        if _URL.match(text) or re.match(r"^[\w-]+(\.[\w-]+)*\.(com|org|net|io)(/\S*)?$", text, re.I):
            return "a URL"
        if " " not in text and _ID_LIKE.fullmatch(text):
            return "an identifier"
    if isinstance(value, (int, float, str)) and not isinstance(value, bool) and _ID_PARAM.search(leaf.path):
        return "an identifier"
    return None


def classify(leaf: Leaf, ctx: Context, used: _Used) -> tuple[str, str] | None:
    """None when grounded; else (code, why): ``ungrounded_value`` or ``value_undecided``."""
    problem = leaf_problem(leaf, ctx.index)
    if not problem:
        if _declared(leaf.value, leaf.schema) and not ctx.index.says(str(leaf.value)) and not (
                isinstance(leaf.value, (int, float)) and ctx.index.has_number(leaf.value)):
            bound = _bound_elsewhere(leaf, ctx, used)  # a default applies only when the query says nothing
            if bound:
                return "ungrounded_value", f"it is the parameter's default, but {bound}"
        return None
    date = date_of(leaf.value) if not isinstance(leaf.value, bool) else None
    if derived(leaf.value, ctx.index, date):
        return None
    if "relative date" in problem:  # a concrete date or year for "tomorrow", "this year"
        return "ungrounded_value", problem
    invented = _invented_identifier(leaf)
    if invented:
        return "ungrounded_value", f"{problem}: {invented} nobody gave"
    unused = _unused(leaf, ctx, used, date) or _bound_elsewhere(leaf, ctx, used)
    if unused:
        return "ungrounded_value", f"{problem}, and {unused}"
    return UNDECIDED, problem


def ungrounded_values(ctx: Context) -> Iterator[Finding]:
    """An argument the query cannot explain was made up by the model: the call answers a question
    nobody asked. Only a value that contradicts the query fails (the query gives a number, date or
    name of the same kind that no argument uses), or an invented identifier (email, URL, id), or a
    concrete date for a relative one ("tomorrow"): a row cannot pin it down. Every other unexplained
    value is undecided (``value_undecided``): for the judge, or a warning without one. Defaults, enum
    values, numbers as words, with separators, as percentages or in another unit, dates in another
    format or computed from a stated date, and well-known codes of named things are grounded. A value
    already reported as a placeholder is not reported again."""
    used = _Used(ctx)
    for leaf in ctx.leaves:
        if is_placeholder(leaf.value) and not placeholder_exempt(leaf, ctx):
            continue
        outcome = classify(leaf, ctx, used)
        if outcome:
            code, why = outcome
            verb = "is not grounded in the query" if code == "ungrounded_value" else \
                "is not literally in the query (undecided: for the judge)"
            yield Finding(code=code, call=leaf.call, message=f"{_where(leaf, ctx.calls)}: {_show(leaf.value)} {verb}: {why}")


RULE = Rule("ungrounded_value", ungrounded_values, order=30, warnings=(UNDECIDED,))
