"""What every rule reads: the argument values (``Leaf``), their schemas, and the query index (``Context``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any, Iterator, Sequence

from api_registry.spec import ToolSpec
from apigen.models import FunctionCall
from apigen.quoting import quote
from apigen.verify.rules.context_math import _close_to_any  # noqa: F401 (re-exported)
from apigen.verify.rules.query import QueryIndex, _fold
from apigen.verify.rules.vocabulary import MAX_LEAVES, MAX_VALUE_CHARS, _TOKEN


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


_DESCRIBED_DEFAULT = re.compile(r"\bdefaults?(?:\s+value)?(?:\s+(?:is|to|of|=))?\s*[:=]?\s*(?:the\s+)?"
                                r"(?:'([^'\n]{1,60})'|\"([^\"\n]{1,60})\"|([^\s,;()]{1,60}(?:\s[a-z]+)?))", re.I)


def _described_default(value: Any, description: Any) -> bool:
    """The parameter's description names the value as its default ("Default is 'global'", "Defaults to
    square meters", "default 12"): documentation as good as a ``default`` key."""
    if not isinstance(description, str) or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    for match in _DESCRIBED_DEFAULT.finditer(description[:2_000]):
        stated = next(g for g in match.groups() if g is not None).strip().rstrip(".")
        if stated and (_same(value, stated) or _same(value, stated.split()[0].rstrip("."))):
            return True
    return False


def _declared(value: Any, schema: dict) -> bool:
    """The value is the parameter's declared default (as a key or in its description) or one of its
    enum values."""
    for option in _schema_options(schema):
        if "default" in option and option["default"] not in ("", None) and _same(value, option["default"]):
            return True
        if isinstance(option.get("enum"), list) and any(_same(value, e) for e in option["enum"]):
            return True
        if _described_default(value, option.get("description")):
            return True
    return False


def _call_leaves(call: FunctionCall, index: int, tools: dict[str, ToolSpec]) -> Iterator[Leaf]:
    tool = tools.get(call.name)
    props = tool.properties if tool else {}
    for name, value in (call.arguments or {}).items():
        yield from _leaves(value, props.get(name, {}), name, index)


def _show(value: Any) -> str:
    return quote(value)



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

