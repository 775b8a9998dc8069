"""Import the tools of xlam-function-calling-60k rows (JSON Lines, a JSON list, or Parquet) as ToolSpecs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api_registry.importers import ImportResult, SpecCollector, as_paths, read_records
from api_registry.spec import SpecError, ToolSpec

SOURCE = "xlam"


def import_xlam(*paths: str | Path, category: str | None = None) -> ImportResult:
    """Every distinct tool of every row. Rows repeat their tools, so identical repeats are not errors."""
    collector = SpecCollector(strict=False)
    for path in as_paths(paths):
        for index, row in read_records(path, collector):
            if path.suffix == ".parquet" and isinstance(row, dict) and isinstance(row.get("tools"), list):
                row = {**row, "tools": _drop_nulls(row["tools"])}
            _import_row(row, index, path.name, collector, category)
    return collector.result


def specs_from_xlam_tools(tools: str | list[dict[str, Any]], category: str | None = None) -> list[ToolSpec]:
    """The tools of one row (its ``tools`` field, a JSON string or a list). Raises SpecError on a bad tool."""
    collector = SpecCollector(strict=True)
    _import_tools(tools, "tools", "", collector, category)
    if collector.result.errors:
        raise SpecError("; ".join(str(e) for e in collector.result.errors))
    return collector.result.specs


def _import_row(row: Any, index: int, source: str, collector: SpecCollector, category: str | None) -> None:
    if not isinstance(row, dict) or "tools" not in row:
        collector.error(source, f"#{index}", "row is not an object with a 'tools' field")
        return
    _import_tools(row["tools"], source, f"#{index} ", collector, category)


def _import_tools(tools: Any, source: str, prefix: str, collector: SpecCollector, category: str | None) -> None:
    if isinstance(tools, str):
        try:
            tools = json.loads(tools)
        except json.JSONDecodeError as exc:
            collector.error(source, prefix.strip() or None, f"'tools' is not valid JSON: {exc.msg}")
            return
    if not isinstance(tools, list):
        collector.error(source, prefix.strip() or None, f"'tools' must be a list, got {type(tools).__name__}")
        return
    for k, tool in enumerate(tools):
        name = tool.get("name") if isinstance(tool, dict) else None
        entry = f"{prefix}{name}" if isinstance(name, str) and name else f"{prefix}tools[{k}]"
        if not isinstance(tool, dict):
            collector.error(source, entry, f"tool must be an object, got {type(tool).__name__}")
            continue
        spec = collector.build(source, entry, name=name, description=tool.get("description") or "",
                               parameters=tool.get("parameters"), category=category, source=SOURCE)
        if spec is not None:
            collector.add(spec, source, entry)


def _drop_nulls(value: Any) -> Any:
    """Parquet stores a list of tool objects as structs: every key of every tool, absent ones as null."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value
