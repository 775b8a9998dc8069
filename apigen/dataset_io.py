"""Read an existing dataset in xlam layout (``.jsonl``, ``.json`` list, ``.parquet``) as samples; a BFCL
question file is read in that layout too (``apigen.bfcl_layout``).

Rows have ``id``, ``query``, ``tools`` and ``answers``; ``tools``/``answers`` may be JSON strings or
objects, tool parameters in either dialect. A file that cannot be read at all is an InputError
naming the file; a row that is broken is kept and rejected at the format stage with a code that
names the field (``missing_field``, ``tools_invalid``), so one bad row never hides the others.

Every row is untrusted: it is decoded on its own (a ``.jsonl`` line from its bytes, an element of a
``.json`` list, a Parquet row re-checked) by ``apigen.safe_json``, so invalid UTF-8, NaN, duplicate
keys, 100,000-deep nesting or a 5,000-digit integer reject that row (``json_invalid``, with the
reason) and the others go on. Each sample knows where its row is (``{"line": n}`` in a ``.jsonl``
file, ``{"index": i}`` otherwise); its ``row_id`` is the row's own id, or None when the row has none
that can be written back (so a malformed line never borrows, or collides with, a real row's id).
"""

from __future__ import annotations

import codecs
import datetime
import decimal
import functools
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

from api_registry.spec import SpecError, ToolSpec
from apigen import bfcl_layout
from apigen.chat_text import user_text
from apigen.models import Finding, Sample, StageResult
from apigen.quoting import QUOTE_CHARS, clip
from apigen.safe_json import CODE as JSON_INVALID
from apigen.safe_json import MAX_DEPTH, UntrustedJSONError, decode_utf8, loads_strict, strict_copy

ID_CHARS = 200  # a longer id (or one that is not a string or number) is not written back


class InputError(ValueError):
    """The input file itself is unusable (missing, unreadable, wrong format)."""


class _Unreadable:
    """A row that did not decode; ``message`` names it and says why."""

    def __init__(self, message: str):
        self.message = message

    def __repr__(self) -> str:  # stable: chunk cache keys hold it
        return f"_Unreadable({self.message!r})"


def read_rows(path: str | Path) -> Iterator[tuple[dict[str, int], Any]]:
    """(where, row) pairs from a JSON Lines, JSON list or Parquet file; ``where`` is ``{"line": n}``
    (JSON Lines, from 1) or ``{"index": i}`` (from 0); a row that does not decode is ``_Unreadable``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet_rows(path)
        return
    if suffix not in (".jsonl", ".json", ".ndjson"):
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .jsonl, .json or .parquet")
    try:
        if suffix == ".json" and _starts_with_bracket(path):
            yield from _json_list_rows(path.read_bytes())
            return
        yield from _question_rows_as_xlam(path, _jsonl_rows(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _question_rows_as_xlam(path: Path, rows: Iterator[tuple[dict[str, int], Any]]) -> Iterator[tuple[dict[str, int], Any]]:
    """``rows``, or, for a BFCL question file (told by its first row), the rows in xlam's layout."""
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    yield from bfcl_layout.bfcl_rows(path, rows) if bfcl_layout.is_bfcl_file(path, first[1]) else rows


def _is_question_file(path: Path) -> bool:
    for where, line in _jsonl_lines(path):
        return bfcl_layout.is_bfcl_file(path, decode_row(where, line))
    return False


def _starts_with_bracket(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"[")


def _jsonl_rows(path: Path) -> Iterator[tuple[dict[str, int], Any]]:
    """One row per line, each decoded from its own bytes (one bad byte spoils one line)."""
    for where, line in _jsonl_lines(path):
        yield where, decode_row(where, line)


def _jsonl_lines(path: Path) -> Iterator[tuple[dict[str, int], bytes]]:
    """The non-blank lines of a JSON Lines file, undecoded, each with its line number."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            if not line.strip():
                continue
            yield {"line": number}, line


def decode_row(where: dict[str, int], row: Any) -> Any:
    """A row as ``read_rows`` gives it: undecoded bytes (a JSON Lines line) decoded strictly, or
    ``_Unreadable`` naming the line; a row that is already decoded as it is."""
    if not isinstance(row, bytes):
        return row
    try:
        return loads_strict(row)
    except UntrustedJSONError as exc:
        return _Unreadable(f"line {where['line']} is not valid JSON: {exc.reason}")


def _json_list_rows(data: bytes) -> Iterator[tuple[dict[str, int], Any]]:
    """The elements of a JSON list: decoded whole when the file is sound, else element by element, so
    one bad element is one rejected row."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        rows = loads_strict(data, max_depth=MAX_DEPTH + 1)  # each row may nest MAX_DEPTH on its own
    except UntrustedJSONError:
        rows = None
    if isinstance(rows, list):
        for index, row in enumerate(rows):
            yield {"index": index}, row
        return
    for index, element in enumerate(_split_list(data)):
        try:
            yield {"index": index}, loads_strict(element)
        except UntrustedJSONError as exc:
            yield {"index": index}, _Unreadable(f"element {index} is not valid JSON: {exc.reason}")


_LIST_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{},]', re.S)  # see safe_json._STRING


def _split_list(data: bytes) -> Iterator[bytes]:
    """The elements of the top-level list in ``data`` as bytes, found by one scan of strings, brackets
    and commas (no decoding, no recursion): invalid elements are cut where a parser would cut them."""
    start = data.index(b"[") + 1
    depth = 0
    for match in _LIST_TOKEN.finditer(data, start):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
        elif token in (b"]", b"}"):
            if depth == 0:
                element = data[start:match.start()].strip()
                if element:
                    yield element
                return
            depth -= 1
        elif token == b"," and depth == 0:
            yield data[start:match.start()].strip()
            start = match.end()
    if data[start:].strip():
        yield data[start:].strip()  # the list never closed: the rest is one (invalid) element


def _parquet_rows(path: Path) -> Iterator[tuple[dict[str, int], Any]]:
    import pyarrow.parquet as pq

    try:
        chunks = pq.ParquetFile(path).iter_batches(batch_size=1024)  # a chunk at a time: memory stays flat
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    rows = (row for chunk in chunks for row in chunk.to_pylist())
    for index, row in enumerate(rows):
        try:
            yield {"index": index}, strict_copy(_plain(row))
        except UntrustedJSONError as exc:
            yield {"index": index}, _Unreadable(f"row {index} is not valid JSON: {exc.reason}")


def _plain(value: Any) -> Any:
    """Parquet's Python values as JSON ones: dates as ISO text, decimals as numbers, binary as UTF-8
    text; NaN stays NaN (``strict_copy`` refuses it)."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray)):
        return decode_utf8(value)
    return value


def _text_of(value: Any) -> Any:
    """A string field that holds JSON (xlam stores ``tools`` and ``answers`` as strings) decoded
    strictly; an object stays as it is; a string that is not JSON raises ``UntrustedJSONError``."""
    return loads_strict(value) if isinstance(value, str) else value


def _row_id(value: Any) -> Any:
    """The id written back into verdicts: a number, a bool or a string of at most ``ID_CHARS``."""
    if isinstance(value, (int, float)) and (not isinstance(value, int) or value.bit_length() <= 64):
        return value
    if isinstance(value, str) and len(value) <= ID_CHARS:
        return value
    return None


def row_to_sample(where: dict[str, int] | int, row: Any, source: str) -> Sample:
    """A sample for one row; problems with the row become a failed format verdict naming the field."""
    if isinstance(where, int):
        where = {"index": where}
    (kind, position), = where.items()
    name = f"{source} {'line' if kind == 'line' else 'row'} {position}"
    if isinstance(row, _Unreadable):
        return _broken(where, None, JSON_INVALID, f"{source}: {row.message}")
    if not isinstance(row, dict):
        return _broken(where, None, "row_not_object", f"{name}: a row must be an object")
    row_id = _row_id(row.get("id"))
    missing = [f for f in ("query", "tools", "answers") if f not in row]
    if missing:
        return _broken(where, row_id, "missing_field", f"{name}: missing field(s) {', '.join(missing)}")
    query = user_text(row["query"])
    try:
        tools_value = _text_of(row["tools"])
    except UntrustedJSONError as exc:
        return _broken(where, row_id, "tools_invalid", f"{name}: 'tools' is not valid JSON: {exc.reason}")
    if not isinstance(tools_value, list):
        return _broken(where, row_id, "tools_invalid", f"{name}: 'tools' must be a JSON list of tool definitions")
    tools: list[ToolSpec] = []
    for index, tool in enumerate(tools_value):
        try:
            tools.append(_tool_spec(tool))
        except (SpecError, ValidationError, ValueError, TypeError, RecursionError) as exc:
            label = tool.get("name") if isinstance(tool, dict) else None
            shown = f" ({clip(label, QUOTE_CHARS)})" if isinstance(label, str) else ""
            return _broken(where, row_id, "tools_invalid", f"{name}: tools[{index}]{shown}: {_reason(exc)}")
    return Sample(key=_key(where), row_id=row_id, position=where, query=query if isinstance(query, str) else "",
                  tools=tools, answers=row["answers"])


def _tool_spec(tool: Any) -> ToolSpec:
    """The spec of one tool definition. Datasets repeat the same few thousand tools across tens of
    thousands of rows (xlam-60k: ~3,600 distinct), and a spec is immutable, so each distinct
    definition is normalized once."""
    if not isinstance(tool, dict):
        return ToolSpec.model_validate(tool)
    try:
        text = json.dumps(tool, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):  # not plain JSON data: no cache
        return ToolSpec(**tool)
    return _tool_spec_of(text)


@functools.lru_cache(maxsize=16384)
def _tool_spec_of(text: str) -> ToolSpec:
    return ToolSpec(**json.loads(text))


def _reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):  # e.g. a type string "List[List[...]]" nested thousands deep
        return "nested too deeply"
    if isinstance(exc, ValidationError):
        return clip("; ".join(e["msg"] for e in exc.errors()[:5]), 2 * QUOTE_CHARS)
    return clip(str(exc), 2 * QUOTE_CHARS)


def _key(where: dict[str, int]) -> str:
    (_, position), = where.items()
    return f"row-{position}"


def _broken(where: dict[str, int], row_id: Any, code: str, message: str) -> Sample:
    verdict = StageResult(stage="format", status="failed", errors=(Finding(code=code, message=message),))
    return Sample(key=_key(where), row_id=row_id, position=where, query="", tools=[], answers=None,
                  verdicts={"format": verdict})


def read_samples(path: str | Path) -> list[Sample]:
    source = Path(path).name
    return [row_to_sample(where, row, source) for where, row in read_rows(path)]


def iter_raw_chunks(path: str | Path, size: int) -> Iterator[RawChunk]:
    """The file's rows in chunks of ``size``, read as they are asked for, left undecoded where they can
    be (JSON Lines: a line's bytes), so decoding and checking happen wherever the chunk is checked."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".jsonl", ".ndjson") and not _is_question_file(path):
        rows = _guarded(path, _jsonl_lines(path))
    else:
        rows = read_rows(path)  # a JSON list or Parquet file: rows decoded here
    chunk, index = [], 0
    for where, row in rows:
        chunk.append((where, row))
        if len(chunk) == size:
            yield RawChunk(index=index, source=path.name, rows=tuple(chunk))
            chunk, index = [], index + 1
    if chunk:
        yield RawChunk(index=index, source=path.name, rows=tuple(chunk))


def _guarded(path: Path, rows: Iterator[Any]) -> Iterator[Any]:
    """``rows`` with a file that cannot be read reported as ``read_rows`` reports it."""
    try:
        yield from rows
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


@dataclass(frozen=True)
class RawChunk:
    """Consecutive rows of one input file, as read (see ``iter_raw_chunks``); ``samples()`` decodes them."""

    index: int
    source: str  # the file's name, as verdict messages quote it
    rows: tuple[tuple[dict[str, int], Any], ...]

    def samples(self) -> list[Sample]:
        return [row_to_sample(where, decode_row(where, row), self.source) for where, row in self.rows]
