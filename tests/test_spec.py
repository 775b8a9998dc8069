"""ToolSpec normalization: xlam type strings and JSON-Schema/BFCL dialects become one JSON Schema."""

import json
from pathlib import Path

import pytest

from api_registry.spec import SpecError, ToolSpec
from api_registry.type_strings import TypeStringError, parse_type_string, schema_to_type_string

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("text, schema, optional", [
    ("str", {"type": "string"}, False),
    ("int, optional", {"type": "integer"}, True),
    ("List[int]", {"type": "array", "items": {"type": "integer"}}, False),
    ("Dict[str, Any]", {"type": "object", "additionalProperties": {}}, False),
    ("Optional[float]", {"anyOf": [{"type": "number"}, {"type": "null"}]}, True),
    ("Union[int, str]", {"anyOf": [{"type": "integer"}, {"type": "string"}]}, False),
    ("Tuple[int, str]", {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}],
                         "minItems": 2, "maxItems": 2}, False),
    ("List[List[float]]", {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}, False),
    ("any", {}, False),
    ("bool, optional", {"type": "boolean"}, True),
])
def test_type_strings(text, schema, optional):
    parsed = parse_type_string(text)
    assert parsed.schema == schema and parsed.optional == optional


@pytest.mark.parametrize("text", ["", "List[int", "Frobnicate", "int]"])
def test_bad_type_strings_are_errors(text):
    with pytest.raises(TypeStringError):
        parse_type_string(text)


def test_type_string_round_trip():
    for text in ("str", "int", "float", "bool", "List[int]", "Dict[str, float]", "Tuple[int, str]"):
        assert schema_to_type_string(parse_type_string(text).schema) == text


def test_xlam_and_bfcl_dialects_normalize_to_the_same_schema():
    xlam = ToolSpec(name="f", description="d", parameters={
        "a": {"type": "List[int]", "description": "x"}, "b": {"type": "str, optional", "description": "y", "default": "z"}})
    bfcl = ToolSpec(name="f", description="d", parameters={
        "type": "dict", "required": ["a"], "properties": {
            "a": {"type": "array", "items": {"type": "integer"}, "description": "x"},
            "b": {"type": "string", "description": "y", "default": "z"}}})
    assert xlam.parameters == bfcl.parameters
    assert xlam.required == ["a"] and xlam.dialect == "xlam" and bfcl.dialect == "json_schema"


def test_bfcl_type_names_are_mapped():
    spec = ToolSpec(name="f", parameters={"type": "dict", "properties": {
        "x": {"type": "float"}, "t": {"type": "tuple", "items": {"type": "integer"}}, "any": {"type": "any"}}})
    assert spec.properties["x"] == {"type": "number"}
    assert spec.properties["t"]["type"] == "array"
    assert spec.properties["any"] == {}


def test_xlam_doc_faults_become_doc_issues_not_errors():
    rows = [json.loads(line) for line in (DATA / "xlam" / "xlam_sample_15.jsonl").read_text().splitlines()]
    tools = {t["name"]: ToolSpec(**t) for r in rows for t in json.loads(r["tools"])}
    t3ma = {i.param: i.code for i in tools["t3ma"].doc_issues}
    assert t3ma.get("v_factor") == "default_type_mismatch"  # int parameter, float default (row 2)
    structural = {i.param: i.code for i in tools["structural_analysis"].doc_issues}
    assert structural.get("floor_numbers") == "default_type_mismatch"  # List[int] with a string default (row 13)


def test_xlam_parameter_named_type_is_not_mistaken_for_a_schema():
    spec = ToolSpec(name="g", parameters={"type": {"type": "str", "description": "kind", "default": "game"}})
    assert spec.dialect == "xlam" and spec.properties["type"]["type"] == "string"


@pytest.mark.parametrize("data, words", [
    ({"description": "no name"}, "no name"),
    ({"name": "f", "parameters": 3}, "must be an object"),
    ({"name": "f", "parameters": "{not json"}, "not valid JSON"),
    ({"name": "f", "parameters": {"type": "object", "properties": ["x"]}}, "must be an object"),
    ({"name": "f", "parameters": {"type": "object", "properties": {}, "required": "a"}}, "'required' must be a list"),
])
def test_unusable_specs_raise_with_the_tool_named(data, words):
    with pytest.raises((SpecError, ValueError)) as info:
        ToolSpec(**data)
    assert words in str(info.value)


def test_to_xlam_keeps_xlam_layout():
    spec = ToolSpec(name="f", description="d", parameters={
        "type": "object", "required": ["a"], "properties": {
            "a": {"type": "array", "items": {"type": "integer"}, "description": "x"},
            "b": {"type": "string", "enum": ["u", "v"], "description": "y"}}})
    assert spec.to_xlam() == {"name": "f", "description": "d", "parameters": {
        "a": {"description": "x", "type": "List[int]"},
        "b": {"description": "y", "type": "str, optional", "enum": ["u", "v"]}}}
    assert ToolSpec(**spec.to_xlam()).parameters == spec.parameters


def test_xlam_parameter_with_a_real_default_is_not_required():
    spec = ToolSpec(name="light_travel_time", parameters={
        "distance": {"type": "int", "description": "d", "default": 299792458},
        "symbol": {"type": "str", "description": "s", "default": ""},
        "limit": {"type": "int, optional", "description": "l"}})
    assert spec.required == ["symbol"]
