"""Export formats besides xlam's Parquet: one module per format, each a pure ``row(sample, results) -> dict``.

xlam (``apigen.export``) is always written: it holds the rejected rows too and is the source of truth.
The formats here are written for the verified rows only, as JSON Lines parts beside the Parquet ones.
"""

from __future__ import annotations

from typing import Any, Callable

from apigen.exporters import openai_messages, sharegpt

XLAM = "xlam"
# format -> (folder, function building one JSON Lines row of a verified sample)
JSONL_FORMATS: dict[str, Callable[..., dict[str, Any]]] = {"openai": openai_messages.row, "sharegpt": sharegpt.row}
FORMATS: tuple[str, ...] = (XLAM, *JSONL_FORMATS)


def parse_formats(value: object) -> tuple[str, ...]:
    """``"xlam,openai"`` or a list -> a tuple of known formats, in the given order, without repeats;
    xlam is always included (first). Raises ValueError naming the choices."""
    items = value.replace(",", " ").split() if isinstance(value, str) else [str(v) for v in (value or ())]
    unknown = [v for v in items if v not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {', '.join(map(repr, unknown))}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys([XLAM, *items]))
