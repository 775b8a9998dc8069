"""Values a parameter's JSON schema proposes itself, for tools that come with no worked examples.

An MCP server or a documented API often says what it accepts: ``examples``, a default, an enum, quoted
values after "e.g." in a description, a ``format`` or a placeholder such as ``HH:MM``. Such a value is
far likelier to be accepted by the real server than a made-up word. Schemas come from servers, so they
are untrusted input: a description is read only to ``MAX_DESCRIPTION`` characters, this module's own
regexes run in linear time, a schema's ``pattern`` runs under a timeout, and every list is bounded.
"""

from __future__ import annotations

import json
import operator
import re
from itertools import islice
from typing import Any, Iterator

import regex  # a schema's ``pattern`` is untrusted: only ``regex`` can stop a match that backtracks forever

from api_registry.validation import validate_value

MAX_DESCRIPTION = 2_000    # characters of a description read
MAX_VALUES = 8             # values returned per parameter
MAX_RAW = 32               # values looked at per source, valid or not
MAX_VALUE_CHARS = 1_000    # a longer value is no use as an example
PATTERN_TIMEOUT = 0.02     # seconds for one match of a schema's ``pattern``

FORMAT_VALUES = {
    "date": ("2024-03-15", "2025-11-02"),
    "date-time": ("2024-03-15T09:30:00Z", "2025-11-02T14:45:00Z"),
    "time": ("09:30:00", "14:45:00"),
    "email": ("alice@example.com", "bob@example.org"),
    "uri": ("https://example.com", "https://www.python.org/"),
    "url": ("https://example.com", "https://www.python.org/"),
    "uuid": ("123e4567-e89b-12d3-a456-426614174000",),
    "ipv4": ("192.168.1.10", "8.8.8.8"),
}
PLACEHOLDER_VALUES = (
    (re.compile(r"\bHH:MM:SS\b", re.I), ("09:30:00", "14:45:00")),
    (re.compile(r"\bHH:MM\b(?!:SS)", re.I), ("09:30", "14:45")),
    (re.compile(r"\bYYYY-MM-DD\b", re.I), ("2024-03-15", "2025-11-02")),
    (re.compile(r"\bMM/DD/YYYY\b", re.I), ("03/15/2024", "11/02/2025")),
)
# One pass over a description: quoted tokens (an apostrophe inside a word opens none), example markers,
# parentheses, sentence ends and bare numbers. Every alternative is bounded, so no input backtracks.
_TOKENS = re.compile(r"""
    (?<!\w)(?:'(?P<sq>[^'\n]{1,100})'|"(?P<dq>[^"\n]{1,100})"|`(?P<bq>[^`\n]{1,100})`)(?!\w)
  | (?P<marker>\b(?:e\.\s?g\.?|for\s(?:example|instance)|such\sas|like)(?!\w))
  | (?P<open>\() | (?P<close>\))
  | (?P<end>[.;!?](?=\s|$)|\n[ \t]*\n)
  | (?P<number>(?<![\w.])-?\d+(?:\.\d+)?(?!\w|\.\d))
""", re.X | re.I)
_USE_AS = re.compile(r"""\buse\s(?:'([^'\n]{1,100})'|"([^"\n]{1,100})")\sas\b""", re.I)
_BOUNDS = (("minimum", operator.ge), ("maximum", operator.le),
           ("exclusiveMinimum", operator.gt), ("exclusiveMaximum", operator.lt))


def candidate_values(schema: dict) -> list:
    """What ``schema`` proposes, best first: its examples, default, const and enum, then the quoted
    examples of its description, then values for its format or a placeholder; each one valid, at most
    ``MAX_VALUES``."""
    if not isinstance(schema, dict):
        return []
    sources = (_declared(schema), _described(schema), _format_hints(schema))
    seen: set[str] = set()
    slow_patterns: set[str] = set()
    values: list = []
    for value in (v for source in sources for v in islice(source, MAX_RAW)):
        key = json.dumps(value, sort_keys=True, default=str)
        if key in seen or len(key) > MAX_VALUE_CHARS or value in (None, ""):
            continue
        seen.add(key)
        if not validate_value(value, schema) and _meets(value, schema, slow_patterns):
            values.append(value)
            if len(values) == MAX_VALUES:
                break
    return values


def _branches(schema: dict) -> list[dict]:
    """The schema, then its anyOf/oneOf options (where pydantic puts the type of an Optional)."""
    options = schema.get("anyOf") or schema.get("oneOf")
    return [schema, *(o for o in options if isinstance(o, dict))] if isinstance(options, list) else [schema]


def _declared(schema: dict) -> Iterator[Any]:
    for key in ("examples", "example", "default", "const", "enum"):
        for branch in _branches(schema):
            if key in ("examples", "enum"):
                yield from branch.get(key) if isinstance(branch.get(key), list) else ()
            elif key in branch:
                yield branch[key]


def _description(schema: dict) -> str:
    description = schema.get("description")
    return description[:MAX_DESCRIPTION] if isinstance(description, str) else ""


def _described(schema: dict) -> Iterator[Any]:
    """Tokens the description gives as examples, as each type the schema declares."""
    text = _description(schema)
    kinds = _kinds(schema)
    uses = ((m.group(1) or m.group(2), True) for m in _USE_AS.finditer(text))
    for token, quoted in (*_example_tokens(text), *uses):
        yield from _coerce(token, quoted, kinds)


def _example_tokens(text: str) -> Iterator[tuple[str, bool]]:
    """(token, quoted) for tokens in the sentence or parenthesis an example marker opens, after it."""
    depth, active = 0, None  # active: the parenthesis depth the marker was read at
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "marker":
            active = depth
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
            active = None if active is not None and depth < active else active
        elif kind == "end":
            active = None
        elif active is not None:
            yield match.group(kind), kind != "number"


def _kinds(schema: dict) -> list[str]:
    kinds: list[str] = []
    for branch in _branches(schema):
        kind = branch.get("type")
        kinds += kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    return [k for k in dict.fromkeys(kinds) if k != "null"]


def _coerce(token: str, quoted: bool, kinds: list[str]) -> Iterator[Any]:
    """``token`` as each declared scalar type it can be read as; a bare number never becomes a string."""
    for kind in kinds or ["string"]:
        if kind == "string" and quoted:
            yield token
        elif kind == "integer" and re.fullmatch(r"-?\d+", token):
            yield int(token)
        elif kind == "number" and re.fullmatch(r"-?\d+(?:\.\d+)?", token):
            yield float(token) if "." in token else int(token)
        elif kind == "boolean" and token.lower() in ("true", "false"):
            yield token.lower() == "true"


def _format_hints(schema: dict) -> Iterator[str]:
    for branch in _branches(schema):
        yield from FORMAT_VALUES.get(branch.get("format"), ()) if isinstance(branch.get("format"), str) else ()
    text = _description(schema)
    for placeholder, values in PLACEHOLDER_VALUES:
        yield from values if placeholder.search(text) else ()


def _meets(value: Any, schema: dict, slow_patterns: set[str]) -> bool:
    """The keywords ``validate_value`` leaves out (const, bounds, lengths, pattern), through anyOf/oneOf."""
    options = _branches(schema)[1:]
    if options and not any(not validate_value(value, o) and _meets(value, o, slow_patterns) for o in options):
        return False
    if "const" in schema and value != schema["const"]:
        return False
    return _in_bounds(value, schema) and _matches(value, schema.get("pattern"), slow_patterns)


def _in_bounds(value: Any, schema: dict) -> bool:
    def limit(key: str) -> float | None:
        found = schema.get(key)
        return found if isinstance(found, (int, float)) and not isinstance(found, bool) else None

    if isinstance(value, str):
        shortest, longest = limit("minLength"), limit("maxLength")
        return (shortest is None or len(value) >= shortest) and (longest is None or len(value) <= longest)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return all(limit(key) is None or holds(value, limit(key)) for key, holds in _BOUNDS)
    return True


def _matches(value: Any, pattern: Any, slow_patterns: set[str]) -> bool:
    """Whether a string matches the schema's pattern. A pattern too long or that will not compile is no
    test (the server may read it otherwise); one that times out fails this value and every later one,
    so that a hostile pattern costs one timeout."""
    if not isinstance(value, str) or not isinstance(pattern, str) or len(pattern) > MAX_VALUE_CHARS:
        return True
    if pattern in slow_patterns:
        return False
    try:
        return regex.search(pattern, value, timeout=PATTERN_TIMEOUT) is not None
    except regex.error:
        return True
    except TimeoutError:
        slow_patterns.add(pattern)
        return False
