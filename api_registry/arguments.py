"""Build schema-valid arguments for an API: from its defaults, the values its schema proposes, then types.

Used by ``apigen registry check`` (the paper's API filtering: can this API be called at all?) and
by the simulated LLM, for tools that have no registered examples.
"""

from __future__ import annotations

import random
from typing import Any

from api_registry.schema_examples import candidate_values

WORDS = ("Paris", "blue", "hello world", "alpha", "Tokyo", "report", "green", "Berlin", "delta", "sample text")


def synthesize(schema: dict, rng: random.Random) -> Any:
    """A value that validates against ``schema`` (enum first, then the declared type)."""
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    if "anyOf" in schema:
        return synthesize(next((s for s in schema["anyOf"] if s.get("type") != "null"), {}), rng)
    kind = schema.get("type")
    if kind == "integer":
        return rng.randint(2, 60)
    if kind == "number":
        return round(rng.uniform(1, 100), 2)
    if kind == "boolean":
        return rng.choice([True, False])
    if kind == "array":
        if "prefixItems" in schema:
            return [synthesize(s, rng) for s in schema["prefixItems"]]
        return [synthesize(schema.get("items", {"type": "string"}), rng) for _ in range(2)]
    if kind == "object":
        props = schema.get("properties", {})
        required = schema.get("required", list(props))
        return {k: synthesize(v, rng) for k, v in props.items() if k in required}
    return rng.choice(WORDS)


def example_arguments(parameters: dict, rng: random.Random, required_only: bool = True) -> dict[str, Any]:
    """Arguments a real server is likely to accept: for each (required) parameter, one of the values its
    schema proposes, chosen by ``rng``; a value is synthesized only where the schema proposes none."""
    required = set(parameters.get("required", []))
    return {name: _proposed_or_synthesized(schema, rng)
            for name, schema in parameters.get("properties", {}).items() if name in required or not required_only}


def _proposed_or_synthesized(schema: dict, rng: random.Random) -> Any:
    candidates = candidate_values(schema)
    return rng.choice(candidates) if candidates else synthesize(schema, rng)


def default_arguments(parameters: dict, seed: int = 0) -> dict[str, Any]:
    """Arguments for every required parameter, the same on every run: its default if it has a usable
    one, else the first value its schema proposes, else synthesized."""
    rng = random.Random(seed)
    args: dict[str, Any] = {}
    properties = parameters.get("properties", {})
    for name in parameters.get("required", []):
        schema = properties.get(name, {})
        default = schema.get("default")
        if default not in (None, ""):
            args[name] = default
        else:
            candidates = candidate_values(schema)
            args[name] = candidates[0] if candidates else synthesize(schema, rng)
    return args
