"""Stage 3, first half: deterministic grounding rules, run before the LLM judge because they cost nothing.

``check_grounding(query, tools, calls)`` returns a list of ``Finding`` (empty = no problem). The rules
live in ``RULES``, a dispatch table of small functions, each with its own stable code:

* ``placeholder_value``: an argument is a stand-in (``<city>``, ``YOUR_API_KEY``, ``John Doe``,
  ``test@example.com``, ``12345``, ``foo``), unless the query itself says it;
* ``ungrounded_value``: an argument cannot be traced to the query (a number, a capitalized name or an
  id-like token the query never mentions);
* ``incomplete_answer``: the query enumerates items (``for Paris, London and Tokyo``) or counts them
  (``three cities``) and the calls leave some out.

The rules are tuned for a LOW false-positive rate: only clear cases are reported, and everything a
grounded answer legitimately does (use a default or an enum value, lowercase unit/format words,
numbers written as words or with thousands separators, percentages as fractions, dates in another
format, the obvious year boundary of "after 2010") is accepted. A concrete date or year for a
relative one ("today", "tomorrow", "next Friday", "this year") is never accepted: no dataset row can
pin it down, the row would be wrong the next day. Whatever the rules let through the LLM judge still
sees.

The query and the values are untrusted, so the work is linear in their size and bounded per row:
the query is indexed once (its numbers, words, token n-grams, capitalized runs), every membership
test against it is a set lookup, a bisection or one C-level substring search, no pattern can
backtrack over a long run of digits or list items, and at most ``MAX_QUERY_CHARS`` of the query,
``MAX_LEAVES`` argument values and ``MAX_VALUE_CHARS`` of each are considered (far above any real
row: an 84 KB query took 63 CPU-seconds before; no row takes more than a fraction of a second now).
"""

from __future__ import annotations

import bisect
import inspect
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Sequence

from api_registry.spec import ToolSpec
from apigen.models import Finding, FunctionCall
from apigen.quoting import quote

MAX_QUERY_CHARS = 100_000  # of the query considered (real queries: < 5,000)
MAX_VALUE_CHARS = 1_000    # of one string argument considered
MAX_LEAVES = 256           # argument values checked per row
MAX_VALUE_TOKENS = 64      # content words of one free-text value checked
MAX_RUNS = 200             # capitalized runs / all-caps tokens of the query used to explain codes and names
MAX_RUN_WORDS = 12         # a longer run of capitalized words is no name: cut into pieces of this size
MAX_MATCHES = 50           # enumerations / count phrases of the query examined per pattern
MAX_LIST_ITEMS = 20        # items of one enumeration (a longer list: its last ones)

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
          "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
          "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "k": 1_000, "million": 1_000_000, "m": 1_000_000,
           "mm": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000, "b": 1_000_000_000,
           "trillion": 1_000_000_000_000}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12}
_OTHER_NUMBER_WORDS = {"once": 1, "single": 1, "twice": 2, "double": 2, "pair": 2, "couple": 2,
                       "both": 2, "thrice": 3, "triple": 3, "dozen": 12, "half": 0.5,
                       "quarter": 0.25}
_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
           "august": 8, "september": 9, "october": 10, "november": 11, "december": 12}
_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
               "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_COUNT_WORDS = {w: n for w, n in _UNITS.items() if 2 <= n <= 12}
# A few codes a query usually spells out ("100 dollars" -> "USD").
_CODE_ALIASES = {"usd": ("dollar", "$", "usd"), "eur": ("euro", "€"), "gbp": ("pound", "£", "sterling"),
                 "jpy": ("yen", "¥"), "inr": ("rupee", "₹"), "cny": ("yuan", "renminbi", "rmb"),
                 "cad": ("canadian",), "aud": ("australian",), "chf": ("swiss",), "btc": ("bitcoin",),
                 "eth": ("ethereum", "ether"), "us": ("united states", "america", "u.s."),
                 "uk": ("united kingdom", "britain", "england"), "gb": ("united kingdom", "britain", "england")}
# Conversions a model does on its own: "2 hours" may be passed as 120 minutes or 7200 seconds.
_UNIT_FACTORS = {**dict.fromkeys(("hour", "hr", "h"), (60, 3600)),
                 **dict.fromkeys(("minute", "min"), (60, 60 * 1000)),
                 **dict.fromkeys(("second", "sec", "s"), (1000,)),
                 "day": (24, 1440, 86400), "week": (7, 168, 10080, 604800),
                 "month": (12, 30, 31), "year": (12, 52, 365), "decade": (10,),
                 **dict.fromkeys(("km", "kilometer", "kilometre", "kg", "kilogram", "l", "liter", "litre",
                                  "kb", "mb", "gb", "tb", "kw", "ghz", "mhz", "khz"), (1000, 1024)),
                 **dict.fromkeys(("m", "meter", "metre"), (100, 1000)),
                 **dict.fromkeys(("cm", "centimeter", "centimetre"), (10, 100)),
                 **dict.fromkeys(("ft", "foot", "feet"), (12,)), "dozen": (12,)}
_RELATIVE_TIME = re.compile(r"\b(today|tomorrow|yesterday|tonight|now|"
                            r"current(?:ly|\s+(?:date|day|time|week|month|year))?|upcoming|recent|"
                            r"recently|latest|ago|weekend|(this|next|last|past|coming|previous|on|by|until)\s+"
                            r"(week|month|year|quarter|season|monday|tuesday|wednesday|thursday|friday|"
                            r"saturday|sunday|\d+\s+(days|weeks|months|years)|[a-z]+\s+(days|weeks|months|years)))\b")
# Upper-case words that are formats, methods or keywords rather than names.
_KEYWORDS = frozenset("""json csv xml html pdf png jpg jpeg gif svg txt yaml utc gmt asc desc get post put
delete patch head http https api sql iso am pm id url uri ip gps mp3 mp4 ascii utf""".split())
_STOPWORDS = frozenset("""a an the and or of to in on at for from by with about as is are was were be
been being it its this that these those what which who whom whose how when where why can could would
should will shall may might must do does did i me my we our you your he she they them their his her
please help need want like get give find show tell let also all any some each every into than then
there here not no yes so if but just only very more most much many other such own same too via per
using use based""".split())
_WRAPPED = re.compile(r"<[^<>]+>|\{\{?\s*[A-Za-z_][\w .-]*\}?\}|\[\s*[A-Za-z_][\w .-]*\]")
_PLACEHOLDERS = [re.compile(p, re.I) for p in (
    r"your[_ -][\w .@-]+",                                         # your_api_key, your email
    r"(api|access|auth|secret|bearer|app)[_ -]?(key|token|secret|id)s?",
    r"(user|account|customer|client|session|device)[_ -]?id",
    r"x{3,}|todo|tbd|tba|fixme|n/a|placeholder|string|value|sample|dummy|test|foo|bar|baz|qux|foobar",
    r"lorem ipsum.*|(insert|enter)[_ -].+|abc(123|def)?|xyz",
    r"(john|jane)[ ._-]?doe",
    r"[\w.+-]*@(example|test|domain|yourdomain|email)\.(com|org|net)",
    r"(https?://)?(www\.)?(example|yourdomain|your-domain|domain)\.(com|org|net)(/\S*)?",
    r"\+?1?[ -]?(\(555\)|555)[ -]?555[ -]?\d{4}|123-456-7890",   # phone stand-ins
)]
_DUMMY_NUMBERS = [re.compile(p) for p in (
    r"0?1234(5(6(7(8(90?)?)?)?)?)?",                              # 1234, 12345 ... 1234567890
    r"(\d)\1{4,}",                                                # 00000, 99999
)]
_PLACEHOLDERS += _DUMMY_NUMBERS
_DATE_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_DATE_COMPACT = re.compile(r"^(19\d\d|20\d\d)(\d\d)(\d\d)$")
_DATE_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_LOCALE = re.compile(r"^[a-z]{2}[-_][A-Z]{2}$")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.I)
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:\.\d+)?")


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[a-z]+")
_DIGIT_RUN = re.compile(r"\d+(?:\.\d+)?")
_NUMBER_WITH_UNIT = re.compile(r"(\d{1,3}(?:[, _]\d{3})+|\d+)(\.\d+)?\s*(%|percent|per cent|"
                               r"k|m|mm|bn|b|thousand|million|billion|trillion)?(?![a-z])")
_SEPARATORS = re.compile(r"[, _]")
_LEADING_POINT = re.compile(r"(?<![\d.])\.(\d+)")
_NUMBER_WORD = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*-?\s*([a-z]+)\b")
_ONE_UNIT = re.compile(r"\b(?:a|an|one|per|past|last|next|this|each|every)\s+([a-z]+)\b")
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d\d))?\s*(am|pm|a\.m\.|p\.m\.)")
_NOON = re.compile(r"\bnoon\b")
_MONTH_NAME = re.compile(r"\b(" + "|".join(name for name in _MONTHS if name != "may") + r")\b")  # whole words
_SHORT = r"(may|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)"  # "may" is a month only next to a day
_SHORT_MONTH_DAY = re.compile(rf"\b{_SHORT}\.?\s+\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?{_SHORT}\b")


# ---------------------------------------------------------------------------------------------
# What the query contains, computed once per check
# ---------------------------------------------------------------------------------------------

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
        for name, d, y in re.findall(rf"\b{month}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", lower):
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


# ---------------------------------------------------------------------------------------------
# Values, parameters, schemas
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Leaf:
    """One scalar argument value, with where it sits and the schema that describes it."""

    call: int
    path: str
    value: Any
    schema: dict


def _leaves(value: Any, schema: dict, path: str, call: int) -> Iterator[Leaf]:
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(value, list):
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else None
        for i, item in enumerate(value):
            sub = prefix[i] if prefix and i < len(prefix) else schema.get("items", {})
            yield from _leaves(item, sub, f"{path}[{i}]", call)
    elif isinstance(value, dict):
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        extra = schema.get("additionalProperties") if isinstance(schema.get("additionalProperties"), dict) else {}
        for key, item in value.items():
            yield from _leaves(item, props.get(key, extra), f"{path}.{key}", call)
    else:
        yield Leaf(call=call, path=path, value=value, schema=schema)


def _schema_options(schema: dict) -> list[dict]:
    options = [schema]
    for key in ("anyOf", "oneOf"):
        options += [o for o in schema.get(key, []) if isinstance(o, dict)]
    return options


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except (TypeError, ValueError, OverflowError):
        pass
    return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()


def _declared(value: Any, schema: dict) -> bool:
    """The value is the parameter's declared default or one of its enum values."""
    for option in _schema_options(schema):
        if "default" in option and option["default"] not in ("", None) and _same(value, option["default"]):
            return True
        if isinstance(option.get("enum"), list) and any(_same(value, e) for e in option["enum"]):
            return True
    return False


def _call_leaves(call: FunctionCall, index: int, tools: dict[str, ToolSpec]) -> Iterator[Leaf]:
    tool = tools.get(call.name)
    props = tool.properties if tool else {}
    for name, value in (call.arguments or {}).items():
        yield from _leaves(value, props.get(name, {}), name, index)


def _show(value: Any) -> str:
    return quote(value)


def _close_to_any(value: float, numbers: list[float]) -> bool:
    """``math.isclose(value, n, rel_tol=1e-9, abs_tol=1e-12)`` for some ``n`` of a sorted list: only
    the neighbours of ``value``'s place in it can be that close."""
    i = bisect.bisect_left(numbers, value)
    return any(math.isclose(value, n, rel_tol=1e-9, abs_tol=1e-12) for n in numbers[max(i - 2, 0):i + 2])


def _where(leaf: Leaf, calls: Sequence[FunctionCall]) -> str:
    return f"call {leaf.call} ({calls[leaf.call].name}), parameter {leaf.path!r}"


# ---------------------------------------------------------------------------------------------
# The context every rule reads
# ---------------------------------------------------------------------------------------------

@dataclass
class Context:
    query: str
    tools: dict[str, ToolSpec]
    calls: Sequence[FunctionCall]

    @cached_property
    def index(self) -> QueryIndex:
        return QueryIndex(self.query or "")

    @cached_property
    def leaves(self) -> list[Leaf]:
        """The first ``MAX_LEAVES`` argument values, strings cut to ``MAX_VALUE_CHARS``."""
        every = (leaf for i, call in enumerate(self.calls) for leaf in _call_leaves(call, i, self.tools))
        return [Leaf(leaf.call, leaf.path, leaf.value[:MAX_VALUE_CHARS], leaf.schema)
                if isinstance(leaf.value, str) and len(leaf.value) > MAX_VALUE_CHARS else leaf
                for leaf in islice(every, MAX_LEAVES)]

    @cached_property
    def leaf_text(self) -> str:
        """Every string value as its lowercased tokens, padded with spaces, values apart: a run of
        tokens carried by some value is a substring."""
        return " | ".join(" " + " ".join(t.lower() for t in _TOKEN.findall(_fold(leaf.value))) + " "
                          for leaf in self.leaves if isinstance(leaf.value, str))

    @cached_property
    def leaf_numbers(self) -> list[float]:
        """Every finite numeric value, sorted."""
        found = []
        for leaf in self.leaves:
            if isinstance(leaf.value, (int, float)) and not isinstance(leaf.value, bool):
                try:
                    number = float(leaf.value)
                except OverflowError:
                    continue
                if math.isfinite(number):
                    found.append(number)
        return sorted(found)


# ---------------------------------------------------------------------------------------------
# placeholder_value
# ---------------------------------------------------------------------------------------------

def is_placeholder(value: Any) -> bool:
    """A stand-in value, judged on the value alone (the query exemption is the rule's job)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        if isinstance(value, float):
            if not (math.isfinite(value) and value.is_integer()):
                return False
            value = int(value)
        return any(p.fullmatch(str(value)) for p in _DUMMY_NUMBERS)
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text:
        return False
    return bool(_WRAPPED.fullmatch(text)) or any(p.fullmatch(text) for p in _PLACEHOLDERS)


def _placeholder_exempt(leaf: Leaf, ctx: Context) -> bool:
    if isinstance(leaf.value, str) and (ctx.index.says(_fold(leaf.value)) or (
            len(squashed := re.sub(r"[^0-9a-z]+", "", _fold(leaf.value).lower())) >= 4 and squashed in ctx.index.squashed)):
        return True
    if isinstance(leaf.value, (int, float)) and ctx.index.says(str(leaf.value)):
        return True
    return any(isinstance(o.get("enum"), list) and any(_same(leaf.value, e) for e in o["enum"])
               for o in _schema_options(leaf.schema))


def placeholder_values(ctx: Context) -> Iterator[Finding]:
    """Stand-in values (``<city>``, ``YOUR_API_KEY``, ``John Doe``, ``test@example.com``, ``12345``,
    ``foo``) are what a model writes when it has nothing real to put there: the call would run against
    a fake account, a fake id or a literal template. A value the query itself says is what the user
    asked about, and an enum value is documented vocabulary, so neither is ever a placeholder.
    Nested values (list items, object fields) are checked too."""
    for leaf in ctx.leaves:
        if is_placeholder(leaf.value) and not _placeholder_exempt(leaf, ctx):
            yield Finding(code="placeholder_value", call=leaf.call,
                          message=f"{_where(leaf, ctx.calls)}: {_show(leaf.value)} is a placeholder, "
                                  "not a value from the query")


# ---------------------------------------------------------------------------------------------
# ungrounded_value
# ---------------------------------------------------------------------------------------------

def _date_of(value: Any) -> tuple[int, int, int] | None:
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


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _squeeze(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[^a-z]", "", text.lower()))


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
    date = _date_of(text)
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
    tokens = _TOKEN.findall(text)
    if len(text.split()) > 3:  # free text: grounded when most of its content words are in the query
        content = [t for t in tokens if (len(t) >= 3 and t.lower() not in _STOPWORDS) or t.isdigit()]
        content = content[:MAX_VALUE_TOKENS]
        found = sum(_token_grounded(t, q) for t in content)
        return None if found * 2 >= len(content) else \
            f"free text whose content words are mostly absent from the query ({found}/{len(content)} found)"
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 1 and parts[0] and _short_string_problem(parts[0], q) is None and \
            any(_token_grounded(t, q) for t in _TOKEN.findall(parts[0])):
        return None  # "Paris, France" / "San Francisco, CA" for "Paris": a qualifier was added
    return _short_string_problem(text, q)


def _leaf_problem(leaf: Leaf, q: QueryIndex) -> str | None:
    value = leaf.value
    if value is None or isinstance(value, bool) or _declared(value, leaf.schema):
        return None
    if isinstance(value, (int, float)):
        date = _date_of(value) if isinstance(value, int) else None
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


def ungrounded_values(ctx: Context) -> Iterator[Finding]:
    """An argument the query cannot explain was made up by the model: the call answers a question
    nobody asked. Only clear cases are reported -- a number, a capitalized name, an id/code/date/
    email/URL absent from the query; free text whose content words are mostly absent -- because
    everything else (defaults, enum values, booleans, lowercase unit/format words, numbers written as
    words, with separators, as percentages or in another unit, dates in another format, codes the
    query spells out) is routinely grounded in ways a string match misses. A concrete date for a
    relative one ("the current date", "tomorrow", "next Friday") is reported: a row cannot pin it
    down. A value already reported as a placeholder is not reported again."""
    q = ctx.index
    for leaf in ctx.leaves:
        if is_placeholder(leaf.value) and not _placeholder_exempt(leaf, ctx):
            continue
        problem = _leaf_problem(leaf, q)
        if problem:
            yield Finding(code="ungrounded_value", call=leaf.call,
                          message=f"{_where(leaf, ctx.calls)}: {_show(leaf.value)} is not grounded in the query: {problem}")


# ---------------------------------------------------------------------------------------------
# incomplete_answer
# ---------------------------------------------------------------------------------------------

_NUM = r"-?\d+(?:\.\d+)?"
_QUOTED = r"(?:'[^'\n]{1,60}'|\"[^\"\n]{1,60}\")"
_CAP = r"[A-Z][\w.'&-]*(?:\s+[A-Z][\w.'&-]*){0,3}"
_MORE = f"{{0,{MAX_LIST_ITEMS}}}"  # bounded: a long list without "and" must not be rescanned from every item
_ENUMERATIONS = [
    (re.compile(rf"(?<![\w'\"]){_QUOTED}(?:\s*,\s*{_QUOTED}){_MORE}\s*,?\s+(?:and|&)\s+{_QUOTED}(?![\w'\"])"), _QUOTED),
    (re.compile(rf"(?<![\w.,/:#-]){_NUM}(?:\s*,\s*{_NUM}){_MORE}\s*,?\s+(?:and|&)\s+{_NUM}(?![\w.%/:-]|,\d)"), _NUM),
    (re.compile(rf"(?<![\w'\"]){_CAP}(?:\s*,\s*{_CAP}){_MORE}\s*,?\s+(?:and|&)\s+{_CAP}\b"), _CAP),
]
_NOT_A_REQUEST = re.compile(r"\b(between|from|e\.g|eg|i\.e|such as|including|like|either|among|or|"
                            r"options?|values?|supports?|supported)\W*$", re.I)


def _enumerations(q: QueryIndex, descriptions: str) -> Iterator[tuple[list[str], bool]]:
    """(items, are_names) for items a query lists in one breath ("for 'a', 'b' and 'c'", "for 5 and
    7", "Paris, London and Tokyo"), skipping ranges ("between 1 and 10"), examples ("such as X and
    Y"), alternatives ("either X or Y") and lists copied from a tool's own description."""
    for pattern, item in _ENUMERATIONS:
        for match in islice(pattern.finditer(q.text), MAX_MATCHES):
            before = q.text[max(match.start() - 30, 0): match.start()]
            if _NOT_A_REQUEST.search(before) or match.group().lower() in descriptions:
                continue
            items = [i.strip("'\" ").rstrip(".") for i in re.findall(item, match.group())]
            if item is _CAP:  # "Compare Paris and Rome": the verb is not an item
                items = [" ".join(_drop_leading_stopwords(i.split())) for i in items]
                items = [i for i in items if i]
            if len(items) >= 2 and len({i.lower() for i in items}) == len(items):
                yield items, item is _CAP


_LEADING_VERBS = frozenset("""compare fetch retrieve check list search calculate compute convert look lookup
translate book order send create generate weather""".split())


def _drop_leading_stopwords(words: list[str]) -> list[str]:
    while words and (words[0].lower() in _STOPWORDS or words[0].lower() in _LEADING_VERBS):
        words = words[1:]
    return words


def _carries(item_tokens: list[str], ctx: Context) -> bool:
    """Some value carries the tokens: a string as a run of its tokens, a number as the one token."""
    if len(item_tokens) == 1 and re.fullmatch(_NUM, item_tokens[0]) is not None:
        try:
            if _close_to_any(float(item_tokens[0]), ctx.leaf_numbers):
                return True
        except OverflowError:
            pass
    return " " + " ".join(item_tokens) + " " in ctx.leaf_text


def _covered(item: str, ctx: Context, name: bool) -> bool:
    """Some argument of some call carries the item (as a token run of a string, or as a number).
    For a capitalized name any tail of it counts, since a capitalized word before it may have been
    swallowed into it ("Weather Paris")."""
    tokens = [t.lower() for t in _TOKEN.findall(_fold(item))] if not re.fullmatch(_NUM, item) else [item]
    if not tokens:
        return True
    tails = [tokens[k:] for k in range(len(tokens))] if name else [tokens]
    return any(_carries(tail, ctx) for tail in tails)


_QUANTITY_NOUNS = frozenset("""second minute hour day night week weekend month year decade time decimal
digit place letter character word sentence paragraph page line adult child kid guest person people room
seat ticket serving portion cup spoon player team member item result row column bit byte dollar euro
percent point degree step unit""".split())


def _count_claims(ctx: Context) -> Iterator[tuple[int, str, list[str]]]:
    """(count, noun, related tools) for "three cities"-style phrases that count the values of a
    called tool's one-item string parameter (``city`` for "cities", ``symbol`` for "stock symbols").
    Counts of quantities ("two nights", "three decimals") and phrases copied from a tool's own
    description are not claims about the number of calls."""
    called = {c.name for c in ctx.calls if c.name in ctx.tools}
    described = [ctx.tools[name].description.lower() for name in called]
    phrases = re.finditer(r"\b(" + "|".join(_COUNT_WORDS) + r")\s+(?:[a-z-]+\s+)?([a-z]{3,}s)\b", ctx.index.lower)
    for match in islice(phrases, MAX_MATCHES):
        count, noun = _COUNT_WORDS[match.group(1)], match.group(2)
        stem = _stem(noun)
        if noun.endswith("ss") or stem in _QUANTITY_NOUNS or noun in _QUANTITY_NOUNS:
            continue
        if any(match.group() in description for description in described):
            continue
        related = []
        for name in sorted(called):
            for pname, pschema in ctx.tools[name].properties.items():
                kinds = {o.get("type") for o in _schema_options(pschema)} - {None, "null"}
                if kinds - {"string"}:
                    continue  # a number counts a quantity, a list holds many items
                words = re.findall(r"[a-z]+", pname.lower())
                description = str(pschema.get("description", "")).lower()
                if stem in words or re.search(rf"\bthe (\w+ )?{re.escape(stem)}\b", description):
                    related.append(name)
                    break
        if related:
            yield count, noun, related


def _takes_many(tool: ToolSpec) -> bool:
    return any(o.get("type") == "array" or "items" in o
               for p in tool.properties.values() for o in _schema_options(p))


def incomplete_answers(ctx: Context) -> Iterator[Finding]:
    """An answer that does part of the job is worse than none: the dataset teaches the model to drop
    requests. Two clear signals are checked. (1) The query lists items in one breath and the calls
    carry some of them but not all (when none is carried the list is about something else, so
    nothing is said). (2) The query counts the items of a called tool's parameter ("three cities"),
    the tool takes one item per call, the count is not itself an argument, and there are fewer calls."""
    descriptions = " ".join(t.description for t in ctx.tools.values()).lower()
    for items, names in _enumerations(ctx.index, descriptions):
        covered = [i for i in items if _covered(i, ctx, names)]
        missing = [i for i in items if i not in covered]
        if covered and missing:
            yield Finding(code="incomplete_answer", call=None, message=(
                f"the query lists {', '.join(repr(i) for i in items)} but no call uses "
                f"{', '.join(repr(i) for i in missing)}"))
    for count, noun, related in _count_claims(ctx):
        if _close_to_any(float(count), ctx.leaf_numbers) or any(_takes_many(ctx.tools[n]) for n in related):
            continue
        calls = [c for c in ctx.calls if c.name in related]
        if any(re.search(r"[,;|]| and ", str(v)) for c in calls for v in (c.arguments or {}).values()):
            continue  # several items joined into one argument
        made = len(calls)
        if made < count:
            yield Finding(code="incomplete_answer", call=None, message=(
                f"the query asks for {count} {noun} but there are only {made} call(s) to "
                f"{', '.join(sorted(set(related)))}"))


# ---------------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    code: str
    check: Callable[[Context], Iterable[Finding]]

    @property
    def why(self) -> str:
        return inspect.getdoc(self.check) or ""


RULES: tuple[Rule, ...] = (
    Rule("placeholder_value", placeholder_values),
    Rule("ungrounded_value", ungrounded_values),
    Rule("incomplete_answer", incomplete_answers),
)
CODES: tuple[str, ...] = tuple(rule.code for rule in RULES)


def check_grounding(query: str, tools: Sequence[ToolSpec], calls: Sequence[FunctionCall],
                    rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Every finding of every rule, in rule order; empty when the answer is grounded in the query."""
    ctx = Context(query=query or "", tools={t.name: t for t in tools}, calls=list(calls))
    return [finding for rule in rules for finding in rule.check(ctx)]
