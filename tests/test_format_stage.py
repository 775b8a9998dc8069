"""Stage 1 on hand-made answers: one case per error code, and the int/float/bool rules."""

import pytest

from api_registry.spec import ToolSpec
from apigen.models import Provenance, Sample, Style
from apigen.stages import run_format
from apigen.verify.format_check import check_format

TOOLS = [ToolSpec(name="get_weather", description="Weather for a city.", parameters={
    "type": "object", "required": ["city"], "properties": {
        "city": {"type": "string", "description": "City name"},
        "days": {"type": "integer", "description": "How many days", "default": 1},
        "unit": {"type": "string", "enum": ["C", "F"], "description": "Unit"},
        "scale": {"type": "number", "description": "A factor"},
        "tags": {"type": "array", "items": {"type": "string"}, "description": "Tags"}}})]
QUERY = "What's the weather in Paris for 3 days?"


def codes(answers, query=QUERY):
    return [(e.code, e.call) for e in check_format(query, TOOLS, answers).errors]


def test_valid_answer_passes():
    result = check_format(QUERY, TOOLS, [{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}])
    assert result.status == "passed" and not result.errors


@pytest.mark.parametrize("answers, expected", [
    ('[{"name": "get_weather", "arguments": {"city": "Paris"}', [("json_invalid", None)]),
    ({"name": "get_weather", "arguments": {"city": "Paris"}}, [("not_a_list", None)]),
    ([], [("no_calls", None)]),
    (["get_weather"], [("call_not_object", 0)]),
    ([{"arguments": {}}], [("missing_name", 0)]),
    ([{"name": "get_weather", "arguments": [1]}], [("arguments_not_object", 0)]),
    ([{"name": "get_forecast", "arguments": {"city": "Paris"}}], [("unknown_function", 0)]),
    ([{"name": "get_weather", "arguments": {"days": 3}}], [("missing_required_param", 0)]),
    ([{"name": "get_weather", "arguments": {"city": "Paris", "country": "FR"}}], [("unknown_param", 0)]),
    ([{"name": "get_weather", "arguments": {"city": "Paris", "days": "3"}}], [("type_mismatch", 0)]),
    ([{"name": "get_weather", "arguments": {"city": "Paris", "unit": "K"}}], [("enum_violation", 0)]),
    ([{"name": "get_weather", "arguments": {"city": "Paris", "tags": ["a", 2]}}], [("type_mismatch", 0)]),
    ([{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "nope", "arguments": {}}], [("unknown_function", 1)]),
])
def test_each_fault_has_its_code_and_call_index(answers, expected):
    assert codes(answers) == expected


def test_every_failure_is_collected_not_only_the_first():
    found = codes([{"name": "get_weather", "arguments": {"days": "x", "unit": "K", "extra": 1}}])
    assert sorted(c for c, _ in found) == ["enum_violation", "missing_required_param", "type_mismatch", "unknown_param"]


def test_int_is_a_number_but_bool_is_not_an_int():
    assert codes([{"name": "get_weather", "arguments": {"city": "Paris", "scale": 2}}]) == []
    assert codes([{"name": "get_weather", "arguments": {"city": "Paris", "days": True}}]) == [("type_mismatch", 0)]
    assert codes([{"name": "get_weather", "arguments": {"city": "Paris", "scale": False}}]) == [("type_mismatch", 0)]


def test_answers_as_json_string_and_openai_string_arguments_are_read():
    assert codes('[{"name": "get_weather", "arguments": {"city": "Paris"}}]') == []
    assert codes([{"name": "get_weather", "arguments": '{"city": "Paris"}'}]) == []


def test_unrequested_default_is_a_warning_not_an_error():
    result = check_format("Weather in Paris please", TOOLS, [{"name": "get_weather", "arguments": {"city": "Paris", "days": 1}}])
    assert result.status == "passed"
    assert [w.code for w in result.warnings] == ["default_value_unrequested"]


def test_tool_documentation_faults_are_warnings():
    tool = ToolSpec(name="t3ma", parameters={"v": {"type": "int", "description": "v", "default": 0.7}})
    result = check_format("t3ma with v 1", [tool], [{"name": "t3ma", "arguments": {"v": 1}}])
    assert result.status == "passed"
    assert "tool_default_type_mismatch" in [w.code for w in result.warnings]


# --- the style rule, wired into the stage ---------------------------------------------------------

QUOTE = ToolSpec(name="stock_quote", description="Price of a stock.", parameters={
    "type": "object", "required": ["symbol"], "properties": {"symbol": {"type": "string", "description": "Symbol"}}})
PARIS = {"name": "get_weather", "arguments": {"city": "Paris"}}
ROME = {"name": "get_weather", "arguments": {"city": "Rome"}}


def test_a_row_that_breaks_its_style_fails_with_style_mismatch():
    result = check_format("Weather in Paris and Rome", TOOLS, [PARIS], style="parallel")
    assert result.status == "failed" and result.codes == ["style_mismatch"]
    assert "'parallel' row needs two or more calls" in result.errors[0].message
    assert check_format("Weather in Paris and Rome", TOOLS, [PARIS, ROME], style="parallel").status == "passed"
    assert check_format("Weather in Paris", TOOLS, [PARIS], style=Style.MULTIPLE).codes == ["style_mismatch"]
    assert check_format("Weather in Paris", TOOLS + [QUOTE], [PARIS], style=Style.MULTIPLE).status == "passed"


def test_without_a_style_there_is_no_style_check():
    assert check_format("Weather in Paris and Rome", TOOLS, [PARIS, ROME]).status == "passed"
    assert check_format("Weather in Paris and Rome", TOOLS, [PARIS, ROME], style=None).status == "passed"


@pytest.mark.parametrize("answers, expected", [
    ('[{"name": "get_weather"', ["json_invalid"]),
    ([], ["no_calls"]),
    ([{"name": "get_forecast", "arguments": {"city": "Paris"}}], ["unknown_function"]),
    ([{"name": "get_weather", "arguments": {"days": 3}}], ["missing_required_param"]),
    ([{"name": "get_weather", "arguments": {"city": "Paris", "days": "3"}}], ["type_mismatch"]),
])
def test_style_mismatch_is_not_piled_on_malformed_calls(answers, expected):
    assert check_format(QUERY, TOOLS, answers, style=Style.PARALLEL).codes == expected


def test_an_allowed_empty_answer_is_not_a_style_fault():
    assert check_format(QUERY, TOOLS, [], allow_no_call=True, style=Style.SIMPLE).status == "passed"


def test_run_format_checks_the_style_of_generated_rows_only():
    provenance = Provenance(style=Style.PARALLEL, category="weather", generator_model="m", prompt_version="p",
                            seed=0, request_index=0, pair_index=0)
    generated = Sample(key="a", query="Weather in Paris and Rome", tools=TOOLS, answers=[PARIS], provenance=provenance)
    imported = Sample(key="b", query="Weather in Paris and Rome", tools=TOOLS, answers=[PARIS])  # `apigen verify`
    checked, verified = run_format([generated, imported])
    assert checked.verdicts["format"].codes == ["style_mismatch"]
    assert verified.verdicts["format"].status == "passed"
