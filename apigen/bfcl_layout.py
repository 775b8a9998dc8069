"""Read a BFCL question file (``BFCL_v4_*.json``) as rows in xlam's layout, for ``apigen verify``.

BFCL keeps questions and answers apart: ``{"id", "question": [[{"role", "content"}]], "function": [...]}``
in the question file, ``{"id", "ground_truth": [{name: {param: [acceptable values]}}]}`` in
``possible_answer/<same name>`` beside it (BFCL's own directory layout). A row's query is its user
turns, its tools the functions, its answers the first acceptable value of each parameter (``""``
among them means the parameter may be left out, so it is), when the possible-answer file is there;
without it the row has no answers and the format stage says so (``missing_field``), except in BFCL's
irrelevance categories, whose answer is no call (``[]``). Every row and
ground truth is untrusted: a malformed ground truth leaves that row without answers, naming why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from apigen.chat_text import user_text
from apigen.safe_json import UntrustedJSONError, loads_strict

_OMIT = object()


def is_bfcl_file(path: Path, first_row: Any) -> bool:
    """A question file: its rows hold ``question`` and ``function``, not xlam's ``query``."""
    return isinstance(first_row, dict) and "question" in first_row and "function" in first_row and "query" not in first_row


def answers_file(path: Path) -> Path | None:
    candidate = path.parent / "possible_answer" / path.name
    return candidate if candidate.is_file() else None


def no_call_category(path: Path) -> bool:
    """BFCL's irrelevance categories (``irrelevance``, ``live_irrelevance``) have no possible-answer
    file: their right answer is no call."""
    return "irrelevance" in path.stem


def ground_truths(path: Path) -> dict[Any, Any]:
    """id -> ground truth, from the possible-answer file beside ``path`` (empty when there is none)."""
    found = answers_file(path)
    if found is None:
        return {}
    truths = {}
    for line in found.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            row = loads_strict(line)
        except UntrustedJSONError:
            continue  # that row's question simply has no answers: the format stage names it
        if isinstance(row, dict) and isinstance(row.get("id"), (str, int)):
            truths[row["id"]] = row.get("ground_truth")
    return truths


def as_xlam(row: Any, truths: dict[Any, Any]) -> Any:
    """The question row in xlam's layout (``id``, ``query``, ``tools``, ``answers`` when known)."""
    if not isinstance(row, dict) or not is_bfcl_file(Path(), row):
        return row  # not a question row: read as it is, and judged as such
    out = {"id": row.get("id"), "query": user_text(row["question"]), "tools": row["function"]}
    truth = truths.get(row.get("id")) if isinstance(row.get("id"), (str, int)) else None
    calls = calls_from_ground_truth(truth) if truth is not None else None
    if calls is not None:
        out["answers"] = calls
    return out


def calls_from_ground_truth(truth: Any) -> list[dict[str, Any]] | None:
    """``[{"name", "arguments"}]`` from ``[{name: {param: [acceptable, ...]}}]``, or None when malformed."""
    if not isinstance(truth, list):
        return None
    calls = []
    for entry in truth:
        if not isinstance(entry, dict) or len(entry) != 1:
            return None
        (name, params), = entry.items()
        arguments = _first_values(params)
        if arguments is None:
            return None
        calls.append({"name": name, "arguments": arguments})
    return calls


def _first_values(params: Any) -> dict[str, Any] | None:
    if not isinstance(params, dict):
        return None
    arguments = {}
    for param, acceptable in params.items():
        value = _first(acceptable)
        if value is None:
            return None
        if value is not _OMIT:
            arguments[param] = value
    return arguments


def _first(acceptable: Any) -> Any:
    """The first acceptable value; ``_OMIT`` when ``""`` (leave it out) is among them; None if malformed.
    A ``dict`` parameter's acceptable value is again ``{key: [acceptable, ...]}``."""
    if not isinstance(acceptable, list) or not acceptable:
        return None
    if "" in acceptable:
        return _OMIT
    value = acceptable[0]
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        return _first_values(value)
    return value


def bfcl_rows(path: Path, rows: Iterator[tuple[dict[str, int], Any]]) -> Iterator[tuple[dict[str, int], Any]]:
    """``rows`` (decoded) of a question file in xlam's layout."""
    truths = ground_truths(path)
    no_call = no_call_category(path) and not truths
    for where, row in rows:
        row = as_xlam(row, truths)
        if no_call and isinstance(row, dict) and "answers" not in row:
            row["answers"] = []
        yield where, row
