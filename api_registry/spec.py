"""The one tool spec: every importer and every stage speaks it.

A tool arrives with parameters in one of two dialects and leaves with one JSON Schema:

* xlam: ``{"p": {"type": "List[int]", "description": ..., "default": ...}}``, optionality in the
  type string (or implied by a non-empty default), no ``required`` list;
* JSON Schema / OpenAI / BFCL: ``{"type": "object"|"dict", "properties": ..., "required": [...]}``,
  with BFCL's non-standard ``dict``/``float``/``tuple``/``any`` type names.

Faults in the documentation itself (a default of the wrong type, an unknown type name) do not make
the tool unusable; they are recorded as ``doc_issues`` so the format stage can report them as
warnings on the tool rather than as errors of an answer.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api_registry.type_strings import TypeStringError, parse_type_string, schema_to_type_string

_BFCL_TYPE_NAMES = {"dict": "object", "float": "number", "tuple": "array", "int": "integer",
                    "str": "string", "bool": "boolean", "list": "array", "double": "number",
                    "long": "integer", "char": "string", "byte": "integer", "short": "integer"}


class SpecError(ValueError):
    """A tool definition that cannot be turned into a spec (missing name, unreadable schema)."""


class DocIssue(BaseModel):
    """A fault in a tool's documentation, reported as a warning on the tool."""

    model_config = ConfigDict(frozen=True)
    code: str
    param: str | None = None
    message: str


class ToolSpec(BaseModel):
    """A callable API as the LLM sees it: name, description and a JSON Schema for its arguments."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}, "required": []})
    category: str | None = None
    source: str | None = None
    dialect: Literal["xlam", "json_schema"] = "json_schema"
    doc_issues: tuple[DocIssue, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if not isinstance(data.get("name"), str) or not data.get("name", "").strip():
            raise SpecError("tool has no name")
        if "doc_issues" in data and "dialect" in data:
            return data  # already normalized (e.g. round-tripped through model_dump)
        params = data.get("parameters")
        if params is None:
            params = {}
        if isinstance(params, str):
            try:
                params = json.loads(params)
            except json.JSONDecodeError as exc:
                raise SpecError(f"tool {data['name']!r}: parameters are not valid JSON ({exc.msg})") from exc
        if not isinstance(params, dict):
            raise SpecError(f"tool {data['name']!r}: parameters must be an object, got {type(params).__name__}")
        issues: list[DocIssue] = []
        if _is_json_schema(params):
            schema, dialect = _normalize_json_schema(params, data["name"], issues), "json_schema"
        else:
            schema, dialect = _from_xlam(params, data["name"], issues), "xlam"
        return {**data, "description": data.get("description") or "", "parameters": schema,
                "dialect": dialect, "doc_issues": tuple(issues)}

    @property
    def properties(self) -> dict[str, dict]:
        return self.parameters.get("properties", {})

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    def to_openai(self) -> dict:
        """OpenAI ``tools`` entry, as sent to an LLM with native tool calling."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}

    def to_xlam(self) -> dict:
        """xlam-function-calling-60k's layout, so exported rows mix with that dataset."""
        params = {}
        required = set(self.required)
        for pname, pschema in self.properties.items():
            type_string = schema_to_type_string(_strip_null(pschema))
            if pname not in required:
                type_string += ", optional"
            entry: dict[str, Any] = {"description": pschema.get("description", ""), "type": type_string}
            for key in ("default", "enum", "items", "properties"):
                if key in pschema and not (key == "items" and "List[" in type_string):
                    entry[key] = pschema[key]
            params[pname] = entry
        return {"name": self.name, "description": self.description, "parameters": params}

    def to_prompt_dict(self) -> dict:
        """What the generation prompt shows the LLM: name, description and the JSON Schema."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


def _is_json_schema(params: dict) -> bool:
    return isinstance(params.get("type"), str) and (
        params["type"] in ("object", "dict") or "properties" in params)


def _normalize_json_schema(params: dict, tool: str, issues: list[DocIssue]) -> dict:
    schema = _normalize_node(params, tool, "", issues)
    schema["type"] = "object"
    schema.setdefault("properties", {})
    required = schema.get("required") or []
    if not isinstance(required, list):
        raise SpecError(f"tool {tool!r}: 'required' must be a list")
    unknown = [r for r in required if r not in schema["properties"]]
    for name in unknown:
        issues.append(DocIssue(code="required_not_declared", param=name,
                               message=f"required parameter {name!r} has no declaration"))
    schema["required"] = [r for r in required if r in schema["properties"]]
    return schema


def _normalize_node(node: Any, tool: str, path: str, issues: list[DocIssue]) -> dict:
    if not isinstance(node, dict):
        raise SpecError(f"tool {tool!r}: schema at {path or 'parameters'!r} must be an object")
    out = dict(node)
    kind = out.get("type")
    if isinstance(kind, str):
        lowered = kind.strip().lower()
        if lowered == "any":
            out.pop("type")
        elif lowered in ("object", "array", "string", "integer", "number", "boolean", "null"):
            out["type"] = lowered
        elif lowered in _BFCL_TYPE_NAMES:
            out["type"] = _BFCL_TYPE_NAMES[lowered]
        else:
            try:  # some sources put Python annotations into JSON Schema
                out.pop("type")
                out.update(parse_type_string(kind).schema)
            except TypeStringError:
                issues.append(DocIssue(code="unknown_type", param=path or None,
                                       message=f"unknown type {kind!r}; any value is accepted"))
    if "properties" in out and not isinstance(out["properties"], dict):
        raise SpecError(f"tool {tool!r}: 'properties' at {path or 'parameters'!r} must be an object")
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _normalize_node(v, tool, f"{path}.{k}".lstrip("."), issues)
                             for k, v in out["properties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = _normalize_node(out["items"], tool, f"{path}[]", issues)
    if "default" in out and path and "." not in path:
        _check_default(out, tool, path, issues)
    return out


def _from_xlam(params: dict, tool: str, issues: list[DocIssue]) -> dict:
    properties: dict[str, dict] = {}
    required: list[str] = []
    for pname, decl in params.items():
        if not isinstance(decl, dict):
            raise SpecError(f"tool {tool!r}: parameter {pname!r} must be an object with a 'type'")
        type_text = decl.get("type")
        optional = False
        if isinstance(type_text, str) and type_text.strip():
            try:
                parsed = parse_type_string(type_text)
                schema, optional = dict(parsed.schema), parsed.optional
            except TypeStringError as exc:
                issues.append(DocIssue(code="unknown_type", param=pname, message=f"{exc}; any value is accepted"))
                schema = {}
        else:
            issues.append(DocIssue(code="missing_type", param=pname, message="parameter has no type"))
            schema = {}
        for key in ("description", "enum", "default"):
            if key in decl:
                schema[key] = decl[key]
        if not decl.get("description"):
            issues.append(DocIssue(code="undocumented_param", param=pname, message="parameter has no description"))
        properties[pname] = schema
        # xlam convention: a parameter with a real default can be left out (the API fills it in),
        # even without ", optional"; "" is xlam's way of writing "no default".
        has_default = decl.get("default") not in (None, "")
        if not optional and not has_default:
            required.append(pname)
        if "default" in schema:
            _check_default(schema, tool, pname, issues)
    return {"type": "object", "properties": properties, "required": required}


def _check_default(schema: dict, tool: str, pname: str, issues: list[DocIssue]) -> None:
    from api_registry.validation import validate_value  # local: validation imports this module

    default = schema["default"]
    if default in ("", None):  # xlam writes "" for "no default"; None means "unset"
        return
    problems = validate_value(default, {k: v for k, v in schema.items() if k != "default"})
    if problems:
        issues.append(DocIssue(code="default_type_mismatch", param=pname,
                               message=f"default {default!r} does not match the declared type: {problems[0].message}"))


def _strip_null(schema: dict) -> dict:
    options = schema.get("anyOf")
    if options and any(o == {"type": "null"} for o in options):
        rest = [o for o in options if o != {"type": "null"}]
        merged = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**merged, **rest[0]} if len(rest) == 1 else {**merged, "anyOf": rest}
    return schema
