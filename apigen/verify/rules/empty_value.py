"""Rule ``empty_value``: an empty argument where the query gives the value."""

from __future__ import annotations

import re
from typing import Iterator

from apigen.models import Finding
from apigen.verify.rules.context import Context
from apigen.verify.rules.registry import Rule


def empty_values(ctx: Context) -> Iterator[Finding]:
    """An empty string passed for a parameter the call needs is a blank left in a
    template: the call runs on nothing. It fails when the parameter is required, or when the query
    names the parameter (``"titles with the keyword 'space'"`` and ``keyword=""``), since the query
    then gives the value. An empty optional parameter the query says nothing about is harmless."""
    for index, call in enumerate(ctx.calls):
        tool = ctx.tools.get(call.name)
        if tool is None or not isinstance(call.arguments, dict):
            continue
        required = set(tool.required)
        for name, value in call.arguments.items():
            if not isinstance(value, str) or value.strip() or re.search(r"\"\"|''|\bempty\b|\bblank\b", ctx.index.lower):
                continue  # an empty list or object is a value ("first = []"); so is an empty string the query asks for
            words = [w for w in re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()) if len(w) >= 3]
            named = bool(words) and all(ctx.index.has_word(w) for w in words)
            if name in required or named:
                why = "a required parameter" if name in required else "the query names this parameter"
                yield Finding(code="empty_value", call=index, message=(
                    f"call {index} ({call.name}), parameter {name!r}: empty, but {why}"))


RULE = Rule("empty_value", empty_values, order=20)
