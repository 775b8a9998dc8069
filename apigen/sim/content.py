"""What the simulated LLM says: query/answer pairs for a generation prompt, verdicts for a judge prompt.

Pairs are built from the tools listed in the prompt. Arguments come from the registry's worked
examples when the tool is registered (so clean calls really execute), else from the values the
schema proposes (its examples, enum, the "e.g." values of a description), else synthesized. Every
argument value is written into the query, which is what lets the judge stay stateless: a pair
passes when each argument value can be found in its query.

A share of pairs carries one deliberate flaw aimed at one stage; each is recorded as ``Planted``.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass
from typing import Any, Callable

from api_registry.arguments import example_arguments
from apigen.sim import distilabel_prompts  # distilabel 1.5.3's APIGen prompts, for benchmarks
from apigen.sim import no_call

FLAW_STAGE = {
    "malformed_json": "format",
    "unknown_function": "format",
    "missing_required": "format",
    "wrong_type": "format",
    "raises": "execution",
    "mismatch": "semantic",
    "no_call_fits": "semantic",    # a no_call pair whose query an offered tool plainly serves
    "duplicate": "dedup",          # an earlier clean pair re-sent exactly (apigen.sim.plants)
    "near_duplicate": "dedup",     # an earlier clean pair's query reworded by one word
    "contaminated": "dedup",       # a query copied from a bundled BFCL question
}
OPENINGS = ("Could you", "Please", "Can you", "I need you to", "Help me", "Would you")
# Whole sentences a user might start with (no digits or number words: nothing is grounded or counted by
# accident): the same call asked twice is then rarely the same query, as with real users.
CONTEXTS = (
    "I'm putting together a report for my manager.", "Quick question before my meeting starts.",
    "My study group is stuck on this one.", "I'm double-checking something a colleague sent me.",
    "This is for a side project I'm building.", "I'm preparing slides for a workshop.",
    "We're planning the week ahead at work.", "My teacher asked us to verify this.",
    "I'm writing a blog post and want to get it right.", "A client just emailed me about this.",
    "I'm cleaning up an old spreadsheet.", "Settling a friendly argument with my brother.",
    "I keep forgetting how this works.", "Our team is reviewing older data.",
    "I'm testing a new app idea.", "Just curious, since it came up at dinner.",
    "I'm helping my neighbour with some paperwork.", "My notes from the lecture are a bit messy.",
    "The documentation I found was confusing.", "I'm on my phone, so keep it simple.",
    "We're drafting a proposal for the board.", "I'm sanity-checking a calculation.",
    "This came up while I was debugging.", "I'm organizing a volunteer event.",
    "My spreadsheet formula gives a strange answer.", "I'm comparing options for a purchase.",
    "Working through a practice exam tonight.", "I promised my kids I'd look this up.",
    "I'm updating our internal wiki.", "Before I send this invoice, a quick check.",
    "The intern asked me and I wasn't sure.", "I'm reviewing a pull request right now.",
    "Prepping for a podcast episode.", "I'm migrating data to a new system.",
    "It's for a travel itinerary I'm drafting.", "I'm tutoring a student this afternoon.",
    "We're auditing our records.", "I'm stuck on a puzzle in a magazine.",
    "I'm building a dashboard for the sales team.", "This is part of my thesis research.",
)


@dataclass(frozen=True)
class Planted:
    """The simulator's own record of one pair it produced: the test oracle for the stages."""

    query: str
    answers: str  # canonical JSON of the answers as sent (or the malformed string)
    flaw: str | None
    stage: str | None
    original: str | None = None   # duplicate / near_duplicate: the kept pair's query; contaminated: the question
    source_id: str | None = None  # contaminated: the benchmark question's id (e.g. BFCL "simple_python_12")

    def as_dict(self) -> dict:
        return asdict(self)


ExampleLookup = Callable[[str], tuple[list[dict], list[dict]]]  # name -> (example args, raising args)


def render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def canonical(answers: Any) -> str:
    return answers if isinstance(answers, str) else json.dumps(answers, sort_keys=True, ensure_ascii=False)


def _intent(description: str, name: str) -> str:
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0].rstrip(".!? ") if description else ""
    if not first:
        return f"run {name.replace('_', ' ')}"
    return first[0].lower() + first[1:]


def describe_call(tool: dict, arguments: dict) -> str:
    args = ", ".join(f"{k} = {render_value(v)}" for k, v in arguments.items())
    return f"{_intent(tool.get('description', ''), tool['name'])}" + (f" with {args}" if args else "")


def grounded(arguments: dict, query: str) -> bool:
    """The judge's test: every argument value is written in the query (case-insensitive)."""
    return all(render_value(v).lower() in query.lower() for v in arguments.values())


def compose_query(opening: str, parts: list[str], context: str = "") -> str:
    lead = f"{context} {opening}" if context else opening
    if len(parts) == 1:
        return f"{lead} {parts[0]}?"
    body = "; ".join(parts[:-1]) + f"; and also {parts[-1]}"
    return f"{lead} do the following: {body}?"


def _arguments(tool: dict, rng: random.Random, lookup: ExampleLookup, used: set[str]) -> dict | None:
    """Arguments for one more call of ``tool``; None when its known-good examples are used up."""
    examples, _ = lookup(tool["name"])
    fresh = [e for e in examples if json.dumps(e, sort_keys=True) not in used]
    if fresh:
        args = dict(rng.choice(fresh))
    elif examples:
        return None  # repeating a call, or inventing arguments that may not run, would not be clean
    else:  # a schema-only tool (MCP, documented): the values its schema proposes, else synthesized ones
        args = example_arguments(tool.get("parameters", {}), rng)
    used.add(json.dumps(args, sort_keys=True))
    return args


def plan_calls(style: str, tools: list[dict], rng: random.Random) -> list[dict]:
    """Which tools a pair calls, by style."""
    if style in ("simple", "multiple") or len(tools) == 1 and style != "parallel":
        return [rng.choice(tools)]
    if style == "parallel":
        return [tools[0]] * rng.randint(2, 3)
    picked = rng.sample(tools, min(len(tools), rng.randint(2, 3)))
    return picked + ([rng.choice(picked)] if rng.random() < 0.3 else [])


def make_pair(style: str, tools: list[dict], rng: random.Random, lookup: ExampleLookup,
              flaw_rate: float) -> tuple[dict, Planted]:
    if style == distilabel_prompts.DISTILABEL_STYLE:
        return distilabel_prompts.make_pair(tools, rng, lookup, flaw_rate)
    if style == "no_call":
        return make_no_call_pair(tools, rng, lookup, flaw_rate)
    used: set[str] = set()
    targets, calls = [], []
    for tool in plan_calls(style, tools, rng):
        arguments = _arguments(tool, rng, lookup, used)
        if arguments is not None:
            targets.append(tool)
            calls.append({"name": tool["name"], "arguments": arguments})
    described = [describe_call(t, c["arguments"]) for t, c in zip(targets, calls)]
    opening, context = rng.choice(OPENINGS), rng.choice(CONTEXTS)
    flaw = None
    if rng.random() < flaw_rate:
        flaw = _plant(rng, targets, calls, described, lookup, compose_query(opening, described, context))
    query = compose_query(opening, described, context)
    answers: Any = calls
    if flaw == "malformed_json":
        answers = json.dumps(calls)[:-2]  # cut off the closing brackets
    return ({"query": query, "answers": answers},
            Planted(query=query, answers=canonical(answers), flaw=flaw, stage=FLAW_STAGE.get(flaw or "")))


def _plant(rng: random.Random, tools: list[dict], calls: list[dict], described: list[str],
           lookup: ExampleLookup, query: str) -> str | None:
    """Change one call so exactly one stage should reject it; returns the flaw's name."""
    i = rng.randrange(len(calls))
    tool, call = tools[i], calls[i]
    props = tool.get("parameters", {}).get("properties", {})
    required = [p for p in tool.get("parameters", {}).get("required", []) if p in call["arguments"]]
    typed = [p for p in required if isinstance(props.get(p, {}).get("type"), str)]
    examples, raising = lookup(tool["name"])
    distinct = [e for e in examples if not grounded(e, query)]  # a swap the query cannot explain
    options = ["malformed_json", "unknown_function"]
    if required:
        options.append("missing_required")
    if typed:
        options.append("wrong_type")
    if raising:
        options.append("raises")
    if distinct:
        options.append("mismatch")
    flaw = rng.choice(options)
    if flaw == "unknown_function":
        call["name"] = f"{call['name']}_v2"
    elif flaw == "missing_required":
        call["arguments"].pop(rng.choice(required))
    elif flaw == "wrong_type":
        param = rng.choice(typed)
        call["arguments"][param] = _wrong_type(props[param])
    elif flaw == "raises":
        call["arguments"] = dict(rng.choice(raising))
        described[i] = describe_call(tool, call["arguments"])
    elif flaw == "mismatch":  # the query keeps describing the old arguments
        call["arguments"] = dict(rng.choice(distinct))
    return flaw


def make_no_call_pair(tools: list[dict], rng: random.Random, lookup: ExampleLookup,
                      flaw_rate: float) -> tuple[dict, Planted]:
    """A query none of the tools serves, answered ``[]``; at ``flaw_rate``, one an offered tool plainly
    serves (its description's purpose and its values, as a clean call pair's query would say it)."""
    if rng.random() < flaw_rate:
        tool = rng.choice(tools)
        arguments = _arguments(tool, rng, lookup, set()) or {}
        query = compose_query(rng.choice(OPENINGS), [describe_call(tool, arguments)], rng.choice(CONTEXTS))
        return {"query": query, "answers": []}, Planted(query=query, answers="[]", flaw="no_call_fits",
                                                         stage=FLAW_STAGE["no_call_fits"])
    query = no_call.out_of_scope_query(rng, tools)
    return {"query": query, "answers": []}, Planted(query=query, answers="[]", flaw=None, stage=None)


def _wrong_type(schema: dict) -> Any:
    kind = schema.get("type")
    if kind in ("integer", "number", "boolean", "array", "object"):
        return "not-a-" + kind
    return {"value": 12345}  # a string, or any-typed parameter with an enum/structure, gets an object


def _between(text: str, tag: str) -> str:
    match = re.search(rf"<{tag}>\n?(.*?)\n?</{tag}>", text, re.S)
    return match.group(1) if match else ""


def is_judge_prompt(prompt: str) -> bool:
    """A judge prompt, single (one sample) or batched (``<sample id="...">`` blocks), or the no-call judge's."""
    return ("<calls>" in prompt or "<answer>" in prompt) and "<query>" in prompt \
        or distilabel_prompts.is_semantic_prompt(prompt)


_SAMPLE = re.compile(r'<sample id="([^"]*)">\n?(.*?)\n?</sample>', re.S)


def judge_verdict(prompt: str) -> dict:
    """``{"passed", "reason"}`` for a single judge prompt; for a batched one, ``{"verdicts": [...]}``
    with one such verdict (and its ``id``) per sample, each decided exactly as a single prompt would be."""
    if distilabel_prompts.is_semantic_prompt(prompt):
        return distilabel_prompts.semantic_verdict(prompt)
    if "<answer>" in prompt and "<calls>" not in prompt:
        return no_call.no_call_verdict(prompt, _between)
    samples = _SAMPLE.findall(prompt)
    if samples:
        return {"verdicts": [{"id": sample_id, **sample_verdict(block)} for sample_id, block in samples]}
    return sample_verdict(prompt)


def sample_verdict(text: str) -> dict:
    """Pass iff every argument value is written in the query and every call returned a result."""
    query = _between(text, "query").lower()
    try:
        calls = json.loads(_between(text, "calls"))
    except json.JSONDecodeError:
        return {"passed": False, "reason": "the calls are not readable"}
    for call in calls if isinstance(calls, list) else []:
        arguments = call.get("arguments") or {}
        if not grounded(arguments, query):
            return {"passed": False, "reason": f"{call.get('name')}: arguments {render_value(arguments)} are not what the query asks for"}
    results = [line for line in _between(text, "results").splitlines() if line.strip()]
    if any(line.strip() == "null" for line in results):
        return {"passed": False, "reason": "a call returned no result"}
    return {"passed": True, "reason": "the calls match the query and returned results"}


def parse_generation_prompt(prompt: str) -> tuple[str, int, list[dict]]:
    """(style, count, tools) from a generation prompt, as a reading model would find them."""
    if distilabel_prompts.is_generator_prompt(prompt):
        return distilabel_prompts.parse_generator_prompt(prompt)
    style = re.search(r"^Style:\s*(\w+)", prompt, re.M)
    count = re.search(r"Generate exactly (\d+)", prompt)
    tools = json.loads(_between(prompt, "tools") or "[]")
    return (style.group(1) if style else "simple"), (int(count.group(1)) if count else 1), tools
