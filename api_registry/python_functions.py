"""Turn plain Python functions into registry entries: schema from type hints, text from docstrings.

Library modules declare functions with ``@api(category=..., examples=[...])``; the decorator only
records metadata and returns the function unchanged, so library code stays ordinary Python.

Type hints map to JSON Schema: ``int``/``float``/``str``/``bool``, ``list[T]``, ``tuple[A, B]``,
``dict[str, T]``, ``Literal[...]`` (an enum), ``T | None = None`` (optional), and ``TypedDict``
(a nested object). Descriptions come from the docstring's first paragraph and its ``Args:`` section.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, get_args, get_origin, get_type_hints

from api_registry.spec import ToolSpec

_MARK = "__apigen_api__"


@dataclass(frozen=True)
class Example:
    """A call with its expected result; every library function has at least one."""

    arguments: dict[str, Any]
    result: Any


@dataclass(frozen=True)
class ApiMeta:
    category: str
    examples: tuple[Example, ...]
    raises: tuple[dict[str, Any], ...] = ()
    name: str | None = None


@dataclass(frozen=True)
class PythonFunction:
    """A registered, executable Python function and its spec."""

    spec: ToolSpec
    module: str
    qualname: str
    examples: tuple[Example, ...] = ()
    raises: tuple[dict[str, Any], ...] = ()
    file: str | None = None  # for modules imported from a path rather than by name
    func: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name


def api(category: str, examples: list[tuple[dict, Any]] | None = None,
        raises: list[dict] | None = None, name: str | None = None) -> Callable:
    """Mark a function for the registry.

    Args:
        category: the registry category (e.g. ``"math"``).
        examples: ``(arguments, expected_result)`` pairs, checked by the tests.
        raises: arguments that are schema-valid but make the call fail; the simulator plants
            them as execution-stage flaws.
        name: the API name, when it should differ from the function's.
    """
    def mark(func: Callable) -> Callable:
        meta = ApiMeta(category=category, name=name,
                       examples=tuple(Example(dict(a), r) for a, r in (examples or [])),
                       raises=tuple(dict(r) for r in (raises or [])))
        setattr(func, _MARK, meta)
        return func
    return mark


def api_meta(func: Any) -> ApiMeta | None:
    return getattr(func, _MARK, None)


def describe_function(func: Callable, category: str | None = None, name: str | None = None,
                      source: str = "python") -> ToolSpec:
    """Build a ToolSpec from a function's signature, type hints and docstring."""
    doc = inspect.getdoc(func) or ""
    summary, arg_docs = _parse_docstring(doc)
    hints = get_type_hints(func, include_extras=False)
    properties: dict[str, dict] = {}
    required: list[str] = []
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        schema, nullable = _schema_for(hints.get(pname, Any))
        if pname in arg_docs:
            schema["description"] = arg_docs[pname]
        if param.default is param.empty:
            required.append(pname)
        elif param.default is not None:
            schema["default"] = param.default
        if nullable and param.default is param.empty:
            schema = {"anyOf": [schema, {"type": "null"}], **({"description": schema["description"]} if "description" in schema else {})}
        properties[pname] = schema
    return ToolSpec(name=name or func.__name__, description=summary, category=category, source=source,
                    parameters={"type": "object", "properties": properties, "required": required})


def _schema_for(hint: Any) -> tuple[dict, bool]:
    """JSON Schema for a type hint, and whether ``None`` is allowed."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        nullable = len(args) != len(get_args(hint))
        if len(args) == 1:
            return _schema_for(args[0])[0], nullable
        return {"anyOf": [_schema_for(a)[0] for a in args]}, nullable
    if origin is Literal:
        values = list(get_args(hint))
        kinds = {type(v) for v in values}
        schema: dict = {"enum": values}
        if len(kinds) == 1:
            schema["type"] = _scalar_name(kinds.pop())
        return schema, False
    if origin in (list, typing.List, set, frozenset):
        args = get_args(hint)
        return ({"type": "array", "items": _schema_for(args[0])[0]} if args else {"type": "array"}), False
    if origin in (tuple, typing.Tuple):
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_for(args[0])[0]}, False
        return {"type": "array", "prefixItems": [_schema_for(a)[0] for a in args],
                "minItems": len(args), "maxItems": len(args)}, False
    if origin in (dict, typing.Dict):
        args = get_args(hint)
        return ({"type": "object", "additionalProperties": _schema_for(args[1])[0]} if args else {"type": "object"}), False
    if typing.is_typeddict(hint):
        sub_hints = get_type_hints(hint)
        props = {k: _schema_for(v)[0] for k, v in sub_hints.items()}
        return {"type": "object", "properties": props, "required": sorted(hint.__required_keys__)}, False
    if hint is Any or hint is inspect.Parameter.empty:
        return {}, False
    if isinstance(hint, type):
        return {"type": _scalar_name(hint)}, False
    raise TypeError(f"unsupported type hint {hint!r}")


def _scalar_name(kind: type) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
             dict: "object", tuple: "array", type(None): "null"}
    if kind not in names:
        raise TypeError(f"unsupported type {kind!r}")
    return names[kind]


_ARGS_HEADER = re.compile(r"^(Args|Arguments|Parameters):\s*$")
_SECTION = re.compile(r"^[A-Z][A-Za-z ]+:\s*$")
_ARG_LINE = re.compile(r"^\s{2,}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """First paragraph, and the ``Args:`` section as {name: description}."""
    lines = doc.splitlines()
    summary_lines: list[str] = []
    for line in lines:
        if not line.strip() or _ARGS_HEADER.match(line.strip()):
            break
        summary_lines.append(line.strip())
    args: dict[str, str] = {}
    in_args, current = False, None
    for line in lines:
        if _ARGS_HEADER.match(line.strip()):
            in_args = True
            continue
        if in_args and _SECTION.match(line) and not line.startswith(" "):
            break
        if in_args:
            match = _ARG_LINE.match(line)
            if match and len(line) - len(line.lstrip()) <= 4:
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current and line.strip():
                args[current] = f"{args[current]} {line.strip()}".strip()
    return " ".join(summary_lines), args
