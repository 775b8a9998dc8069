"""Values a schema proposes itself (api_registry.schema_examples) and the arguments built from them."""

from __future__ import annotations

import random
import time

import pytest

from api_registry.arguments import default_arguments, example_arguments
from api_registry.schema_examples import MAX_DESCRIPTION, MAX_VALUES, candidate_values
from api_registry.validation import validate_value

# mcp-server-time 2026.10.19's tools/list, as api_registry.importers.mcp_server reads it (copied literally).
GET_CURRENT_TIME = {'properties': {'timezone': {'description': "IANA timezone name (e.g., 'America/New_York', 'Europe/London'). Use 'Etc/UTC' as local timezone if no timezone provided by the user.", 'title': 'Timezone', 'type': 'string'}}, 'required': ['timezone'], 'type': 'object', 'title': 'get_current_timeArguments'}  # noqa: E501
CONVERT_TIME = {'properties': {'source_timezone': {'description': "Source IANA timezone name (e.g., 'America/New_York', 'Europe/London'). Use 'Etc/UTC' as local timezone if no source timezone provided by the user.", 'title': 'Source Timezone', 'type': 'string'}, 'time': {'description': 'Time to convert in 24-hour format (HH:MM)', 'title': 'Time', 'type': 'string'}, 'target_timezone': {'description': "Target IANA timezone name (e.g., 'Asia/Tokyo', 'America/San_Francisco'). Use 'Etc/UTC' as local timezone if no target timezone provided by the user.", 'title': 'Target Timezone', 'type': 'string'}}, 'required': ['source_timezone', 'time', 'target_timezone'], 'type': 'object', 'title': 'convert_timeArguments'}  # noqa: E501


def test_mcp_time_zones_come_from_the_description():
    timezone = GET_CURRENT_TIME["properties"]["timezone"]
    assert candidate_values(timezone) == ["America/New_York", "Europe/London", "Etc/UTC"]
    assert candidate_values(CONVERT_TIME["properties"]["target_timezone"]) == \
        ["Asia/Tokyo", "America/San_Francisco", "Etc/UTC"]  # not a real zone: the server may reject it


def test_mcp_time_placeholder_gives_clock_times():
    assert candidate_values(CONVERT_TIME["properties"]["time"]) == ["09:30", "14:45"]


def test_mcp_tools_default_and_example_arguments():
    assert default_arguments(GET_CURRENT_TIME) == {"timezone": "America/New_York"}
    assert default_arguments(CONVERT_TIME) == {"source_timezone": "America/New_York", "time": "09:30",
                                               "target_timezone": "Asia/Tokyo"}
    seen = {example_arguments(CONVERT_TIME, random.Random(seed))["target_timezone"] for seed in range(40)}
    assert seen == {"Asia/Tokyo", "America/San_Francisco", "Etc/UTC"}  # rng chooses among all of them


def test_declared_values_come_in_order_examples_example_default_enum_then_description():
    schema = {"type": "string", "examples": ["a", "b"], "example": "c", "default": "d",
              "enum": ["e", "d", "a", "c", "b"], "description": "A letter, e.g. 'c'."}
    assert candidate_values(schema) == ["a", "b", "c", "d", "e"]  # each once, at its first place
    described = {"type": "string", "examples": ["a"], "default": "b", "description": "e.g. 'c'"}
    assert candidate_values(described) == ["a", "b", "c"]


def test_const_is_the_only_value():
    schema = {"type": "string", "const": "v1", "examples": ["v2"], "default": "v1", "description": "e.g. 'v3'"}
    assert candidate_values(schema) == ["v1"]


def test_enum_limits_what_else_is_proposed():
    schema = {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "kelvin",
              "description": "Unit, e.g. 'celsius' or 'rankine'."}
    assert candidate_values(schema) == ["celsius", "fahrenheit"]


def test_candidates_that_break_the_schema_are_dropped():
    assert candidate_values({"type": "string", "pattern": "^[A-Z]{3}$",
                             "examples": ["usd", "EUR"], "description": "e.g. 'dollars', 'GBP'"}) == ["EUR", "GBP"]
    assert candidate_values({"type": "integer", "minimum": 1, "maximum": 100,
                             "examples": [0, 5, 101], "default": -3}) == [5]
    assert candidate_values({"type": "number", "exclusiveMinimum": 0, "examples": [0, 0.5]}) == [0.5]
    assert candidate_values({"type": "string", "maxLength": 3, "examples": ["abcd", "abc"]}) == ["abc"]
    assert candidate_values({"type": "integer", "examples": ["7", 7.5, True, None, 8]}) == [8]


def test_bounds_inside_an_optional_are_kept():
    schema = {"anyOf": [{"type": "integer", "minimum": 10}, {"type": "null"}], "default": None,
              "description": "Page size, e.g. 5 or 20."}
    assert candidate_values(schema) == [20]


def test_description_numbers_are_read_as_the_declared_type():
    assert candidate_values({"type": "integer", "description": "How many results, e.g. 42 or '7'."}) == [42, 7]
    assert candidate_values({"type": "number", "description": "A ratio (for example 0.25)."}) == [0.25]
    assert candidate_values({"type": "boolean", "description": "Verbose output, e.g. 'true'."}) == [True]
    assert candidate_values({"type": "string", "description": "A year, e.g. 2024."}) == []  # a bare number is no string


def test_only_quoted_tokens_in_an_example_phrase_count():
    description = "The user's 'handle' is needed. Names such as 'ada' or \"grace\" (not 'root'). Like `x`; 'y'."
    assert candidate_values({"type": "string", "description": description}) == ["ada", "grace", "root", "x"]


def test_examples_inside_a_parenthesis_end_with_it():
    description = "A city (e.g. 'Paris', 'Oslo') and never 'Atlantis'."
    assert candidate_values({"type": "string", "description": description}) == ["Paris", "Oslo"]


@pytest.mark.parametrize("schema, expected", [
    ({"type": "string", "format": "date"}, "2024-03-15"),
    ({"type": "string", "format": "date-time"}, "2024-03-15T09:30:00Z"),
    ({"type": "string", "format": "time"}, "09:30:00"),
    ({"type": "string", "format": "email"}, "alice@example.com"),
    ({"type": "string", "format": "uri"}, "https://example.com"),
    ({"type": "string", "format": "url"}, "https://example.com"),
    ({"type": "string", "format": "uuid"}, "123e4567-e89b-12d3-a456-426614174000"),
    ({"type": "string", "format": "ipv4"}, "192.168.1.10"),
    ({"type": "string", "description": "Start date as YYYY-MM-DD."}, "2024-03-15"),
    ({"type": "string", "description": "Birthday (mm/dd/yyyy)"}, "03/15/2024"),
    ({"type": "string", "description": "Alarm time, HH:MM:SS"}, "09:30:00"),
    ({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}, "2024-03-15"),
])
def test_formats_and_placeholders_give_concrete_values(schema, expected):
    assert candidate_values(schema)[0] == expected


def test_schema_examples_come_before_format_hints():
    assert candidate_values({"type": "string", "format": "date", "examples": ["2030-01-01"]})[0] == "2030-01-01"


def test_hostile_description_is_bounded_and_quick():
    description = "e.g. " + "'x" * 300_000 + ("(e.g. " * 50_000) + "'a', 'b', " * 20_000 + "1" * 100_000
    start = time.perf_counter()
    values = candidate_values({"type": "string", "description": description})
    assert time.perf_counter() - start < 1.0
    assert len(values) <= MAX_VALUES
    assert candidate_values({"type": "string", "description": "x" * MAX_DESCRIPTION + " e.g. 'late'"}) == []


def test_many_values_are_cut_at_the_limit():
    schema = {"type": "string", "description": "e.g. " + ", ".join(f"'v{i}'" for i in range(100))}
    assert candidate_values(schema) == [f"v{i}" for i in range(MAX_VALUES)]


def test_a_pattern_that_backtracks_forever_costs_one_timeout():
    schema = {"type": "string", "pattern": "^(a|aa)+$", "examples": ["aa"] + ["a" * 40 + "!"] * 30 + ["aaa"]}
    start = time.perf_counter()
    assert candidate_values(schema) == ["aa"]
    assert time.perf_counter() - start < 0.5


def test_malformed_schemas_propose_nothing():
    assert candidate_values({"examples": "not a list", "enum": 3, "description": 12, "format": ["date"]}) == []
    assert candidate_values("not a schema") == []  # type: ignore[arg-type]


def test_default_arguments_are_deterministic_and_prefer_a_usable_default():
    parameters = {"type": "object", "required": ["unit", "city", "n"], "properties": {
        "unit": {"type": "string", "default": "metric", "enum": ["imperial", "metric"]},
        "city": {"type": "string", "description": "City, e.g. 'Lisbon' or 'Quito'."},
        "n": {"type": "integer", "default": None}}}
    first = default_arguments(parameters)
    assert first["unit"] == "metric" and first["city"] == "Lisbon" and isinstance(first["n"], int)
    assert all(default_arguments(parameters) == first for _ in range(5))


def test_example_arguments_cover_optional_parameters_on_request():
    parameters = {"type": "object", "required": ["q"], "properties": {
        "q": {"type": "string", "examples": ["coffee"]}, "limit": {"type": "integer", "examples": [10]}}}
    rng = random.Random(0)
    assert example_arguments(parameters, rng) == {"q": "coffee"}
    both = example_arguments(parameters, rng, required_only=False)
    assert both == {"q": "coffee", "limit": 10} and not validate_value(both, parameters)
