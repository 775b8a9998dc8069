"""The simulator answers distilabel 1.5.3's APIGen prompts in a form distilabel's own reader accepts
(benchmarks/bench_distilabel.py runs that pipeline against it). The prompts below are rendered from
distilabel 1.5.3's templates (steps/tasks/templates/apigen/*.jinja2) with the parts the simulator reads."""

from __future__ import annotations

import json
import re
import urllib.request

from apigen.sim.server import SimConfig, SimServer

AREA_TOOL = {"type": "function", "function": {
    "name": "rectangle_area", "description": "Compute the area of a rectangle.",
    "parameters": {"type": "object", "properties": {"width": {"type": "number"}, "height": {"type": "number"}},
                   "required": ["width", "height"]}}}


def lookup(name: str) -> tuple[list[dict], list[dict]]:
    """Worked examples written in the reverse of the parameter order, as registry examples may be."""
    if name == "rectangle_area":
        return [{"height": 2, "width": 3}, {"height": 5, "width": 4}], [{"height": -1, "width": 1}]
    return [], []


def generator_prompt(example: str, tools: list[dict]) -> str:
    return ("Here are examples of queries and the corresponding answers for similar functions:\n"
            f"{example}\n\nNote that the query could be interpreted as a combination of several independent requests.\n\n"
            "Based on these examples, generate 1 diverse query and answer pairs for the function `rectangle_area`.\n"
            "The detailed function description is the following:\nCompute the area of a rectangle.\n\n"
            "This is the available tool to guide you (respect the order of the parameters):\n"
            f"{json.dumps(tools)}\n\nThe output MUST strictly adhere to the following JSON format, and NO other "
            "text MUST be included:\n```\n[...]\n```\n\nNow please generate 1 diverse query and answer pairs following the above format.")


def semantic_prompt(query: str, calls: list[dict]) -> str:
    return ("Given Information:\n- All Available Functions:\nCompute the area of a rectangle.\n"
            f"- User Query: {query}\n- Generated Function Calls: {json.dumps(calls)}\n- Execution Results: ['6']\n\n"
            "Note: The query may have multiple intentions.")


def ask(server: SimServer, prompt: str) -> str:
    body = json.dumps({"model": "apigen-sim", "messages": [{"role": "user", "content": prompt}]}).encode()
    request = urllib.request.Request(f"{server.api_base}/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["choices"][0]["message"]["content"]


def distilabel_reads(reply: str) -> list | None:
    """distilabel's APIGenGenerator reader: strip one bare ``` fence, then JSON, else nothing."""
    match = re.match(r"^```\n([\s\S]*)\n```$", reply, re.MULTILINE)
    try:
        return json.loads(match.group(1) if match else reply)
    except json.JSONDecodeError:
        return None


def test_generator_prompt_gets_pairs_distilabel_reads_with_arguments_in_parameter_order():
    with SimServer(SimConfig(flaw_rate=0.0), lookup=lookup) as server:
        replies = [ask(server, generator_prompt(f"## Query:\nexample {i}", [AREA_TOOL])) for i in range(12)]
    read = [pairs for pairs in map(distilabel_reads, replies) if pairs is not None]
    assert read, replies  # the simulator wraps some replies in fences or prose, as real models do
    for pairs in read:
        first = pairs[0]
        assert isinstance(first["query"], str) and first["query"]
        (call,) = first["answers"]
        assert call["name"] == "rectangle_area"
        assert list(call["arguments"]) == ["width", "height"]  # distilabel calls them positionally


def test_flawed_pairs_keep_answers_a_list_of_calls():
    """A malformed answer becomes a null call, which distilabel's execution checker rejects by itself,
    never a string (which would fail the checker's whole batch)."""
    with SimServer(SimConfig(flaw_rate=1.0), lookup=lookup) as server:
        replies = [ask(server, generator_prompt(f"## Query:\nflawed {i}", [AREA_TOOL])) for i in range(40)]
    bodies = [json.loads(reply[reply.index("["):reply.rindex("]") + 1]) for reply in replies]
    answers = [body[0]["answers"] for body in bodies]
    assert all(isinstance(a, list) for a in answers)
    assert [None] in answers


def test_semantic_prompt_gets_distilabels_verdict_shape():
    with SimServer(SimConfig(), lookup=lookup) as server:
        grounded = json.loads(ask(server, semantic_prompt(
            "What is the area of a rectangle 3 wide and 2 high?", [{"name": "rectangle_area", "arguments": {"width": 3, "height": 2}}])))
        mismatch = json.loads(ask(server, semantic_prompt(
            "What is the area of a rectangle 3 wide and 2 high?", [{"name": "rectangle_area", "arguments": {"width": 4, "height": 5}}])))
        unreadable = json.loads(ask(server, semantic_prompt("", [None])))
    assert grounded["passes"] == "yes" and "thought" in grounded
    assert mismatch["passes"] == "no"
    assert unreadable["passes"] == "no"
