"""How a value is grounded in the query: dates, numbers, codes the query spells out, names, strings.

``leaf_problem`` says why a value is not literally grounded (None when it is, or may well be);
what to make of such a value (a failure or undecided) is the ``ungrounded_value`` rule's job.
"""

from __future__ import annotations

import json
import re
from typing import Any

from apigen.verify.rules.context import Leaf, _declared
from apigen.verify.rules.query import QueryIndex, _fold, _subsequence, _squeeze, _valid_date
from apigen.verify.rules.vocabulary import (MAX_VALUE_TOKENS, _CODE_ALIASES, _DATE_COMPACT, _DATE_DMY, _DATE_ISO,
                                            _EMAIL, _KEYWORDS, _LOCALE, _STOPWORDS, _TOKEN, _URL)


def date_of(value: Any) -> tuple[int, int, int] | None:
    text = str(value).strip() if not isinstance(value, bool) else ""
    for pattern in (_DATE_ISO, _DATE_COMPACT):
        match = pattern.match(text)
        if match:
            y, m, d = (int(g) for g in match.groups()[:3])
            return (y, m, d) if _valid_date(y, m, d) else None
    match = _DATE_DMY.match(text)
    if match:
        a, b, y = (int(g) for g in match.groups())
        m, d = (a, b) if a <= 12 else (b, a)
        return (y, m, d) if _valid_date(y, m, d) else None
    return None

def _date_grounded(date: tuple[int, int, int], q: QueryIndex) -> bool:
    """The same date in any common format, or a year boundary next to a year the query names
    ("released after 2010" -> 2011-01-01, "before 2020" -> 2019-12-31). Relative time ("today",
    "tomorrow", "next Friday") grounds no date: the row's date would be right on one day only."""
    y, m, d = date
    if date in q.dates:
        return True
    if (m, d) in q.month_days and (not q.dates or q.has_number(y)):
        return True
    return (m, d) in ((1, 1), (12, 31)) and any(q.has_number(y + k) for k in (-1, 0, 1))

def _relative(what: str, q: QueryIndex) -> str:
    """Why ``what`` is ungrounded, naming the relative time the query speaks in, if any."""
    if not q.relative_time:
        return f"{what} the query does not give"
    return (f"{what} the query does not give: it only refers to a relative date ({q.relative_time!r}), "
            "which a dataset row cannot pin down")

def _date_problem(date: tuple[int, int, int], q: QueryIndex) -> str | None:
    return None if _date_grounded(date, q) else _relative("a date", q)

def _number_grounded(value: float, q: QueryIndex) -> bool:
    if q.has_number(value):
        return True
    renderings = {str(value), json.dumps(value), f"{value:g}", f"{value:,}"}
    if float(value).is_integer():
        renderings |= {str(int(value)), f"{int(value):,}"}
        if abs(value) >= 100_000 and str(abs(int(value))) in q.squashed:  # "+1 (415) 555-2671"
            return True
    if any(q.says(r) for r in renderings):
        return True
    if value in (0, 1):  # offsets, first pages, single items, on/off flags: never a clear case
        return True
    return 0 < abs(value) <= 1 and q.has_number(round(abs(value) * 100, 9))  # 0.5 for "50%"

def _code_alias(code: str, q: QueryIndex) -> bool:
    """An all-caps code the query spells out: "USD" for "dollars", "LHR" for "London Heathrow",
    "MSFT" for "Microsoft", "AAPL" for "Apple", "NYC" for "New York City", "JSON" for json."""
    low = code.lower()
    if low not in q.code_aliases:
        q.code_aliases[low] = _spelled_out(low, q)
    return q.code_aliases[low]

def _spelled_out(low: str, q: QueryIndex) -> bool:
    if low in _KEYWORDS:
        return True
    if any(a in q.lower if not a.isalpha() else re.search(rf"\b{re.escape(a)}", q.lower)
           for a in _CODE_ALIASES.get(low, ())):
        return True
    squeezed = _squeeze(low)
    for initials, suffixes in q.alias_runs:
        if len(initials) >= 2 and (initials.startswith(low) or low.startswith(initials)):
            return True
        # A suffix that starts with the code's first letter holds every later suffix: only the
        # first such suffix of a run can hold the code as a subsequence.
        text = next((t for t in suffixes if t[:1] == squeezed[:1]), None)
        if text is not None and _subsequence(squeezed, text):
            return True
    return False

def _name_alias(words: list[str], q: QueryIndex) -> bool:
    """A capitalized name the query abbreviates: "New York" for "NY"/"NYC", "Apple" for "AAPL"."""
    initials = "".join(w[0] for w in words).lower()
    joined = _squeeze("".join(words))
    for token in q.caps_tokens:
        if len(initials) >= 2 and (token.startswith(initials) or initials.startswith(token)):
            return True
        squeezed = _squeeze(token)
        if squeezed and joined[:1] == squeezed[:1] and _subsequence(squeezed, joined):
            return True
    return False

def _token_grounded(token: str, q: QueryIndex) -> bool:
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return _number_grounded(float(token), q)
    if token.isalpha():
        return q.has_word(token)
    return q.says(token) or (len(token) >= 4 and token.lower() in q.squashed)

def _clear_token(token: str) -> bool:
    """A token whose absence is a clear sign: digits, an all-caps code, a capitalized name."""
    if any(ch.isdigit() for ch in token):
        return True
    if token.lower() in _STOPWORDS:
        return False
    return len(token) >= 2 and token[0].isupper()

def _short_string_problem(text: str, q: QueryIndex) -> str | None:
    """At most three words: flag only missing digits, codes and capitalized names."""
    missing = [t for t in _TOKEN.findall(text) if not _token_grounded(t, q)]
    clear = [t for t in missing if _clear_token(t)]
    codes = [t for t in clear if t.isalpha() and t.isupper()]
    names = [t for t in clear if t.isalpha() and not t.isupper()]
    if codes and all(_code_alias(t, q) for t in codes):
        clear = [t for t in clear if t not in codes]
    if names and _name_alias(names, q):
        clear = [t for t in clear if t not in names]
    if clear and len(clear) == len(names):  # "Lionel Messi" for "Messi": a name the query gave, completed
        given = [t for t in _TOKEN.findall(text) if _clear_token(t) and t.isalpha() and t not in clear]
        if len(given) >= len(clear):
            clear = []
    return f"{', '.join(repr(t) for t in clear)} not in the query" if clear else None

def _string_problem(text: str, q: QueryIndex) -> str | None:
    """Why a string argument is ungrounded, or None when it is (or may well be) grounded."""
    text = _fold(text).strip()
    if not text or q.says(text):
        return None
    date = date_of(text)
    if date is not None:
        return _date_problem(date, q)
    if _EMAIL.match(text):
        return None if text.lower() in q.lower else "an email address the query does not give"
    if _URL.match(text) or re.match(r"^[\w-]+(\.[\w-]+)*\.(com|org|net|io|edu|gov|co)(/\S*)?$", text, re.I):
        host = re.sub(r"^(https?://)?(www\.)?", "", text, flags=re.I).rstrip("/")
        labels = host.split("/")[0].split(".")
        site = labels[-2] if len(labels) >= 2 else labels[0]
        if q.says(host) or q.says(host.split("/")[0]) or (len(site) >= 3 and q.has_word(site)):
            return None  # "google.com" or "https://www.google.com" for "search on Google"
        return "a URL the query does not give"
    if _LOCALE.match(text):
        return None  # "en-US", "es_ES": a format the model picks, like "json"
    parts = [p.strip() for p in text.split(",")]
    if 1 < len(parts) <= 3 and parts[0] and len(parts[0].split()) <= 3 and _short_string_problem(parts[0], q) is None \
            and any(_token_grounded(t, q) for t in _TOKEN.findall(parts[0])):
        return None  # "Paris, France" / "Manhattan, New York City" for "Paris": a qualifier was added
    tokens = _TOKEN.findall(text)
    if len(text.split()) > 3:  # free text: grounded when most of its content words are in the query
        content = [t for t in tokens if (len(t) >= 3 and t.lower() not in _STOPWORDS) or t.isdigit()]
        content = content[:MAX_VALUE_TOKENS]
        found = sum(_token_grounded(t, q) for t in content)
        return None if found * 2 >= len(content) else \
            f"free text whose content words are mostly absent from the query ({found}/{len(content)} found)"
    return _short_string_problem(text, q)

def leaf_problem(leaf: Leaf, q: QueryIndex) -> str | None:
    value = leaf.value
    if value is None or isinstance(value, bool) or _declared(value, leaf.schema):
        return None
    if isinstance(value, (int, float)):
        date = date_of(value) if isinstance(value, int) else None
        if date is not None and not q.has_number(value):
            return _date_problem(date, q)
        try:
            if _number_grounded(value, q):
                return None
            if q.relative_time and 1900 <= value <= 2100 and float(value).is_integer():
                return _relative("a year", q)  # 2024 for "this year"
            return "a number the query does not give"
        except OverflowError:  # an integer beyond float range: compare it as written
            return None if str(value) in q.squashed else "a number the query does not give"
    if isinstance(value, str):
        return _string_problem(value, q)
    return None
