"""The simulator's no-call pairs: out-of-scope queries answered with ``[]``, and the planted bad
one (``no_call_fits``: a query one offered tool plainly serves, built from its description and values).

The no-call judge stays stateless as the call judge does: a no-call sample fails when its query holds
an offered tool's purpose (the first sentence of its description, as ``describe_call`` writes it).
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

TOPICS = ("my grandmother's birthday", "a rainy weekend", "my first marathon", "our team offsite",
          "a camping trip", "my daughter's science fair", "a job interview", "moving to a new city",
          "learning the cello", "a dinner party for eight", "my balcony garden", "a long train ride",
          "the school reunion", "adopting a rescue dog", "a tricky chess opening", "my wedding toast")
ASKS = ("Write a {n}-line poem about {topic}, in a gentle tone.",
        "Give me {n} honest tips for {topic}; keep each one short.",
        "Tell me a joke I could use during {topic}, nothing longer than {n} words.",
        "Draft a friendly text of about {n} words inviting my neighbours to {topic}.",
        "What should I pack or prepare for {topic}? I have roughly {n} hours left.",
        "Suggest {n} playlist songs that would suit {topic}.",
        "How do I stay calm before {topic}? Answer in {n} sentences.",
        "Summarize the pros and cons of {topic} in {n} bullet points.",
        "Sing me something cheerful about {topic}, {n} verses at most.",
        "Could you remind me to call my sister about {topic} in {n} minutes?",
        "Book me a taxi for {topic}; I will need it for {n} people.",
        "Order flowers for {topic}, around {n} stems, delivered to my door.")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def intent_phrase(tool: dict) -> str:
    """The first sentence of a tool's description, lower-cased (what ``describe_call`` opens with)."""
    from apigen.sim.content import _intent

    return _intent(tool.get("description", ""), tool["name"]).lower()


def out_of_scope_query(rng: random.Random, tools: list[dict]) -> str:
    """A request none of ``tools`` serves: everyday asks no registry API covers, two random slots
    and a number, so two of them rarely share most of their word 3-grams."""
    for _ in range(20):
        query = rng.choice(ASKS).format(n=rng.randint(2, 40), topic=rng.choice(TOPICS))
        if not any(intent_phrase(t) in query.lower() for t in tools):
            return query
    return query


def no_call_verdict(text: str, between: Any) -> dict:
    """The no-call judge: fail when the query holds an offered tool's purpose, else pass."""
    query = between(text, "query").lower()
    try:
        tools = json.loads(between(text, "tools"))
    except json.JSONDecodeError:
        return {"passed": False, "reason": "the tools are not readable"}
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and intent_phrase(tool) in query:
            return {"passed": False, "reason": f"{tool['name']} serves this query: a call should answer it"}
    return {"passed": True, "reason": "none of the offered tools can serve this query"}


def jaccard3(a: str, b: str) -> float:
    """Exact Jaccard similarity of two texts' word 3-gram sets (the dedup filter's measure)."""
    def grams(text: str) -> set[tuple[str, ...]]:
        w = _words(text)
        return {tuple(w[i:i + 3]) for i in range(max(1, len(w) - 2))}
    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y) if x | y else 1.0
