"""The style rule of the format stage: a row's calls have the shape its APIGen style promises.

* ``simple``: exactly one call;
* ``multiple``: exactly one call, chosen among two or more offered tools;
* ``parallel``: two or more calls, all of one function;
* ``parallel_multiple``: two or more calls of at least two different functions;
* ``no_call``: no call at all (no offered tool serves the query).

A row that breaks its style would teach the wrong lesson under its label (a "parallel" row with
one call, a "multiple" row with nothing to choose from), so the mismatch is an error, ``style_mismatch``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from api_registry.spec import ToolSpec
from apigen.models import Finding, FunctionCall, Style

CODE = "style_mismatch"
NEEDS = {
    Style.SIMPLE: "exactly one call",
    Style.MULTIPLE: "exactly one call, chosen among two or more offered tools",
    Style.PARALLEL: "two or more calls, all of one function",
    Style.PARALLEL_MULTIPLE: "two or more calls of at least two different functions",
    Style.NO_CALL: "no call at all (answers [])",
}


def _name(call: Mapping[str, Any] | FunctionCall) -> str:
    return call.name if isinstance(call, FunctionCall) else str(call.get("name"))


def _fits(style: Style, offered: int, names: list[str]) -> bool:
    distinct = len(set(names))
    if style is Style.NO_CALL:
        return not names
    if style is Style.SIMPLE:
        return len(names) == 1
    if style is Style.MULTIPLE:
        return len(names) == 1 and offered >= 2
    if style is Style.PARALLEL:
        return len(names) >= 2 and distinct == 1
    return len(names) >= 2 and distinct >= 2


def _holds(offered: int, names: list[str]) -> str:
    functions = sorted(set(names))
    calls = f"{len(names)} call{'s' if len(names) != 1 else ''}"
    if names:
        calls += f" of {len(functions)} function{'s' if len(functions) != 1 else ''} ({', '.join(functions)})"
    return f"{calls}, with {offered} tool{'s' if offered != 1 else ''} offered"


def check_style(style: Style | str, tools: Sequence[ToolSpec],
                calls: Sequence[Mapping[str, Any] | FunctionCall]) -> Finding | None:
    """``style_mismatch`` when the calls do not have the style's shape, else None.

    ``calls`` are well-formed calls (decoded answers or ``FunctionCall``); only their names count.
    """
    style = Style(style)
    offered = len({t.name for t in tools})
    names = [_name(c) for c in calls]
    if _fits(style, offered, names):
        return None
    return Finding(code=CODE, message=f"a {style.value!r} row needs {NEEDS[style]}; "
                                      f"this row holds {_holds(offered, names)}")
