"""Stable cache keys for batch tasks: canonical JSON of what determines a task's output, hashed.

Prefect's default input hashing falls back to pickling, and a pickled pydantic model carries sets
whose order changes between processes, so a resumed run would miss its own cache. These keys are
built from canonical JSON instead; they leave out what cannot change a result (concurrency,
timeouts, output paths) and put in what must (model identity, prompt version).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from typing import Any

from pydantic import BaseModel


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"no canonical form for {type(value).__name__}")


def digest(*parts: Any) -> str:
    text = json.dumps(parts, default=_plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
