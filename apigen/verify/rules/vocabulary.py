"""Word lists, limits and patterns the grounding rules share (the vocabulary of values and queries).

The query and the values are untrusted, so the work is linear in their size and bounded per row:
the query is indexed once (its numbers, words, token n-grams, capitalized runs), every membership
test against it is a set lookup, a bisection or one C-level substring search, no pattern can
backtrack over a long run of digits or list items, and at most ``MAX_QUERY_CHARS`` of the query,
``MAX_LEAVES`` argument values and ``MAX_VALUE_CHARS`` of each are considered (far above any real
row: an 84 KB query took 63 CPU-seconds before; no row takes more than a fraction of a second now).
"""

from __future__ import annotations

import re

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
