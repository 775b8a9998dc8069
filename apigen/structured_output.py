"""JSON Schemas that constrain the LLM's replies (query/answer pairs, judge verdicts) at decoding time.

Sent as OpenAI-style ``response_format={"type": "json_schema", ...}``, which OpenAI, vLLM and
llama.cpp's llama-server accept; llama.cpp and llguidance turn the schema into a grammar, so the
schemas keep to the subset those converters read (no ``oneOf``, no ``format``, no remote ``$ref``)
and stay compact, because they travel with every request. The rule for tool arguments: the
constraint may let a wrong call through (the format stage catches it) but never forbids a correct one.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from api_registry.spec import ToolSpec
from apigen.models import Style

MAX_DEPTH = 6      # sub-schemas nested deeper than this accept any value
MAX_ENUM = 64      # longer enums are dropped (the type still constrains)
# Only a lower bound: llama.cpp turns maxLength N into N nested optional characters, and a grammar
# like that slowed SmolLM2 from ~25 to under 1 token/s once a string grew long (measured).
QUERY_MIN_LENGTH = 10
MODES = ("json_schema", "json", "off")

_ANSWER_COUNTS: dict[Style | None, tuple[int, int]] = {
    Style.SIMPLE: (1, 1), Style.MULTIPLE: (1, 1),
    Style.PARALLEL: (2, 4), Style.PARALLEL_MULTIPLE: (2, 4), Style.NO_CALL: (0, 0), None: (1, 4)}
_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
_TYPE_ALIASES = {"dict": "object", "float": "number", "tuple": "array", "int": "integer", "str": "string",
                 "bool": "boolean", "list": "array", "double": "number", "long": "integer"}
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems")
# "Any value", spelled out: llama.cpp's converter reads an empty schema {} as "any object".
ANY: dict = {"type": ["string", "number", "boolean", "object", "array", "null"]}
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def pairs_schema(tools: Sequence[ToolSpec], count: int, style: Style | None = None) -> dict:
    """The generator's reply: ``{"pairs": [{"query": ..., "answers": [call, ...]}, ...]}``.

    An object at the top because OpenAI requires one; "query" comes before "answers" so the model
    writes the question before the calls that answer it. Exactly ``count`` pairs: a constrained
    model cannot stop short. The answers fit the style as far as a schema can say it: one call
    (simple, multiple); 2-4 calls of one tool (parallel); 2-4 calls whose first two use two
    different tools (parallel-multiple, those two in offered order). Each tool's call schema is
    written once, under ``$defs``, and referenced.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    calls: dict[str, dict] = {}
    for tool in tools:
        calls.setdefault(tool.name, _call_schema(tool))
    if not calls:
        raise ValueError("pairs_schema needs at least one tool")
    defs = {f"call_{n}": schema for n, schema in enumerate(calls.values())}
    style = Style(style) if style is not None else None
    pair = _closed({"query": {"type": "string", "minLength": QUERY_MIN_LENGTH},
                    "answers": _answers_schema(len(defs), style)})
    schema = _closed({"pairs": {"type": "array", "items": pair, "minItems": count, "maxItems": count}})
    return {**schema, "$defs": defs}


def _ref(n: int) -> dict:
    return {"$ref": f"#/$defs/call_{n}"}


def _answers_schema(tools: int, style: Style | None) -> dict:
    """The ``answers`` array for ``tools`` call schemas (``$defs/call_0``...) under ``style``.

    Written so llama.cpp's grammar converter reads it as the standard does: a fixed sequence is
    ``prefixItems`` with no ``items`` and equal min/max counts (the converter reads ``items``, when
    present, instead of ``prefixItems``).
    """
    low, high = _ANSWER_COUNTS[style]
    if style is Style.NO_CALL:  # no offered tool fits: the answers are the empty list
        return {"type": "array", "maxItems": 0}
    any_call = _ref(0) if tools == 1 else {"anyOf": [_ref(n) for n in range(tools)]}
    if style is Style.PARALLEL and tools > 1:
        return {"anyOf": [{"type": "array", "items": _ref(n), "minItems": low, "maxItems": high} for n in range(tools)]}
    if style is Style.PARALLEL_MULTIPLE and tools > 1:
        return {"anyOf": [{"type": "array", "prefixItems": [_ref(i), _ref(j)] + [any_call] * (length - 2),
                           "minItems": length, "maxItems": length}
                          for i in range(tools) for j in range(i + 1, tools) for length in range(low, high + 1)]}
    return {"type": "array", "items": any_call, "minItems": low, "maxItems": high}


def arguments_schema(tool: ToolSpec) -> dict:
    """The tool's parameter schema with only the keywords that constrain and that grammars read.

    Objects with declared properties are closed (``additionalProperties: false``); free-form objects
    and maps stay open; local ``$ref`` is inlined (the schema is embedded in a larger document);
    ``oneOf`` becomes ``anyOf``; whatever cannot be read becomes ``ANY``.
    """
    root = tool.parameters
    schema = _convert(root, root, 0)
    schema["type"] = "object"
    schema.setdefault("properties", {})
    if not isinstance(root.get("additionalProperties"), dict) and root.get("additionalProperties") is not True:
        schema["additionalProperties"] = False
    return schema


def judge_schema() -> dict:
    """The semantic judge's verdict; "reason" first so the model reasons before it decides."""
    return _closed({"reason": {"type": "string"}, "passed": {"type": "boolean"}})


def batch_judge_schema(ids: Sequence[str]) -> dict:
    """A batched judge's reply: ``{"verdicts": [...]}``, one verdict per id, in the order asked.

    Each position's id is a constant (``prefixItems``, with equal min/max counts and no ``items``, as
    llama.cpp reads it), so a constrained model can neither skip, repeat nor invent a sample.
    """
    if not ids:
        raise ValueError("batch_judge_schema needs at least one id")
    verdicts = [_closed({"id": {"const": i}, "reason": {"type": "string"}, "passed": {"type": "boolean"}}) for i in ids]
    return _closed({"verdicts": {"type": "array", "prefixItems": verdicts, "minItems": len(ids), "maxItems": len(ids)}})


def response_format(mode: str, schema: dict, name: str) -> dict | None:
    """The ``response_format`` request field for ``mode`` ("json_schema", "json" or "off")."""
    if mode == "json_schema":
        if not _NAME.match(name):
            raise ValueError(f"schema name {name!r} must match {_NAME.pattern}")
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
    if mode == "json":
        return {"type": "json_object"}
    if mode == "off":
        return None
    raise ValueError(f"unknown structured output mode {mode!r}; expected one of {', '.join(MODES)}")


def _closed(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _call_schema(tool: ToolSpec) -> dict:
    return _closed({"name": {"const": tool.name}, "arguments": arguments_schema(tool)})


def _convert(node: Any, root: dict, depth: int) -> dict:
    """One sub-schema, grammar-friendly; ``root`` resolves local ``$ref``s."""
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return dict(ANY)
    out = _constraints(_inline(node, root, depth), root, depth)
    return out or dict(ANY)


def _constraints(node: dict, root: dict, depth: int) -> dict:
    out: dict[str, Any] = {}
    kind = _type(node)
    if kind is not None:
        out["type"] = kind
    options = node.get("anyOf") or node.get("oneOf")
    if isinstance(options, list) and options:
        branches = [_convert(o, root, depth + 1) for o in options]
        if ANY in branches:
            return out  # one branch accepts anything
        out["anyOf"] = branches
    if "const" in node and _fits(node["const"], kind):
        out["const"] = node["const"]
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        enum = [v for v in enum if _fits(v, kind)]
        if 0 < len(enum) <= MAX_ENUM:
            out["enum"] = enum
    if isinstance(node.get("items"), dict):
        out["items"] = _convert(node["items"], root, depth + 1)
    tuple_items = node.get("prefixItems") or (node["items"] if isinstance(node.get("items"), list) else None)
    if isinstance(tuple_items, list):
        out["prefixItems"] = [_convert(s, root, depth + 1) for s in tuple_items]
    if isinstance(node.get("properties"), dict):
        props = {k: _convert(v, root, depth + 1) for k, v in node["properties"].items()}
        out["properties"] = props
        required = node.get("required")
        required = required if isinstance(required, list) else []
        out["required"] = list(dict.fromkeys(r for r in required if isinstance(r, str) and r in props))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and extra:
        out["additionalProperties"] = _convert(extra, root, depth + 1)
    elif extra is False or (out.get("properties") and extra is None):
        out["additionalProperties"] = False
    for key in _BOUNDS:  # llama.cpp turns integer bounds into digits; a 0.5 there would break it
        if _is_int(node.get(key)) or (kind == "number" and _is_number(node.get(key))):
            out[key] = node[key]
    for key in _COUNTS:
        if _is_int(node.get(key)) and node[key] >= 0:
            out[key] = node[key]
    return out


def _inline(node: dict, root: dict, depth: int) -> dict:
    """Resolve a local ``$ref`` and merge ``allOf`` parts, so the converter sees one plain schema."""
    for _ in range(MAX_DEPTH):  # bounded: a reference may point to itself
        if not isinstance(node.get("$ref"), str):
            break
        target = _resolve(node["$ref"], root)
        node = {**{k: v for k, v in node.items() if k != "$ref"}, **target} if target is not None else {}
    else:
        return {}  # converts to ANY
    parts = node.get("allOf")
    if isinstance(parts, list):
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for part in parts:
            part = _inline(part, root, depth + 1) if isinstance(part, dict) and depth < MAX_DEPTH else {}
            props = {**(merged.get("properties") or {}), **(part.get("properties") or {})}
            required = list(merged.get("required") or []) + list(part.get("required") or [])
            merged = {**part, **merged}
            if props:
                merged["properties"], merged["required"] = props, required
        node = merged
    return node


def _resolve(ref: str, root: dict) -> dict | None:
    if not ref.startswith("#/"):
        return None
    target: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            return None
        target = target[part]
    return target if isinstance(target, dict) else None


def _type(node: dict) -> str | list[str] | None:
    raw = node.get("type")
    names = [n.strip().lower() for n in (raw if isinstance(raw, list) else [raw]) if isinstance(n, str)]
    kinds = [_TYPE_ALIASES.get(n, n) for n in names]
    if not kinds or any(k not in _TYPES for k in kinds):
        return None  # no type, or an unreadable one: accept any value rather than a guessed subset
    if node.get("nullable") is True:
        kinds.append("null")  # OpenAPI's way of writing Optional
    kinds = list(dict.fromkeys(kinds))
    return kinds[0] if len(kinds) == 1 else kinds


def _fits(value: Any, kind: str | list[str] | None) -> bool:
    """Whether ``value`` is of a declared type (so an enum or const never contradicts the type)."""
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    actual = ("null" if value is None else "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int)
              else "number" if isinstance(value, float) else "string" if isinstance(value, str)
              else "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "")
    return actual in kinds or (actual == "integer" and "number" in kinds) or (
        actual == "number" and "integer" in kinds and float(value).is_integer())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
