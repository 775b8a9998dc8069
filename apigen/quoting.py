"""Quote untrusted values into messages with bounded size and bounded work.

Error messages name the value at fault, and that value comes from a row or a reply: a tool's
1-million-value enum or a 50 MB string quoted whole made 240 MB verdict lines. ``quote`` shows a
``repr``-like excerpt of at most ``limit`` characters, built by ``reprlib`` from the value's first few
items and characters only (never the whole value's ``repr``); ``clip`` cuts a text already built.
"""

from __future__ import annotations

import reprlib
from typing import Any

QUOTE_CHARS = 200  # what one quoted value may take in a message
ELLIPSIS = "..."


class _Repr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:  # repr() of a huge int is slow, or raises past 4300 digits
        if x.bit_length() > 3000:
            return f"<int of ~{int(x.bit_length() * 0.30103)} digits>"
        return super().repr_int(x, level)


def _repr(limit: int) -> reprlib.Repr:
    r = _Repr()
    r.maxlevel, r.maxdict, r.maxlist, r.maxtuple, r.maxset, r.maxfrozenset = 3, 8, 10, 10, 10, 10
    r.maxstring = r.maxlong = r.maxother = max(limit, 10)
    return r


_REPRS: dict[int, reprlib.Repr] = {}


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)`` for messages, at most ``limit`` characters: ``'abc'``, ``['v0', 'v1', ...]``."""
    r = _REPRS.get(limit) or _REPRS.setdefault(limit, _repr(limit))
    try:
        text = r.repr(value)
    except Exception:  # a hostile __repr__ cannot reach here (values are decoded JSON), but stay total
        text = f"<{type(value).__name__}>"
    return clip(text, limit)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked."""
    return text if len(text) <= limit else text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS
