"""The bundled function library: every function loads, documents itself, and keeps the promises of its examples.

Each ``@api`` example is executed and compared exactly with its recorded result; each ``raises`` entry must
be valid against the function's JSON Schema (so it is a plausible call) and still fail with ValueError or
KeyError when executed. Tests are parametrized by function name so a failure names the function.
"""

from __future__ import annotations

import json
import math

import pytest

from api_registry.python_functions import PythonFunction
from api_registry.registry import Registry
from api_registry.validation import validate_value

REGISTRY = Registry.bundled()
NAMES = sorted(REGISTRY.functions)


def _fn(name: str) -> PythonFunction:
    entry = REGISTRY.get(name)
    assert entry is not None and entry.func is not None
    return entry


def _walk(schema: dict):
    """Every sub-schema of a parameter schema (items, properties, anyOf, additionalProperties)."""
    yield schema
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _walk(schema[key])
    for sub in (schema.get("properties") or {}).values():
        yield from _walk(sub)
    for sub in schema.get("anyOf") or []:
        yield from _walk(sub)


def _json_equal(a, b) -> bool:
    """Exact equality that also rejects NaN and non-JSON containers (tuples, sets)."""
    if isinstance(a, float) and math.isnan(a):
        return False
    return a == b and type(a) is not tuple


def test_library_loads_without_errors():
    assert REGISTRY.errors == [], "\n".join(str(e) for e in REGISTRY.errors)
    assert len(REGISTRY) >= 150
    assert len(REGISTRY.categories()) >= 21


def test_every_function_comes_from_the_library_package():
    for name in NAMES:
        entry = _fn(name)
        assert entry.module.startswith("api_registry.library."), name
        assert entry.spec.source == "python"
        assert entry.spec.category and entry.spec.category != "uncategorized"


def test_library_covers_realistic_parameter_shapes():
    """The simulator needs enums, lists, nested objects and optional parameters to draw varied calls."""
    literal = lists = nested = optional = with_raises = 0
    for name in NAMES:
        entry = _fn(name)
        props = entry.spec.properties
        subs = [s for p in props.values() for s in _walk(p)]
        literal += any("enum" in s for s in subs)
        lists += any(p.get("type") == "array" for p in props.values())
        nested += any("properties" in s for s in subs)
        optional += any(p not in entry.spec.required for p in props)
        with_raises += bool(entry.raises)
    assert literal >= 25
    assert lists >= 20
    assert nested >= 5
    assert optional >= 40
    assert with_raises >= 0.6 * len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_function_is_documented(name):
    spec = _fn(name).spec
    assert spec.description.strip(), f"{name} has no description"
    assert not spec.doc_issues, spec.doc_issues
    for pname, pschema in spec.properties.items():
        assert pschema.get("description", "").strip(), f"{name}: parameter {pname!r} has no description"


@pytest.mark.parametrize("name", NAMES)
def test_examples_validate_and_match(name):
    entry = _fn(name)
    assert len(entry.examples) >= 2, f"{name} needs at least two examples"
    seen = set()
    for example in entry.examples:
        key = json.dumps(example.arguments, sort_keys=True)
        assert key not in seen, f"{name}: duplicate example arguments {example.arguments}"
        seen.add(key)
        problems = validate_value(example.arguments, entry.spec.parameters)
        assert problems == [], f"{name}{example.arguments}: {problems}"
        result = entry.func(**example.arguments)
        assert _json_equal(result, example.result), f"{name}{example.arguments} returned {result!r}, expected {example.result!r}"
        assert json.loads(json.dumps(result)) == result, f"{name}: result is not JSON round-trippable: {result!r}"


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY.get(n).raises])
def test_raises_entries_are_schema_valid_and_fail(name):
    entry = _fn(name)
    for args in entry.raises:
        problems = validate_value(args, entry.spec.parameters)
        assert problems == [], f"{name}{args} should be schema-valid: {problems}"
        with pytest.raises((ValueError, KeyError)):
            entry.func(**args)


@pytest.mark.parametrize("name", NAMES)
def test_function_is_deterministic(name):
    entry = _fn(name)
    for example in entry.examples:
        assert entry.func(**example.arguments) == entry.func(**example.arguments)
