"""The simulator's reading of distilabel 1.5.3's APIGen prompts, so that pipeline can be benchmarked
against ours on the same simulated endpoint (``benchmarks/bench_distilabel.py``).

distilabel's ``APIGenGenerator`` asks for ``number`` pairs "for the function `name`" and appends the
tool as JSON after a fixed sentence; it keeps only the first pair, reads it with ``orjson`` after
stripping a bare ```` ``` ```` fence, and its execution checker calls the function with the argument
values *positionally*. Its ``APIGenSemanticChecker`` wants ``{"thought": ..., "passes": "yes"|"no"}``.
Pairs are made by ``content.make_pair`` (same flaws, same registry examples); what differs is only
how a pair is written for that reader: arguments in the tool's parameter order (the prompt says
"respect the order of the parameters") and a malformed answer as a ``null`` call, which distilabel
rejects at execution instead of failing a whole batch on a string it cannot iterate.
"""

from __future__ import annotations

import ast
import json
import random
import re
from typing import Any

DISTILABEL_STYLE = "distilabel"  # the style content.parse_generation_prompt reports for these prompts
_GENERATOR = re.compile(r"generate (\d+) diverse query and answer pairs for the function `([^`]+)`")
_TOOL_INTRO = "This is the available tool to guide you (respect the order of the parameters):\n"
_QUERY, _CALLS, _RESULTS = "- User Query: ", "\n- Generated Function Calls: ", "\n- Execution Results: "


def is_generator_prompt(prompt: str) -> bool:
    return _TOOL_INTRO in prompt and _GENERATOR.search(prompt) is not None


def is_semantic_prompt(prompt: str) -> bool:
    return _QUERY in prompt and _CALLS in prompt and _RESULTS in prompt


def _tools_after_intro(prompt: str) -> list[dict]:
    """The tool list after the intro sentence: a JSON string, or a Python literal when the tools
    column held a list (distilabel then renders its ``repr``). Parsed, never evaluated."""
    text = prompt.split(_TOOL_INTRO, 1)[1].lstrip()
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        try:
            value = ast.literal_eval(text.split("\n\n", 1)[0].strip())
        except (ValueError, SyntaxError):
            return []
    tools = value if isinstance(value, list) else [value]
    # OpenAI's layout ({"type": "function", "function": {...}}) or a bare {name, description, parameters}
    return [t.get("function", t) for t in tools if isinstance(t, dict)]


def parse_generator_prompt(prompt: str) -> tuple[str, int, list[dict]]:
    """(DISTILABEL_STYLE, count, tools), tools narrowed to the function the prompt names."""
    match = _GENERATOR.search(prompt)
    count, name = int(match.group(1)), match.group(2)
    tools = _tools_after_intro(prompt)
    named = [t for t in tools if t.get("name") == name]
    return DISTILABEL_STYLE, count, named or tools


def make_pair(tools: list[dict], rng: random.Random, lookup: Any, flaw_rate: float) -> tuple[dict, Any]:
    """A "simple" pair from ``content.make_pair``, written the way distilabel's reader expects."""
    from apigen.sim.content import make_pair as make_content_pair

    pair, planted = make_content_pair("simple", tools, rng, lookup, flaw_rate)
    if isinstance(pair["answers"], str):  # malformed_json: a reply distilabel can read but not run
        return {"query": pair["query"], "answers": [None]}, planted
    order = {t["name"]: list(t.get("parameters", {}).get("properties", {})) for t in tools}
    for call in pair["answers"]:
        params = order.get(call["name"], [])
        call["arguments"] = dict(sorted(call["arguments"].items(),
                                        key=lambda kv: params.index(kv[0]) if kv[0] in params else len(params)))
    return pair, planted


def semantic_verdict(prompt: str) -> dict:
    """distilabel's verdict shape, decided by the simulator's rule: every argument value is in the query."""
    from apigen.sim.content import grounded

    query = prompt.split(_QUERY, 1)[1].split(_CALLS, 1)[0]
    calls_text = prompt.split(_CALLS, 1)[1].split(_RESULTS, 1)[0]
    try:
        calls = json.loads(calls_text)
    except json.JSONDecodeError:
        return {"thought": "the function calls are not readable", "passes": "no"}
    if not query.strip() or not isinstance(calls, list) or not calls:
        return {"thought": "no query or no function calls", "passes": "no"}
    for call in calls:
        arguments = (call.get("arguments") or {}) if isinstance(call, dict) else None
        if not isinstance(arguments, dict):
            return {"thought": "a function call is missing or unreadable", "passes": "no"}
        if not grounded(arguments, query):
            return {"thought": f"{call.get('name')}: the arguments are not what the query asks for", "passes": "no"}
    return {"thought": "", "passes": "yes"}
