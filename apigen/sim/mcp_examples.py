"""Worked examples for MCP tools, learnt from the server itself, so the simulated LLM can write clean calls.

A bundled function carries examples that are known to run; an MCP tool has only its schema. Values
the schema proposes (``api_registry.arguments.example_arguments``) may or may not be accepted (a
description may name a time zone that does not exist), so each candidate call is tried once on the
real server: the accepted ones become the tool's examples, the ones it rejects become its "raising"
arguments, which the simulator plants as execution-stage flaws. Every value the schema proposes is
tried at least once. Only read-only tools are tried, and
never one the run would refuse; other tools get the candidates as examples, untried.
"""

from __future__ import annotations

import json
import random
from typing import Callable

from api_registry.arguments import example_arguments
from api_registry.registry import McpEntry, Registry
from api_registry.sandbox import Outcome
from api_registry.schema_examples import candidate_values

ExampleLookup = Callable[[str], tuple[list[dict], list[dict]]]
CANDIDATE_CALLS = 8  # argument sets tried per tool beyond those that cover every proposed value
MAX_CALLS = 32
GIVE_UP = {"timeout", "worker_died", "server_unavailable"}
PROBE_TIMEOUT_S = 10.0  # per call: a probe is a quick look, not the run


def candidate_calls(entry: McpEntry, count: int = CANDIDATE_CALLS, seed: int = 0) -> list[dict]:
    """Distinct argument sets built from the values the tool's schema proposes: first one per proposed
    value of each required parameter (so every value is tried once: a description's example may be the
    one the server refuses), then up to ``count`` more drawn at random; at most ``MAX_CALLS``."""
    rng = random.Random(f"{seed}:{entry.name}")
    parameters = entry.spec.parameters
    properties, required = parameters.get("properties", {}), parameters.get("required", [])
    seen: dict[str, dict] = {}

    def add(arguments: dict) -> None:
        if len(seen) < MAX_CALLS:
            seen.setdefault(json.dumps(arguments, sort_keys=True), arguments)

    for name in required:
        for value in candidate_values(properties.get(name, {})):
            add({**example_arguments(parameters, rng), name: value})
    covering = len(seen)
    for _ in range(count * 4):
        if len(seen) >= covering + count:
            break
        add(example_arguments(parameters, rng))
    return list(seen.values())


def probe(registry: Registry, run: Callable[[McpEntry, dict], Outcome], seed: int = 0) -> dict[str, tuple[list[dict], list[dict]]]:
    """(examples, raising arguments) per MCP tool; ``run(entry, arguments)`` is one real call (an Outcome)."""
    found: dict[str, tuple[list[dict], list[dict]]] = {}
    for name, entry in registry.mcp.items():
        if registry.refusal(name) is not None:
            continue
        calls = candidate_calls(entry, seed=seed)
        if not entry.read_only:
            found[name] = (calls, [])
            continue
        good, bad = [], []
        for arguments in calls:
            outcome = run(entry, arguments)
            code = outcome.code
            if outcome.ok:
                good.append(arguments)
            elif code == "execution_error":
                bad.append(arguments)
            elif code in GIVE_UP:
                break  # a tool that hangs or takes its server down will not teach anything more
        found[name] = (good, bad)
    return found


def mcp_lookup(registry: Registry, base: ExampleLookup, run: Callable[[McpEntry, dict], Outcome],
               seed: int = 0) -> ExampleLookup:
    """``base`` for every other tool; the probed examples for the registry's MCP tools."""
    probed = probe(registry, run, seed)

    def lookup(name: str) -> tuple[list[dict], list[dict]]:
        if name in probed:
            good, bad = probed[name]
            return [dict(a) for a in good], [dict(a) for a in bad]
        return base(name)
    return lookup
