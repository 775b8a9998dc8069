"""Rule ``placeholder_value``: a stand-in where a real value belongs (``<city>``, ``PLAYER_ID``, ``12345``)."""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

from apigen.models import Finding
from apigen.verify.rules.context import Context, Leaf, _same, _schema_options, _show, _where
from apigen.verify.rules.query import _fold
from apigen.verify.rules.registry import Rule
from apigen.verify.rules.vocabulary import _DUMMY_NUMBERS, _PLACEHOLDERS, _WRAPPED

# Template-like values people recognize at a glance: a SCREAMING_CASE constant (PLAYER_ID, TEAM_NAME),
# example_/sample_/specific_ names, *_value, *_here, a run of x's.
_TEMPLATE_NAMES = [re.compile(p) for p in (
    r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+",
)] + [re.compile(p, re.I) for p in (
    r"(example|sample|specific|some|my|dummy|fake|test)[_-][\w-]+",
    r"[a-z][\w-]*[_-](value|here|placeholder|goes[_-]here)",
    r"x{3,}[\w-]*|[\w-]*x{4,}",
    r"(yyyy|yy)[-/.]mm[-/.]dd|dd[-/.]mm[-/.](yyyy|yy)|mm[-/.]dd[-/.](yyyy|yy)|hh:mm(:ss)?",  # format templates
)]


def _template(text: str) -> bool:
    return bool(_WRAPPED.fullmatch(text)) or any(p.fullmatch(text) for p in _TEMPLATE_NAMES)


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
    return bool(_WRAPPED.fullmatch(text)) or any(p.fullmatch(text) for p in _PLACEHOLDERS) or \
        any(p.fullmatch(text) for p in _TEMPLATE_NAMES)


def placeholder_exempt(leaf: Leaf, ctx: Context) -> bool:
    """The query says the value (the user asked about that very string), or it is an enum value."""
    if isinstance(leaf.value, str) and _template(text := leaf.value.strip()):  # "<dna_sequence>", "PLAYER_ID": as written
        if text.lower() in ctx.index.lower:
            return True
        parts = text.split("_")  # "EUR_USD" for "EUR/USD": the same capitals, punctuated
        return text.isupper() and len(parts) > 1 and \
            re.search(r"[\W_]{0,3}".join(map(re.escape, parts)), ctx.index.text) is not None
    if isinstance(leaf.value, str) and (ctx.index.says(_fold(leaf.value)) or (
            len(squashed := re.sub(r"[^0-9a-z]+", "", _fold(leaf.value).lower())) >= 4 and squashed in ctx.index.squashed)):
        return True
    if isinstance(leaf.value, (int, float)) and ctx.index.says(str(leaf.value)):
        return True
    return any(isinstance(o.get("enum"), list) and any(_same(leaf.value, e) for e in o["enum"])
               for o in _schema_options(leaf.schema))


def placeholder_values(ctx: Context) -> Iterator[Finding]:
    """Stand-in values (``<city>``, ``YOUR_API_KEY``, ``PLAYER_ID``, ``example_user``, ``John Doe``,
    ``test@example.com``, ``12345``, ``foo``) are what a model writes when it has nothing real to put
    there: the call would run against a fake account, a fake id or a literal template. A value the
    query itself says is what the user asked about, and an enum value is documented vocabulary, so
    neither is ever a placeholder. Nested values (list items, object fields) are checked too."""
    for leaf in ctx.leaves:
        if is_placeholder(leaf.value) and not placeholder_exempt(leaf, ctx):
            yield Finding(code="placeholder_value", call=leaf.call,
                          message=f"{_where(leaf, ctx.calls)}: {_show(leaf.value)} is a placeholder, "
                                  "not a value from the query")


RULE = Rule("placeholder_value", placeholder_values, order=10)
