"""Import ToolBench / StableToolBench ``api_list`` entries (RapidAPI endpoints) as ToolSpecs plus RestApis.

Names follow ToolBench (``<api_name>_for_<tool_name>``, snake-cased, at most 64 characters; parameter
names snake-cased too, ``from``/``id``/... prefixed with ``is_``), so specs line up with ToolBench
trajectories. An API is identified by (category, tool, api): the same API repeated in many queries
is one spec, silently; the same identity with a different doc is an error. Different tools that
snake-case to the same name (RapidAPI has many "Demo Project" tools) get ``_2``, ``_3``, ... .
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from api_registry.importers import ImportResult, SpecCollector, as_paths, describe_error, read_records
from api_registry.rest import RestApi, RestAuth
from api_registry.spec import DocIssue, SpecError, ToolSpec

SOURCE = "toolbench"
MAX_NAME = 64  # OpenAI's limit on function names; ToolBench keeps the last 64 characters
# api_list has no endpoint URLs (those live in ToolBench's toolenv), so RestApis point at a mirror
# serving ``<base>/<category>/<tool>/<api>``, e.g. a local StableToolBench-style cache server.
DEFAULT_BASE_URL = "http://127.0.0.1:8080/toolbench"
CREDENTIALS = "rapidapi"

_TYPES: dict[str, dict[str, Any]] = {
    "STRING": {"type": "string"},
    "NUMBER": {"type": "number"},
    "INTEGER": {"type": "integer"},
    "FLOAT": {"type": "number"},
    "BOOLEAN": {"type": "boolean"},
    "ARRAY": {"type": "array"},
    "LIST": {"type": "array"},
    "OBJECT": {"type": "object"},
    "JSON": {"type": "object"},
    "ENUM": {"type": "string"},  # RapidAPI's ENUM carries no values in api_list
    "DATE (YYYY-MM-DD)": {"type": "string", "format": "date"},
    "TIME (24-HOUR HH:MM)": {"type": "string", "format": "time"},
}
_RENAMED = {"from", "class", "return", "false", "true", "id", "and"}  # ToolBench's change_name


def standardize(text: str) -> str:
    """ToolBench's ``standardize``, ASCII only: non-word runs -> ``_``, lower case, no edge ``_``."""
    text = re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9_]", "_", text)).lower().strip("_")
    return f"get_{text}" if text[:1].isdigit() else text


def toolbench_name(tool_name: str, api_name: str) -> str:
    api = standardize(api_name) or "api"
    api = f"is_{api}" if api in _RENAMED else api
    return f"{api}_for_{standardize(tool_name) or 'tool'}"[-MAX_NAME:].lstrip("_")


def import_toolbench(*paths: str | Path, base_url: str = DEFAULT_BASE_URL) -> ImportResult:
    """Every distinct API in the ``api_list`` of every query of ToolBench instruction files."""
    importer = _Importer(base_url)
    for path in as_paths(paths):
        for index, query in _queries(path, importer.collector):
            for api in query:
                importer.add(api, path.name, index)
    return importer.collector.result


def _queries(path: Path, collector: SpecCollector):
    """``(query index, api_list)``; a query without an ``api_list`` is an error."""
    for index, query in read_records(path, collector):
        apis = query.get("api_list") if isinstance(query, dict) else None
        if not isinstance(apis, list):
            collector.error(path.name, f"#{index}", "query has no 'api_list' list")
            continue
        yield index, apis


class _Importer:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.collector = SpecCollector(strict=True)
        self._seen: dict[tuple[str, str, str], tuple[str, str]] = {}  # identity -> (fingerprint, where)
        self._taken: set[str] = set()

    def add(self, api: Any, source: str, index: int) -> None:
        if not isinstance(api, dict):
            self.collector.error(source, f"#{index}", f"api_list entry must be an object, got {type(api).__name__}")
            return
        tool, name, category = api.get("tool_name"), api.get("api_name"), api.get("category_name")
        entry = f"#{index} {tool}/{name}"
        if not (isinstance(tool, str) and tool.strip() and isinstance(name, str) and name.strip()):
            self.collector.error(source, entry, "entry needs a non-empty 'tool_name' and 'api_name'")
            return
        identity = (category if isinstance(category, str) else "", tool, name)
        fingerprint = _fingerprint(api)
        if identity in self._seen:
            first, where = self._seen[identity]
            if first != fingerprint:
                self.collector.error(source, entry, f"conflicting definition of {tool}/{name}; kept the one at {where}")
            return
        try:
            spec, rest = self._convert(api, identity)
        except (SpecError, ValueError, TypeError) as exc:
            self.collector.error(source, entry, describe_error(exc))
            return
        self._seen[identity] = (fingerprint, f"{source}: {entry}")
        self._taken.add(spec.name)
        self.collector.add(spec, source, entry, rest=rest)

    def _convert(self, api: dict, identity: tuple[str, str, str]) -> tuple[ToolSpec, RestApi]:
        category, tool, api_name = identity
        spec_name = _unique(toolbench_name(tool, api_name), self._taken)
        properties: dict[str, dict] = {}
        required: list[str] = []
        wire: dict[str, str] = {}
        issues: list[DocIssue] = []
        for group, is_required in (("required_parameters", True), ("optional_parameters", False)):
            params = api.get(group) or []
            if not isinstance(params, list):
                raise SpecError(f"{group!r} must be a list")
            for param in params:
                pname, schema = _param(param, is_required, issues)
                if pname in properties and wire[pname] == param["name"]:
                    issues.append(DocIssue(code="duplicate_param", param=pname,
                                           message=f"parameter {param['name']!r} is declared twice; the first is kept"))
                    continue
                if pname in properties:
                    renamed = _unique(pname, set(properties))
                    message = f"{param['name']!r} and {wire[pname]!r} both snake-case to {pname!r}"
                    issues.append(DocIssue(code="renamed_param", param=renamed, message=message))
                    pname = renamed
                properties[pname] = schema
                wire[pname] = param["name"]
                if is_required:
                    required.append(pname)
        description = str(api.get("api_description") or "").strip()
        if not description:
            issues.append(DocIssue(code="undocumented_tool", message="the API has no description"))
            description = f'"{api_name}" endpoint of the {tool} API'
        spec = ToolSpec(name=spec_name, description=description, category=category or None, source=SOURCE,
                        parameters={"type": "object", "properties": properties, "required": required})
        if issues:
            spec = spec.model_copy(update={"doc_issues": spec.doc_issues + tuple(issues)})
        method = str(api.get("method") or "GET").upper()
        names = tuple(properties)
        rest = RestApi(name=spec_name, method=method,
                       url_template="/".join([self.base_url] + [quote(p, safe="") for p in identity]),
                       query_params=names if method in ("GET", "DELETE", "HEAD") else (),
                       body_params=() if method in ("GET", "DELETE", "HEAD") else names,
                       wire_names={k: v for k, v in wire.items() if k != v},
                       credentials=CREDENTIALS, auth=RestAuth(name="X-RapidAPI-Key"))
        return spec, rest


def _param(param: Any, is_required: bool, issues: list[DocIssue]) -> tuple[str, dict]:
    if not isinstance(param, dict) or not isinstance(param.get("name"), str) or not param["name"].strip():
        raise SpecError(f"parameter without a name: {param!r}")
    pname = standardize(param["name"]) or "param"
    pname = f"is_{pname}" if pname in _RENAMED else pname
    raw_type = param.get("type")
    known = _TYPES.get(raw_type.strip().upper()) if isinstance(raw_type, str) else None
    if known is None:
        issues.append(DocIssue(code="unknown_type", param=pname,
                               message=f"unknown type {raw_type!r}; any value is accepted"))
    schema = dict(known or {})
    if param.get("description"):
        schema["description"] = str(param["description"])
    default = param.get("default")
    if default not in (None, ""):
        value = _coerce(default, schema.get("type"))
        if is_required:
            schema["examples"] = [value]  # a required parameter's "default" is an example value
        else:
            schema["default"] = value
    return pname, schema


def _coerce(value: Any, kind: str | None) -> Any:
    """RapidAPI writes every default as a string; give it the declared type when it reads as one."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() and re.fullmatch(r"-?\d+", text) else number
        if kind == "integer" and re.fullmatch(r"-?\d+", text):
            return int(text)
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind in ("array", "object"):
            parsed = json.loads(text)
            return parsed if isinstance(parsed, list if kind == "array" else dict) else value
    except ValueError:
        return value
    return value


def _fingerprint(api: dict) -> str:
    """What makes two entries the same API: the doc, not the sample response or parameter order."""
    def params(group: str) -> list:
        items = api.get(group) or []
        if not isinstance(items, list):
            return items
        return sorted(items, key=lambda p: json.dumps(p, sort_keys=True, default=str))
    return json.dumps({"description": api.get("api_description"), "method": api.get("method"),
                       "required": params("required_parameters"), "optional": params("optional_parameters")},
                      sort_keys=True, default=str)


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = f"{name[-(MAX_NAME - len(suffix)):]}{suffix}".lstrip("_")
        if candidate not in taken:
            return candidate
        n += 1
