"""Decode untrusted JSON (dataset rows, LLM replies, JSON strings inside them) so that every failure is one error.

``json.loads`` alone lets hostile text kill a run or poison its output: deep nesting raises
``RecursionError`` (or, decoded just under the limit, crashes every later recursive walk), a
5,000-digit integer raises a plain ``ValueError``, an invalid UTF-8 byte a ``UnicodeDecodeError``,
and ``NaN``, ``Infinity``, duplicate keys and lone surrogates are accepted, then written out as
something strict parsers cannot read. ``loads_strict`` refuses all of these with one
``UntrustedJSONError`` whose ``reason`` says which, so a caller turns it into that row's or that
pair's rejection (code ``json_invalid``) and goes on.

The nesting depth is measured before decoding, by a linear scan with strings removed, so the
decoder never recurses deeply; a value that decoded is at most ``MAX_DEPTH`` deep, so every later
walk over it (validation, grounding, serialization, pickling) is safe too.
"""

from __future__ import annotations

import json
import math
import re
from contextlib import contextmanager
from itertools import accumulate
from typing import Any, Iterator

CODE = "json_invalid"  # the finding code of every decoding failure
MAX_DEPTH = 100          # nested arrays/objects; real rows nest < 10, Python walks recurse ~2 frames a level
MAX_INT_DIGITS = 1000    # well below Python's 4300-digit str<->int limit, so str(value) never fails later

# A JSON string, or an unterminated one to the end: it always matches at a quote, so no quote is ever
# rescanned (a required closing quote made `"\"\"\"...` quadratic). Linear, no backtracking.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}.__getitem__


class UntrustedJSONError(ValueError):
    """Untrusted text that is not strict, bounded JSON. ``kind``: ``invalid_utf8``, ``syntax``,
    ``too_deep``, ``non_finite``, ``duplicate_key``, ``int_too_long``, ``lone_surrogate``, ``too_large``."""

    code = CODE

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def decode_utf8(data: bytes | bytearray) -> str:
    """Bytes as text, refusing invalid UTF-8 (with the offset of the first bad byte)."""
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UntrustedJSONError("invalid_utf8", f"invalid UTF-8: byte 0x{data[exc.start]:02x} at offset "
                                                 f"{exc.start} ({exc.reason})") from None


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """How deep arrays/objects nest in ``text`` (brackets inside strings not counted), exact once it is
    over ``limit`` (below, an upper bound). Linear time, no recursion. Exact for valid JSON; for invalid
    JSON it is exact up to the first error, as far as the decoder could ever get."""
    brackets = text.count("[") + text.count("{")
    if brackets <= limit:  # the common case: too few brackets, even counting those in strings
        return brackets
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    openers = brackets.count("[") + brackets.count("{")
    if openers <= limit:  # too few openers outside strings to be too deep
        return openers
    return max(accumulate(map(_STEP, brackets)), default=0)


def _reject_constant(name: str) -> Any:
    raise UntrustedJSONError("non_finite", f"{name} is not a JSON number")


def _parse_int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise UntrustedJSONError("int_too_long", f"an integer of {digits} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UntrustedJSONError("non_finite", f"the number {text[:40]}{'...' if len(text) > 40 else ''} "
                                               "is out of range")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        shown = duplicate if len(duplicate) <= 60 else duplicate[:57] + "..."
        raise UntrustedJSONError("duplicate_key", f"duplicate key {shown!r} in an object")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float,
                            object_pairs_hook=_object)


def loads_strict(data: str | bytes | bytearray, max_depth: int = MAX_DEPTH, allow_surrogates: bool = False) -> Any:
    """The one JSON value of ``data``, or ``UntrustedJSONError``; never any other exception.

    ``allow_surrogates``: keep lone surrogates instead of refusing the text (the caller replaces them
    before storing anything, see ``scrub_surrogates``)."""
    text = decode_utf8(data) if isinstance(data, (bytes, bytearray)) else data
    if not isinstance(text, str):
        raise UntrustedJSONError("syntax", f"expected JSON text, got {type(text).__name__}")
    _check_text(text, max_depth, allow_surrogates)
    try:  # not ``with _decoding()``: a context manager costs a quarter of decoding a dataset row's field
        value = _DECODER.decode(text)
    except Exception as exc:
        raise _decoding_error(exc) from None
    if not allow_surrogates:
        _check_surrogates(text, value)
    return value


def raw_decode_strict(text: str, start: int = 0, allow_surrogates: bool = False) -> tuple[Any, int]:
    """The JSON value starting at ``text[start]`` and where it ends (``JSONDecoder.raw_decode``; prose
    may follow), with ``loads_strict``'s checks. Its end is unknown before decoding, so the depth is
    checked after: the decoder stops at Python's recursion limit by itself (``RecursionError``, caught)."""
    with _decoding():
        value, end = _DECODER.raw_decode(text, start)
    _check_text(text[start:end], MAX_DEPTH, allow_surrogates)
    if not allow_surrogates:
        _check_surrogates(text[start:end], value)
    return value, end


@contextmanager
def _decoding() -> Iterator[None]:
    """Every exception the decoder can raise, as an ``UntrustedJSONError``."""
    try:
        yield
    except Exception as exc:
        raise _decoding_error(exc) from None


def _decoding_error(exc: Exception) -> Exception:
    """The ``UntrustedJSONError`` for what the decoder raised (anything else is not the input's fault)."""
    if isinstance(exc, UntrustedJSONError):
        return exc
    if isinstance(exc, json.JSONDecodeError):
        return UntrustedJSONError("syntax", f"{exc.msg} at character {exc.pos}")
    if isinstance(exc, RecursionError):  # after loads_strict's depth scan never reached; raw_decode relies on it
        return UntrustedJSONError("too_deep", "nested too deeply")
    if isinstance(exc, MemoryError):
        return UntrustedJSONError("too_large", "too large to decode")
    if isinstance(exc, ValueError):
        return UntrustedJSONError("syntax", str(exc)[:200])
    return exc


def strict_copy(value: Any, allow_surrogates: bool = False) -> Any:
    """An already-decoded value (a Parquet row, a provider's parsed tool call) put through the same
    checks: re-encoded and decoded strictly, so NaN, deep nesting or non-JSON types are refused alike."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except ValueError as exc:
        raise UntrustedJSONError("non_finite", f"{str(exc)[:200]}") from None
    except TypeError as exc:
        raise UntrustedJSONError("syntax", f"not a JSON value: {str(exc)[:200]}") from None
    except RecursionError:
        raise UntrustedJSONError("too_deep", "nested too deeply") from None
    return loads_strict(text, allow_surrogates=allow_surrogates)


def replace_surrogates(text: str) -> str:
    """``text`` with lone surrogates (no character; not encodable as UTF-8) replaced by U+FFFD; the same
    object when there is none, so callers may test ``is``."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def scrub_surrogates(value: Any) -> Any:
    """A decoded value with every lone surrogate in its strings (keys too) replaced by U+FFFD: what
    can be stored (UTF-8 files, Parquet, cache keys). The value itself when it holds none."""
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, list):
        items = [scrub_surrogates(v) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, dict):
        items = {scrub_surrogates(k): scrub_surrogates(v) for k, v in value.items()}
        same = all(a is b for a, b in zip(items, value)) and all(items[k] is v for k, v in value.items() if k in items)
        return value if same and len(items) == len(value) else items
    return value


def _check_text(text: str, max_depth: int, allow_surrogates: bool = False) -> None:
    if not allow_surrogates and not text.isascii() and _SURROGATE.search(text):
        raise UntrustedJSONError("lone_surrogate", "the text holds a lone surrogate (not valid Unicode)")
    depth = nesting_depth(text, max_depth)
    if depth > max_depth:
        raise UntrustedJSONError("too_deep", f"nested {depth} levels deep (at most {max_depth})")


def _check_surrogates(text: str, value: Any) -> None:
    """``"\\ud800"`` is valid JSON syntax but no character: refuse strings that hold a lone surrogate."""
    if "\\u" not in text or not _SURROGATE_ESCAPE.search(text):
        return
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise UntrustedJSONError("lone_surrogate", "a string holds a lone surrogate escape (not valid Unicode)")
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
