"""Stable cache keys for batch tasks: canonical JSON of what determines a task's output, hashed.

Prefect's default input hashing falls back to pickling, and a pickled pydantic model carries sets
whose order changes between processes, so a resumed run would miss its own cache. These keys are
built from canonical JSON instead; they leave out what cannot change a result (concurrency,
timeouts, output paths) and put in what must (model identity, prompt version, the content of the
code a batch's calls reach).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from typing import Any, Iterable

from pydantic import BaseModel

from apigen.verify.format_check import decode_answers


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


def called_names(answers_of_samples: Iterable[Any]) -> set[str]:
    """The function names a batch's answers call: what its execution results depend on.

    Answers are untrusted; they are decoded as the stages decode them, and what does not decode
    names nothing (such a sample fails the format stage and is never executed)."""
    names: set[str] = set()
    for answers in answers_of_samples:
        decoded, _ = decode_answers(answers)
        for call in decoded if isinstance(decoded, list) else ():
            if isinstance(call, dict) and isinstance(call.get("name"), str):
                names.add(call["name"])
    return names
