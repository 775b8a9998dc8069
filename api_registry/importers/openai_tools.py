"""Import OpenAI ``tools`` entries, bare function docs and BFCL question files as ToolSpecs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from api_registry.importers import ImportResult, SpecCollector, as_paths, read_records

BFCL_CATEGORY = "bfcl"  # BFCL functions carry no category of their own


def import_openai_tools(*paths: str | Path, category: str | None = None) -> ImportResult:
    """A user's tools file: a JSON list (or ``{"tools": [...]}``, or JSON Lines) of tool docs.

    Both ``{"type": "function", "function": {...}}`` and bare ``{name, description, parameters}``.
    A name used twice is an error: the file is meant to define one registry.
    """
    collector = SpecCollector(strict=True)
    for path in as_paths(paths):
        records = list(read_records(path, collector))
        if len(records) == 1 and isinstance(records[0][1], dict) and isinstance(records[0][1].get("tools"), list):
            records = list(enumerate(records[0][1]["tools"]))
        for index, entry in records:
            _import_doc(entry, path.name, f"#{index} ", collector, category, "openai")
    return collector.result


def specs_from_openai(entries: Iterable[Any], source: str = "<tools>", category: str | None = None) -> ImportResult:
    """The same, for tool docs already in memory (e.g. a request's ``tools`` list)."""
    collector = SpecCollector(strict=True)
    for index, entry in enumerate(entries):
        _import_doc(entry, source, f"#{index} ", collector, category, "openai")
    return collector.result


def import_bfcl(*paths: str | Path) -> ImportResult:
    """Every distinct function of BFCL question files (JSON Lines rows with a ``function`` list).

    Each question carries its own copy of its functions' docs and the same name sometimes comes
    with a different doc; the first is kept and the others are listed in ``variants``.
    """
    collector = SpecCollector(strict=False)
    for path in as_paths(paths):
        for index, row in read_records(path, collector):
            functions = row.get("function") if isinstance(row, dict) else None
            prefix = f"#{index} {row['id']}/" if isinstance(row, dict) and row.get("id") else f"#{index} "
            if not isinstance(functions, list):
                collector.error(path.name, _bare(prefix), "row has no 'function' list")
                continue
            for doc in functions:
                _import_doc(doc, path.name, prefix, collector, BFCL_CATEGORY, "bfcl")
    return collector.result


def _import_doc(entry: Any, source: str, prefix: str, collector: SpecCollector, category: str | None,
                origin: str) -> None:
    """One doc; ``prefix`` + its name labels errors (``"#12 multiple_12/"`` + ``"get_weather"``)."""
    doc = entry
    if isinstance(entry, dict) and entry.get("type") == "function" and "function" in entry:
        doc = entry["function"]
    elif isinstance(entry, dict) and "type" in entry and "name" not in entry:
        collector.error(source, _bare(prefix), f"unsupported tool type {entry.get('type')!r}; expected 'function'")
        return
    name = doc.get("name") if isinstance(doc, dict) else None
    where = f"{prefix}{name}" if isinstance(name, str) and name else _bare(prefix)
    if not isinstance(doc, dict):
        collector.error(source, where, f"tool doc must be an object, got {type(doc).__name__}")
        return
    description = doc.get("description") or ""
    spec = collector.build(source, where, name=name, description=description, parameters=doc.get("parameters"),
                           category=doc.get("category") if isinstance(doc.get("category"), str) else category,
                           source=origin)
    if spec is not None:
        collector.add(spec, source, where)


def _bare(prefix: str) -> str:
    return prefix.rstrip(" /")
