"""Read an existing dataset in xlam layout (``.jsonl``, ``.json`` list, ``.parquet``) as samples.

Rows have ``id``, ``query``, ``tools`` and ``answers``; ``tools``/``answers`` may be JSON strings or
objects, tool parameters in either dialect. A file that cannot be read at all is an InputError
naming the file; a row that is broken is kept and rejected at the format stage with a code that
names the field (``missing_field``, ``tools_invalid``), so one bad row never hides the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

from api_registry.spec import SpecError, ToolSpec
from apigen.models import Finding, Sample, StageResult


class InputError(ValueError):
    """The input file itself is unusable (missing, unreadable, wrong format)."""


def read_rows(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line or index, row) pairs from a JSON Lines, JSON list or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
        yield from enumerate(table.to_pylist())
        return
    text = path.read_text(encoding="utf-8")
    if suffix == ".json" and text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        yield from enumerate(rows)
        return
    if suffix not in (".jsonl", ".json", ".ndjson"):
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .jsonl, .json or .parquet")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _Unreadable(f"line {number} is not valid JSON: {exc.msg}")


class _Unreadable:
    def __init__(self, message: str):
        self.message = message


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _query_text(query: Any) -> Any:
    """Chat-style queries (a list of messages) become the text of their user turns."""
    if isinstance(query, list):
        return "\n".join(m.get("content", "") for m in query if isinstance(m, dict) and m.get("role", "user") == "user")
    return query


def row_to_sample(position: int, row: Any, source: str) -> Sample:
    """A sample for one row; problems with the row become a failed format verdict naming the field."""
    where = f"{source} row {position}"
    if isinstance(row, _Unreadable):
        return _broken(position, None, "json_invalid", f"{source}: {row.message}")
    if not isinstance(row, dict):
        return _broken(position, None, "row_not_object", f"{where}: a row must be an object")
    row_id = row.get("id", position)
    missing = [f for f in ("query", "tools", "answers") if f not in row]
    if missing:
        return _broken(position, row_id, "missing_field", f"{where}: missing field(s) {', '.join(missing)}")
    query = _query_text(row["query"])
    tools_value = _decode(row["tools"])
    if not isinstance(tools_value, list):
        return _broken(position, row_id, "tools_invalid", f"{where}: 'tools' must be a JSON list of tool definitions")
    tools: list[ToolSpec] = []
    for index, tool in enumerate(tools_value):
        try:
            tools.append(ToolSpec(**tool) if isinstance(tool, dict) else ToolSpec.model_validate(tool))
        except (SpecError, ValidationError, ValueError, TypeError) as exc:
            name = tool.get("name") if isinstance(tool, dict) else None
            return _broken(position, row_id, "tools_invalid",
                           f"{where}: tools[{index}]{f' ({name})' if name else ''}: {_reason(exc)}")
    return Sample(key=f"row-{position}", row_id=row_id, query=query if isinstance(query, str) else "",
                  tools=tools, answers=row["answers"])


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(e["msg"] for e in exc.errors())
    return str(exc)


def _broken(position: int, row_id: Any, code: str, message: str) -> Sample:
    verdict = StageResult(stage="format", status="failed", errors=(Finding(code=code, message=message),))
    return Sample(key=f"row-{position}", row_id=row_id if row_id is not None else position, query="", tools=[],
                  answers=None, verdicts={"format": verdict})


def read_samples(path: str | Path) -> list[Sample]:
    source = Path(path).name
    return [row_to_sample(position, row, source) for position, row in read_rows(path)]
