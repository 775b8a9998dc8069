"""Benchmark questions a training set must not contain: decontamination's bundled default set.

``bfcl_v4.jsonl`` holds the user turns of the BFCL v4 questions shipped in ``tests/data/bfcl``
(origin and licence in ``SOURCES.md`` here). It was made by reading each question file's
``question`` turns and joining the user messages with newlines, one ``{"id", "query"}`` per line.
"""

from __future__ import annotations

import json
from importlib import resources

BUNDLED = {"bfcl_v4": "bfcl_v4.jsonl"}


def bundled_questions(name: str = "bfcl_v4") -> list[dict[str, str]]:
    """The bundled set ``name``: ``[{"id", "query"}, ...]`` in file order."""
    text = resources.files(__package__).joinpath(BUNDLED[name]).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
