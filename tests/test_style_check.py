"""The style rule: each APIGen style's shape, one passing and the failing cases per style."""

from __future__ import annotations

import pytest

from api_registry.spec import ToolSpec
from apigen.models import FunctionCall, Style
from apigen.verify.style_check import check_style

WEATHER = ToolSpec(name="get_weather", description="Weather for a city.",
                   parameters={"type": "object", "properties": {"city": {"type": "string"}}})
QUOTE = ToolSpec(name="stock_quote", description="Price of a stock.",
                 parameters={"type": "object", "properties": {"symbol": {"type": "string"}}})


def calls(*names: str) -> list[dict]:
    return [{"name": n, "arguments": {}} for n in names]


@pytest.mark.parametrize("style, tools, names", [
    (Style.SIMPLE, [WEATHER], ["get_weather"]),
    (Style.SIMPLE, [WEATHER, QUOTE], ["stock_quote"]),          # simple asks only for one call
    (Style.MULTIPLE, [WEATHER, QUOTE], ["stock_quote"]),
    (Style.PARALLEL, [WEATHER], ["get_weather", "get_weather"]),
    (Style.PARALLEL, [WEATHER, QUOTE], ["get_weather"] * 3),
    (Style.PARALLEL_MULTIPLE, [WEATHER, QUOTE], ["get_weather", "stock_quote"]),
    (Style.PARALLEL_MULTIPLE, [WEATHER, QUOTE], ["get_weather", "stock_quote", "get_weather"]),
])
def test_calls_of_the_style_pass(style, tools, names):
    assert check_style(style, tools, calls(*names)) is None


@pytest.mark.parametrize("style, tools, names, holds", [
    (Style.SIMPLE, [WEATHER], ["get_weather", "get_weather"], "2 calls of 1 function (get_weather)"),
    (Style.SIMPLE, [WEATHER], [], "0 calls"),
    (Style.MULTIPLE, [WEATHER], ["get_weather"], "1 call of 1 function (get_weather), with 1 tool offered"),
    (Style.MULTIPLE, [WEATHER, QUOTE], ["get_weather", "stock_quote"], "2 calls of 2 functions"),
    (Style.PARALLEL, [WEATHER], ["get_weather"], "1 call of 1 function"),
    (Style.PARALLEL, [WEATHER, QUOTE], ["get_weather", "stock_quote"], "2 calls of 2 functions"),
    (Style.PARALLEL_MULTIPLE, [WEATHER, QUOTE], ["get_weather", "get_weather"], "2 calls of 1 function"),
    (Style.PARALLEL_MULTIPLE, [WEATHER, QUOTE], ["stock_quote"], "1 call of 1 function (stock_quote)"),
])
def test_calls_that_break_the_style_are_a_mismatch(style, tools, names, holds):
    finding = check_style(style, tools, calls(*names))
    assert finding is not None and finding.code == "style_mismatch" and finding.call is None
    assert f"a {style.value!r} row needs" in finding.message  # what the style needs ...
    assert holds in finding.message                            # ... and what the row holds


def test_message_says_what_each_style_needs():
    needs = {Style.SIMPLE: "exactly one call", Style.MULTIPLE: "two or more offered tools",
             Style.PARALLEL: "all of one function", Style.PARALLEL_MULTIPLE: "at least two different functions"}
    for style, need in needs.items():
        assert need in check_style(style, [WEATHER], []).message


def test_style_by_value_and_function_calls_are_accepted():
    two = [FunctionCall(name="get_weather", arguments={"city": "Paris"}),
           FunctionCall(name="get_weather", arguments={"city": "Rome"})]
    assert check_style("parallel", [WEATHER], two) is None
    assert check_style("simple", [WEATHER], two).code == "style_mismatch"


def test_a_tool_listed_twice_is_one_offered_tool():
    assert check_style(Style.MULTIPLE, [WEATHER, WEATHER], calls("get_weather")).code == "style_mismatch"
