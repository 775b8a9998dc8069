"""Check a JSON value against the JSON Schema subset that tool specs use.

Small per-keyword checkers composed by a dispatch table; every problem found is returned (not only
the first), each with a stable code and the path of the offending value. Rules that matter for
function calling: an int is accepted where a number is declared, a bool is never an int or a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Problem:
    code: str  # type_mismatch | enum_violation | missing_required_param | unknown_param
    path: str
    message: str


def _is_integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": lambda v: (isinstance(v, (int, float)) and not isinstance(v, bool)),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def json_type_name(value: Any) -> str:
    for name in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _TYPE_CHECKS[name](value):
            return name
    return type(value).__name__


def validate_value(value: Any, schema: dict, path: str = "") -> list[Problem]:
    """Every way ``value`` breaks ``schema``; empty when it conforms."""
    if not isinstance(schema, dict) or not schema:
        return []
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema.get("oneOf")
        if not any(not validate_value(value, opt, path) for opt in options):
            wanted = " or ".join(_describe(o) for o in options)
            return [Problem("type_mismatch", path, f"{_where(path)}expected {wanted}, got {json_type_name(value)}")]
        return []
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        known = [k for k in kinds if k in _TYPE_CHECKS]
        if known and not any(_TYPE_CHECKS[k](value) for k in known):
            return [Problem("type_mismatch", path,
                            f"{_where(path)}expected {' or '.join(known)}, got {json_type_name(value)} {_short(value)}")]
    problems: list[Problem] = []
    for keyword, check in _KEYWORD_CHECKS.items():
        if keyword in schema:
            problems.extend(check(value, schema, path))
    return problems


def _check_enum(value: Any, schema: dict, path: str) -> list[Problem]:
    allowed = schema["enum"]
    if isinstance(allowed, list) and allowed and value not in allowed:
        return [Problem("enum_violation", path, f"{_where(path)}{_short(value)} is not one of {allowed}")]
    return []


def _check_items(value: Any, schema: dict, path: str) -> list[Problem]:
    if not isinstance(value, list) or not isinstance(schema["items"], dict):
        return []
    return [p for i, item in enumerate(value) for p in validate_value(item, schema["items"], f"{path}[{i}]")]


def _check_prefix_items(value: Any, schema: dict, path: str) -> list[Problem]:
    if not isinstance(value, list):
        return []
    expected = schema["prefixItems"]
    if len(value) != len(expected):
        return [Problem("type_mismatch", path, f"{_where(path)}expected a tuple of {len(expected)}, got {len(value)} items")]
    return [p for i, (item, sub) in enumerate(zip(value, expected)) for p in validate_value(item, sub, f"{path}[{i}]")]


def _check_properties(value: Any, schema: dict, path: str) -> list[Problem]:
    if not isinstance(value, dict):
        return []
    props = schema["properties"]
    problems = [p for key, item in value.items() if key in props
                for p in validate_value(item, props[key], f"{path}.{key}" if path else key)]
    for req in schema.get("required", []) or []:
        if req in props and req not in value:
            problems.append(Problem("missing_required_param", f"{path}.{req}" if path else req,
                                    f"{_where(path)}required key {req!r} is missing"))
    if schema.get("additionalProperties") is False:
        for key in value:
            if key not in props:
                problems.append(Problem("unknown_param", f"{path}.{key}" if path else key,
                                        f"{_where(path)}key {key!r} is not declared"))
    return problems


def _check_additional(value: Any, schema: dict, path: str) -> list[Problem]:
    extra = schema["additionalProperties"]
    if not isinstance(value, dict) or not isinstance(extra, dict) or not extra:
        return []
    props = schema.get("properties", {})
    return [p for key, item in value.items() if key not in props
            for p in validate_value(item, extra, f"{path}.{key}" if path else key)]


_KEYWORD_CHECKS = {
    "enum": _check_enum,
    "items": _check_items,
    "prefixItems": _check_prefix_items,
    "properties": _check_properties,
    "additionalProperties": _check_additional,
}


def _describe(schema: dict) -> str:
    kind = schema.get("type")
    return str(kind) if kind else "any"


def _where(path: str) -> str:
    return f"{path}: " if path else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
