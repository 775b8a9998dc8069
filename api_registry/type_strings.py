"""Translate xlam's Python-style type strings (``"List[int]"``, ``"str, optional"``) to JSON Schema.

xlam-function-calling-60k writes parameter types as Python annotations in a string, with
optionality either in the annotation (``Optional[int]``) or appended (``"int, optional"``).
Everything downstream works on JSON Schema, so this is the one place that reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

_SCALARS: dict[str, dict] = {
    "str": {"type": "string"},
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "boolean": {"type": "boolean"},
    "none": {"type": "null"},
    "nonetype": {"type": "null"},
    "any": {},
    "object": {"type": "object"},
    "dict": {"type": "object"},
    "list": {"type": "array"},
    "tuple": {"type": "array"},
    "set": {"type": "array", "uniqueItems": True},
    "callable": {},
}
_GENERICS = {"list", "sequence", "iterable", "set", "tuple", "dict", "mapping", "optional", "union"}


class TypeStringError(ValueError):
    """A type string that is not a Python-style annotation we understand."""


@dataclass(frozen=True)
class ParsedType:
    schema: dict
    optional: bool


def parse_type_string(text: str) -> ParsedType:
    """Parse ``"List[int], optional"`` into a JSON Schema and an optionality flag."""
    raw = text.strip()
    optional = False
    for suffix in (", optional", ",optional", " optional"):
        if raw.lower().endswith(suffix):
            raw, optional = raw[: -len(suffix)].strip(), True
            break
    schema, nullable = _Parser(raw).parse()
    nullable = nullable or {"type": "null"} in schema.get("anyOf", [])
    return ParsedType(schema=schema, optional=optional or nullable)


class _Parser:
    """Recursive-descent parser over ``Name[arg, arg]`` with ``|`` unions."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def parse(self) -> tuple[dict, bool]:
        if not self.text:
            raise TypeStringError("empty type string")
        schema, nullable = self._union()
        self._skip_space()
        if self.pos != len(self.text):
            raise TypeStringError(f"unexpected {self.text[self.pos:]!r} in type {self.text!r}")
        return schema, nullable

    def _union(self) -> tuple[dict, bool]:
        options = [self._term()]
        while self._peek() == "|":
            self.pos += 1
            options.append(self._term())
        return _merge_union(options)

    def _term(self) -> dict:
        self._skip_space()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_."):
            self.pos += 1
        name = self.text[start:self.pos].split(".")[-1].lower()
        if not name:
            raise TypeStringError(f"expected a type name at {self.text[start:]!r} in {self.text!r}")
        args: list[dict] = []
        if self._peek() == "[":
            self.pos += 1
            args.append(self._union_schema())
            while self._peek() == ",":
                self.pos += 1
                args.append(self._union_schema())
            if self._peek() != "]":
                raise TypeStringError(f"missing ']' in type {self.text!r}")
            self.pos += 1
        return _build(name, args, self.text)

    def _union_schema(self) -> dict:
        self._skip_space()
        if self.text.startswith("...", self.pos):
            self.pos += 3
            return {"$ellipsis": True}
        schema, nullable = self._union()
        return {"anyOf": [schema, {"type": "null"}]} if nullable else schema

    def _peek(self) -> str:
        self._skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1


def _build(name: str, args: list[dict], text: str) -> dict:
    if name in ("optional",):
        if len(args) != 1:
            raise TypeStringError(f"Optional takes one argument in {text!r}")
        return {"anyOf": [args[0], {"type": "null"}]}
    if name == "union":
        schema, nullable = _merge_union(args)
        return {"anyOf": [schema, {"type": "null"}]} if nullable else schema
    if name == "literal":
        raise TypeStringError(f"Literal values are not supported in type strings: {text!r}")
    if not args:
        if name in _SCALARS:
            return dict(_SCALARS[name])
        raise TypeStringError(f"unknown type {name!r} in {text!r}")
    if name in ("list", "sequence", "iterable", "set"):
        schema = {"type": "array", "items": args[0]}
        return schema | ({"uniqueItems": True} if name == "set" else {})
    if name == "tuple":
        if len(args) == 2 and args[1].get("$ellipsis"):
            return {"type": "array", "items": args[0]}
        return {"type": "array", "prefixItems": args, "minItems": len(args), "maxItems": len(args)}
    if name in ("dict", "mapping"):
        return {"type": "object", "additionalProperties": args[1] if len(args) > 1 else {}}
    if name not in _GENERICS:
        raise TypeStringError(f"unknown generic type {name!r} in {text!r}")
    raise TypeStringError(f"cannot read type {text!r}")


def _merge_union(options: list[dict]) -> tuple[dict, bool]:
    nullable = any(o == {"type": "null"} for o in options)
    rest = [o for o in options if o != {"type": "null"}]
    if not rest:
        return {"type": "null"}, True
    if len(rest) == 1:
        return rest[0], nullable
    return {"anyOf": rest}, nullable


_JSON_TO_PY = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def schema_to_type_string(schema: dict) -> str:
    """The inverse, for exporting in xlam's layout: ``{"type": "array", "items": int}`` -> ``List[int]``."""
    if "anyOf" in schema:
        parts = [schema_to_type_string(s) for s in schema["anyOf"]]
        return f"Union[{', '.join(parts)}]"
    kind = schema.get("type")
    if kind == "array":
        if "prefixItems" in schema:
            return f"Tuple[{', '.join(schema_to_type_string(s) for s in schema['prefixItems'])}]"
        items = schema.get("items")
        return f"List[{schema_to_type_string(items)}]" if items else "list"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"Dict[str, {schema_to_type_string(extra)}]"
        return "dict" if not schema.get("properties") else "Dict[str, Any]"
    if isinstance(kind, list):
        return f"Union[{', '.join(_JSON_TO_PY.get(k, k) for k in kind)}]"
    return _JSON_TO_PY.get(kind, "Any") if kind else "Any"
