"""The key of an exact duplicate: the normalized query and the answers as canonical JSON.

Two pairs with the same key teach a model the same thing twice. The answers are compared as data
(object keys sorted, no spacing), so ``{"a": 1, "b": 2}`` and ``{"b":2,"a":1}`` are the same call; a
raw string of answers that is not JSON is compared as the string.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from apigen.dedup.normalize import normalize_query
from apigen.safe_json import UntrustedJSONError, loads_strict


def canonical_answers(answers: Any) -> str:
    if isinstance(answers, str):
        try:
            answers = loads_strict(answers)
        except UntrustedJSONError:
            return json.dumps(answers, ensure_ascii=False)
    try:
        return json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (ValueError, TypeError, RecursionError):
        return repr(answers)


def exact_key(query: Any, answers: Any) -> str:
    """A short digest of the normalized query and the canonical answers."""
    text = normalize_query(query) + "\x00" + canonical_answers(answers)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
