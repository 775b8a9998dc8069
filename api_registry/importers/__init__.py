"""What every importer returns, and the shared file reading and duplicate bookkeeping behind it.

Importers never stop at the first bad entry: an unreadable row or an unusable tool doc becomes a
``RegistryLoadError`` naming the file and the entry (``"#12 weather_api/get_forecast"``: the
0-based index of the row in the file, then the tool's name), and the rest still import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

from api_registry.registry import RegistryLoadError
from api_registry.rest import RestApi
from api_registry.spec import ToolSpec

__all__ = ["ImportResult", "SpecCollector", "describe_error", "read_records"]


@dataclass
class ImportResult:
    """Specs that imported, errors for those that did not, and REST metadata where the source has it."""

    specs: list[ToolSpec] = field(default_factory=list)
    errors: list[RegistryLoadError] = field(default_factory=list)
    # Entries not kept because an earlier entry of the same name, with a different doc, was kept.
    # Only benchmark files get these (each BFCL question carries its own copy of a function's doc),
    # so they are a note, not an error.
    variants: list[RegistryLoadError] = field(default_factory=list)
    rest: dict[str, RestApi] = field(default_factory=dict)

    def by_name(self) -> dict[str, ToolSpec]:
        return {s.name: s for s in self.specs}


class SpecCollector:
    """Accumulates one import; decides what a repeated name is.

    ``strict`` (a user's tools file): any repeated name is an error, the first is kept.
    Otherwise (dataset rows, where every row repeats its tools): an identical repeat is dropped
    silently and a different doc under the same name is recorded in ``variants``.
    """

    def __init__(self, strict: bool):
        self.strict = strict
        self.result = ImportResult()
        self._first: dict[str, tuple[str, str, str]] = {}  # name -> (source, entry, fingerprint)

    def error(self, source: str, entry: str | None, message: str) -> None:
        self.result.errors.append(RegistryLoadError(source, entry, message))

    def add(self, spec: ToolSpec, source: str, entry: str, rest: RestApi | None = None) -> bool:
        fingerprint = json.dumps(spec.model_dump(mode="json"), sort_keys=True, default=str)
        first = self._first.get(spec.name)
        if first is not None:
            where = f"{first[0]}: {first[1]}"
            if self.strict:
                self.error(source, entry, f"duplicate name {spec.name!r}; first defined at {where}")
            elif first[2] != fingerprint:
                self.result.variants.append(RegistryLoadError(
                    source, entry, f"another doc for {spec.name!r}; kept the one at {where}"))
            return False
        self._first[spec.name] = (source, entry, fingerprint)
        self.result.specs.append(spec)
        if rest is not None:
            self.result.rest[spec.name] = rest
        return True

    def build(self, source: str, entry: str, /, **fields: Any) -> ToolSpec | None:
        """``ToolSpec(**fields)``, or None with the reason recorded as an error."""
        try:
            return ToolSpec(**fields)
        except (ValidationError, ValueError, TypeError) as exc:
            self.error(source, entry, describe_error(exc))
            return None


def describe_error(exc: Exception) -> str:
    """A one-line reason, without pydantic's framing (``Value error, ...`` and help links)."""
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            loc = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{loc}: {msg}" if loc else msg)
        return "; ".join(parts)
    return str(exc) or type(exc).__name__


def read_records(path: Path, collector: SpecCollector) -> Iterator[tuple[int, Any]]:
    """``(index, record)`` from a JSON list, a single JSON object, JSON Lines or Parquet.

    An unreadable file or line becomes an error on the collector; the other lines still come.
    """
    source = path.name
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            collector.error(source, None, f"cannot read Parquet: {exc}")
            return
        yield from enumerate(rows)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        collector.error(source, None, f"cannot read: {exc}")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None  # not one JSON document: read it as JSON Lines (BFCL's .json files are)
    else:
        yield from enumerate(data if isinstance(data, list) else [data])
        return
    index = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            collector.error(source, f"#{index} (line {lineno})", f"invalid JSON: {exc.msg}")
        else:
            yield index, record
        index += 1


def as_paths(paths: tuple[str | Path, ...]) -> list[Path]:
    return [Path(p) for p in paths]
