"""Importers: every real BFCL / ToolBench / xlam tool doc imports, and bad entries fail one by one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api_registry.importers import ImportResult
from api_registry.importers.openai_tools import import_bfcl, import_openai_tools, specs_from_openai
from api_registry.importers.toolbench import import_toolbench, toolbench_name
from api_registry.importers.xlam import import_xlam, specs_from_xlam_tools
from api_registry.registry import Registry
from api_registry.spec import SpecError

DATA = Path(__file__).parent / "data"
BFCL_FILES = [DATA / "bfcl" / f"BFCL_v4_{name}.json" for name in ("simple_python", "multiple", "parallel", "parallel_multiple")]
TOOLBENCH_FILES = [DATA / "toolbench" / "instruction" / f"G{i}_query.json" for i in (1, 2, 3)] + [
    DATA / "toolbench" / "stabletoolbench" / "G1_instruction.json"]
XLAM_JSONL = DATA / "xlam" / "xlam_sample_15.jsonl"
XLAM_PARQUET = DATA / "xlam" / "xlam_arcee_subset_15rows.parquet"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _api_entries(path: Path) -> list[dict]:
    return [api for query in json.loads(path.read_text(encoding="utf-8")) for api in query["api_list"]]


def _entries(result: ImportResult) -> list[tuple[str, str | None]]:
    return [(e.source, e.entry) for e in result.errors]


# -- real data: everything imports -----------------------------------------------------------------

@pytest.mark.parametrize("path", BFCL_FILES, ids=lambda p: p.stem)
def test_every_bfcl_function_doc_imports(path):
    docs = [doc for row in _jsonl(path) for doc in row["function"]]
    names = {doc["name"] for doc in docs}
    result = import_bfcl(path)
    print(f"{path.name}: {len(docs)} function docs, {len(names)} distinct names, "
          f"{len(result.specs)} specs, {len(result.variants)} other docs under a kept name")
    assert result.errors == []
    assert len(result.specs) == len(names)
    assert {s.name for s in result.specs} == names
    assert all(s.source == "bfcl" and s.category == "bfcl" for s in result.specs)
    assert len(result.specs) + len(result.variants) <= len(docs)


def test_all_bfcl_files_together():
    names = {doc["name"] for path in BFCL_FILES for row in _jsonl(path) for doc in row["function"]}
    result = import_bfcl(*BFCL_FILES)
    print(f"BFCL total: {len(result.specs)} distinct functions")
    assert result.errors == []
    assert len(result.specs) == len(names) == 769
    spec = result.by_name()["triangle_properties.get"]  # BFCL's "dict"/"integer" became JSON Schema
    assert spec.parameters["type"] == "object"
    assert spec.required == ["side1", "side2", "side3"]
    assert spec.properties["side1"]["type"] == "integer"
    # The variant list names where the kept doc came from.
    assert all("kept the one at" in v.message for v in result.variants)


@pytest.mark.parametrize("path", TOOLBENCH_FILES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_every_toolbench_api_imports(path):
    entries = _api_entries(path)
    pairs = {(a["tool_name"], a["api_name"]) for a in entries}
    identities = {(a["category_name"], a["tool_name"], a["api_name"]) for a in entries}
    result = import_toolbench(path)
    print(f"{path.name}: {len(entries)} api_list entries, {len(pairs)} distinct (tool, api), "
          f"{len(identities)} distinct (category, tool, api), {len(result.specs)} specs")
    assert result.errors == []
    assert len(result.specs) == len(identities)
    assert set(result.rest) == {s.name for s in result.specs}
    assert {s.category for s in result.specs} == {a["category_name"] for a in entries}
    for spec in result.specs:
        assert re.fullmatch(r"[a-z0-9_]{1,64}", spec.name), spec.name
        assert spec.source == "toolbench"
        assert "_for_" in spec.name


def test_all_toolbench_files_together():
    entries = [a for path in TOOLBENCH_FILES for a in _api_entries(path)]
    pairs = {(a["tool_name"], a["api_name"]) for a in entries}
    identities = {(a["category_name"], a["tool_name"], a["api_name"]) for a in entries}
    result = import_toolbench(*TOOLBENCH_FILES)
    print(f"ToolBench total: {len(entries)} api_list entries, {len(pairs)} distinct (tool, api), "
          f"{len(identities)} distinct (category, tool, api), {len(result.specs)} specs")
    assert result.errors == []
    assert len(result.specs) == len(identities) == 846
    assert len(pairs) == 836  # "👋 Demo Project" is a different tool in Media, Sports and Events
    assert len({s.name for s in result.specs}) == len(result.specs)

    specs = result.by_name()
    assert specs["checkhealth_for_squake"].category == "Logistics"
    assert result.rest["checkhealth_for_squake"].method == "GET"
    demo = sorted(n for n in specs if n.startswith("get_order_for_demo_project") and "v2" not in n)
    assert demo == ["get_order_for_demo_project", "get_order_for_demo_project_2", "get_order_for_demo_project_3"]
    # Parameter names are snake-cased like ToolBench; the RestApi keeps the name the API expects.
    spec, rest = specs["user_by_id_for_reqres_dont_change"], result.rest["user_by_id_for_reqres_dont_change"]
    assert spec.required == ["is_id"] and spec.properties["array"]["type"] == "array"
    assert rest.wire_names == {"is_id": "id", "array": "array[]"}
    assert [i.code for i in spec.doc_issues] == ["duplicate_param"]  # the source declares array[] twice


def test_toolbench_naming():
    assert toolbench_name("SQUAKE", "Checkhealth") == "checkhealth_for_squake"
    assert toolbench_name("👋 Demo Project", "Get Order") == "get_order_for_demo_project"
    assert toolbench_name("Numbers", "2fa code") == "get_2fa_code_for_numbers"
    assert toolbench_name("t", "from") == "is_from_for_t"
    assert len(toolbench_name("x" * 80, "y")) == 64


@pytest.mark.parametrize("path", [XLAM_JSONL, XLAM_PARQUET], ids=["jsonl", "parquet"])
def test_xlam_rows_import(path):
    rows = _jsonl(XLAM_JSONL)
    names = {tool["name"] for row in rows for tool in json.loads(row["tools"])}
    result = import_xlam(path)
    assert result.errors == [] and result.variants == []
    assert {s.name for s in result.specs} == names
    assert all(s.dialect == "xlam" and s.source == "xlam" for s in result.specs)
    specs = result.by_name()
    # The documented imperfections are warnings on the tool, not import errors.
    assert any(i.code == "default_type_mismatch" and i.param == "v_factor" for i in specs["t3ma"].doc_issues)
    assert any(i.code == "default_type_mismatch" for i in specs["structural_analysis"].doc_issues)


def test_xlam_parquet_matches_jsonl():
    dump = lambda r: [s.model_dump() for s in r.specs]  # noqa: E731
    assert dump(import_xlam(XLAM_JSONL)) == dump(import_xlam(XLAM_PARQUET))


def test_xlam_parquet_with_tools_as_a_list(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": r["id"], "query": r["query"], "tools": json.loads(r["tools"])} for r in _jsonl(XLAM_JSONL)[:2]]
    path = tmp_path / "structs.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)  # tools become list<struct>, absent keys null
    result = import_xlam(path)
    assert result.errors == []
    expected = [spec for row in rows for spec in specs_from_xlam_tools(row["tools"])]
    assert [s.model_dump() for s in result.specs] == [s.model_dump() for s in expected]


def test_specs_from_xlam_tools_accepts_string_or_list():
    tools = _jsonl(XLAM_JSONL)[2]["tools"]
    from_string, from_list = specs_from_xlam_tools(tools), specs_from_xlam_tools(json.loads(tools))
    assert [s.name for s in from_string] == [t["name"] for t in json.loads(tools)]
    assert from_string == from_list
    with pytest.raises(SpecError, match="tools"):
        specs_from_xlam_tools('[{"name": "x", "parameters": 3}]')


def test_openai_tools_entries_and_bare_docs():
    result = specs_from_openai([
        {"type": "function", "function": {"name": "get_weather", "description": "Weather now.",
                                          "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                         "required": ["city"]}}},
        {"name": "ping", "description": "Liveness.", "parameters": {"type": "object", "properties": {}}},
        {"name": "no_params"},
    ])
    assert result.errors == []
    assert [s.name for s in result.specs] == ["get_weather", "ping", "no_params"]
    assert result.specs[0].required == ["city"] and result.specs[0].source == "openai"


# -- bad input: one error per bad entry, naming file and entry; the rest loads -------------------

def test_bad_openai_tools_file(tmp_path):
    good = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}
    path = tmp_path / "tools.json"
    path.write_text(json.dumps([
        {"type": "function", "function": {"name": "good_a", "description": "A.", "parameters": good}},
        {"description": "has no name", "parameters": good},
        {"name": "bad_params", "parameters": 5},
        {"name": "bad_required", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}, "required": "x"}},
        {"name": "good_a", "description": "again", "parameters": good},
        {"name": "good_b", "parameters": good},
        "not a tool",
        {"type": "retrieval"},
    ]))
    result = import_openai_tools(path)
    assert [s.name for s in result.specs] == ["good_a", "good_b"]
    assert _entries(result) == [("tools.json", "#1"), ("tools.json", "#2 bad_params"), ("tools.json", "#3 bad_required"),
                                ("tools.json", "#4 good_a"), ("tools.json", "#6"), ("tools.json", "#7")]
    messages = [e.message for e in result.errors]
    assert "no name" in messages[0]
    assert "parameters must be an object" in messages[1]
    assert "'required' must be a list" in messages[2]
    assert "duplicate name 'good_a'" in messages[3] and "#0 good_a" in messages[3]
    assert "must be an object" in messages[4]
    assert "unsupported tool type" in messages[5]
    assert "Value error" not in " ".join(messages)  # pydantic's framing is stripped


def test_tools_file_as_object_and_jsonl(tmp_path):
    obj = tmp_path / "wrapped.json"
    obj.write_text(json.dumps({"tools": [{"name": "a"}, {"name": "b"}]}))
    assert [s.name for s in import_openai_tools(obj).specs] == ["a", "b"]
    lines = tmp_path / "tools.jsonl"
    lines.write_text('{"name": "a"}\n{"name": broken\n{"name": "c"}\n')
    result = import_openai_tools(lines)
    assert [s.name for s in result.specs] == ["a", "c"]
    assert _entries(result) == [("tools.jsonl", "#1 (line 2)")]


def test_unreadable_file_is_one_error(tmp_path):
    result = import_openai_tools(tmp_path / "missing.json")
    assert result.specs == [] and _entries(result) == [("missing.json", None)]


def test_bad_bfcl_rows(tmp_path):
    path = tmp_path / "BFCL_bad.json"
    rows = [{"id": "r0", "function": [{"name": "ok_fn", "parameters": {"type": "dict", "properties": {}}}]},
            {"id": "r1", "question": []},
            {"id": "r2", "function": [{"description": "nameless"}, {"name": "bad", "parameters": "[1"}]},
            {"id": "r3", "function": [{"name": "ok_fn", "parameters": {"type": "dict", "properties": {}}}]}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = import_bfcl(path)
    assert [s.name for s in result.specs] == ["ok_fn"]  # the identical repeat in r3 is silent
    assert _entries(result) == [("BFCL_bad.json", "#1 r1"), ("BFCL_bad.json", "#2 r2"), ("BFCL_bad.json", "#2 r2/bad")]
    assert result.variants == []


def test_bad_xlam_rows(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"id": 0, "tools": json.dumps([{"name": "fine", "description": "d",
                                            "parameters": {"q": {"type": "str", "description": "q"}}}])},
            {"id": 1, "tools": "[{not json"},
            {"id": 2, "tools": json.dumps([{"name": "bad_param", "parameters": {"q": "str"}}, {"description": "x"}])},
            {"id": 3, "query": "no tools"},
            {"id": 4, "tools": json.dumps([{"name": "fine", "description": "other doc", "parameters": {}}])}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = import_xlam(path)
    assert [s.name for s in result.specs] == ["fine"]
    assert _entries(result) == [("rows.jsonl", "#1"), ("rows.jsonl", "#2 bad_param"), ("rows.jsonl", "#2 tools[1]"),
                                ("rows.jsonl", "#3")]
    assert [(v.entry, v.message) for v in result.variants] == [("#4 fine", "another doc for 'fine'; kept the one at rows.jsonl: #0 fine")]


def test_bad_toolbench_entries(tmp_path):
    def api(tool="Weather API", name="Get Forecast", category="Weather", **extra):
        return {"category_name": category, "tool_name": tool, "api_name": name, "api_description": "Forecast.",
                "required_parameters": [{"name": "city", "type": "STRING", "description": "City", "default": "Paris"}],
                "optional_parameters": [{"name": "days", "type": "NUMBER", "description": "", "default": "3"},
                                        {"name": "geo", "type": "GEOPOINT (latitude, longitude)", "description": "", "default": ""}],
                "method": "GET", **extra}
    queries = [
        {"query": "q0", "api_list": [api(), api(template_response={"a": "str"})]},  # same API, other sample: silent
        {"query": "q1", "api_list": [api(name=""), api(api_description="Something else."), "junk"]},
        {"query": "q2"},
        {"query": "q3", "api_list": [api(category="Travel"), api(name="Bad Params", required_parameters={"city": "x"})]},
    ]
    path = tmp_path / "G1_query.json"
    path.write_text(json.dumps(queries))
    result = import_toolbench(path)
    assert _entries(result) == [("G1_query.json", "#1 Weather API/"), ("G1_query.json", "#1 Weather API/Get Forecast"),
                                ("G1_query.json", "#1"), ("G1_query.json", "#2"), ("G1_query.json", "#3 Weather API/Bad Params")]
    assert "conflicting definition" in result.errors[1].message and "#0 Weather API/Get Forecast" in result.errors[1].message
    assert [s.name for s in result.specs] == ["get_forecast_for_weather_api", "get_forecast_for_weather_api_2"]
    spec = result.specs[0]
    assert spec.category == "Weather" and result.specs[1].category == "Travel"
    assert spec.required == ["city"]
    assert spec.properties["days"] == {"type": "number", "default": 3}
    assert spec.properties["city"]["examples"] == ["Paris"]
    assert "type" not in spec.properties["geo"]
    assert [(i.code, i.param) for i in spec.doc_issues] == [("unknown_type", "geo")]
    rest = result.rest["get_forecast_for_weather_api"]
    assert rest.query_params == ("city", "days", "geo") and rest.credentials == "rapidapi"
    assert rest.url_template.endswith("/Weather/Weather%20API/Get%20Forecast")


def test_functions_module_errors(tmp_path):
    broken = tmp_path / "broken_functions.py"
    broken.write_text("import module_that_does_not_exist_xyz\n\ndef never(): pass\n")
    good = tmp_path / "good_functions.py"
    good.write_text('def add(a: int, b: int) -> int:\n    """Add two integers."""\n    return a + b\n\n'
                    'def odd(z: complex) -> complex:\n    """Cannot be described in JSON Schema."""\n    return z\n')
    dup = tmp_path / "dup_functions.py"
    dup.write_text('def add(x: float) -> float:\n    """Another add."""\n    return x\n\n'
                   'def mul(a: int, b: int) -> int:\n    """Multiply."""\n    return a * b\n')
    registry = Registry()
    registry.add_functions_file(broken)
    registry.add_functions_file(good)
    registry.add_functions_file(dup)
    assert sorted(registry.functions) == ["add", "mul"]
    assert registry.functions["add"].spec.category == "good_functions"
    errors = [(Path(e.source).name, e.entry, e.message) for e in registry.errors]
    assert errors[0][:2] == ("broken_functions.py", None) and "module_that_does_not_exist_xyz" in errors[0][2]
    assert errors[1][:2] == ("good_functions.py", "odd") and "cannot describe" in errors[1][2]
    assert errors[2][:2] == ("dup_functions.py", "add") and "duplicate name" in errors[2][2]
    assert len(errors) == 3


def test_toolbench_parameter_names_that_collide(tmp_path):
    params = [{"name": "page-size", "type": "NUMBER", "description": "", "default": ""},
              {"name": "page_size", "type": "NUMBER", "description": "", "default": ""}]
    api = {"category_name": "Data", "tool_name": "Pager", "api_name": "List", "api_description": "Lists.",
           "required_parameters": [], "optional_parameters": params, "method": "GET"}
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"api_list": [api]}]))
    result = import_toolbench(path)
    assert result.errors == []
    assert list(result.specs[0].properties) == ["page_size", "page_size_2"]
    assert result.rest["list_for_pager"].wire_names == {"page_size": "page-size", "page_size_2": "page_size"}
    assert [i.code for i in result.specs[0].doc_issues] == ["renamed_param"]
