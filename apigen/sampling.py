"""Decide what each generation request asks for: style, APIs, few-shot examples, prompt variant.

Every choice is drawn from an RNG seeded by ``(seed, request index)`` alone, so a re-run, a resumed
run or a run with another batch size asks the LLM exactly the same things.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from api_registry.spec import ToolSpec
from apigen.models import Style
from apigen.no_call_plan import effective_share, is_no_call_request
from prompts import seed_examples, style_variants

SAME_CATEGORY_PROBABILITY = 0.7


@dataclass(frozen=True)
class GenerationRequest:
    """One LLM call: ``count`` query/answer pairs of ``style`` over ``tools``."""

    index: int
    style: Style
    category: str
    tools: tuple[ToolSpec, ...]
    examples: tuple[dict, ...]
    style_instructions: str
    count: int
    examples_foreign: bool = True  # the examples use other (renamed) APIs, not the offered ones


class ApiSampler:
    """Pick the APIs of a request: one for simple/parallel, 2-4 for the multiple styles.

    Multi-API requests draw from one category most of the time (coherent queries), across
    categories otherwise (diversity), as in the APIGen paper.
    """

    def __init__(self, specs: Sequence[ToolSpec]):
        if not specs:
            raise ValueError("the API registry is empty: nothing to sample")
        self.by_category: dict[str, list[ToolSpec]] = defaultdict(list)
        for spec in sorted(specs, key=lambda s: s.name):
            self.by_category[spec.category or "uncategorized"].append(spec)
        self.categories = sorted(self.by_category)
        self.all = [s for c in self.categories for s in self.by_category[c]]

    def sample(self, rng: random.Random, style: Style) -> tuple[str, tuple[ToolSpec, ...]]:
        if style is Style.NO_CALL:  # 1-3 tools, none of which may fit the query (as in BFCL irrelevance)
            k = rng.randint(1, 3)
        else:
            k = 1 if style in (Style.SIMPLE, Style.PARALLEL) else rng.randint(2, 4)
        category = rng.choice(self.categories)
        pool = self.by_category[category]
        if k == 1 or (len(pool) >= k and rng.random() < SAME_CATEGORY_PROBABILITY):
            return category, tuple(rng.sample(pool, k))
        picked = rng.sample(self.all, min(k, len(self.all)))
        categories = sorted({s.category or "uncategorized" for s in picked})
        return "+".join(categories), tuple(picked)


def example_style(example: dict) -> Style:
    """The style a worked example shows, judged from its answers and tools (no calls: no_call)."""
    if example.get("answers") == []:
        return Style.NO_CALL
    names = [a.get("name") for a in example.get("answers", [])]
    if len(names) <= 1:
        return Style.MULTIPLE if len(example.get("tools", [])) > 1 else Style.SIMPLE
    return Style.PARALLEL if len(set(names)) == 1 else Style.PARALLEL_MULTIPLE


class ExampleSampler:
    """Few-shot examples: verified pairs over the *offered* tools when the pool has them, else pairs
    of the requested style over other APIs, with those APIs renamed (``other_api_1``...) so that a
    small model does not mistake them for tools it may call."""

    def __init__(self, pool: Sequence[dict] | None = None, per_request: int = 2):
        self.pool = list(pool) if pool is not None else list(seed_examples())
        self.per_request = per_request
        self.by_style: dict[Style, list[dict]] = defaultdict(list)
        self.by_name: dict[str, list[dict]] = defaultdict(list)
        for example in self.pool:
            self.by_style[example_style(example)].append(example)
            for name in {a.get("name") for a in example.get("answers", []) if isinstance(a, dict)}:
                self.by_name[name].append(example)

    def sample(self, rng: random.Random, style: Style, offered: Sequence[str] = ()) -> tuple[tuple[dict, ...], bool]:
        """(examples, foreign): ``foreign`` is True when they use other APIs (then anonymized)."""
        if not self.pool:
            return (), True
        own = self._own_examples(offered) if style is not Style.NO_CALL else []
        if own:
            chosen = rng.sample(own, min(len(own), self.per_request))
            return tuple({"query": e["query"], "answers": e["answers"]} for e in chosen), False
        preferred = self.by_style.get(style, [])
        chosen = rng.sample(preferred, min(len(preferred), self.per_request))
        # a call style is not shown no-call examples, nor a no_call request calls (beyond its own kind)
        others = [e for e in self.pool if e not in chosen
                  and (example_style(e) is Style.NO_CALL) == (style is Style.NO_CALL)]
        chosen += rng.sample(others, min(len(others), self.per_request - len(chosen)))
        return anonymize(chosen), True

    def _own_examples(self, offered: Sequence[str]) -> list[dict]:
        names = set(offered)
        seen: dict[int, dict] = {}
        for name in sorted(names):
            for example in self.by_name.get(name, []):
                if {a.get("name") for a in example["answers"] if isinstance(a, dict)} <= names:
                    seen.setdefault(id(example), example)
        return sorted(seen.values(), key=lambda e: e["query"])


def anonymize(examples: Sequence[dict]) -> tuple[dict, ...]:
    """Rename the examples' functions to ``other_api_1``, ``other_api_2``...: they show the format only."""
    names: dict[str, str] = {}
    out = []
    for example in examples:
        answers = []
        for call in example["answers"]:
            if isinstance(call, dict):
                name = names.setdefault(str(call.get("name")), f"other_api_{len(names) + 1}")
                call = {**call, "name": name}
            answers.append(call)
        out.append({"query": example["query"], "answers": answers})
    return tuple(out)


class PromptSampler:
    """One of several instruction wordings per style, for more varied generations."""

    def __init__(self):
        self.variants = style_variants()

    def sample(self, rng: random.Random, style: Style) -> str:
        return rng.choice(self.variants[style.value])


@dataclass
class RequestPlanner:
    """Turns ``(seed, index)`` into a GenerationRequest; the three samplers do the choosing."""

    apis: ApiSampler
    examples: ExampleSampler
    prompts: PromptSampler
    styles: tuple[Style, ...]
    seed: int
    n: int
    pairs_per_request: int
    no_call_share: float = 0.0  # used only when NO_CALL is in styles (apigen.no_call_plan)

    @property
    def request_count(self) -> int:
        return math.ceil(self.n / self.pairs_per_request)

    def plan(self, index: int) -> GenerationRequest:
        if not 0 <= index < self.request_count:
            raise IndexError(f"request {index} outside 0..{self.request_count - 1}")
        rng = random.Random(f"{self.seed}:{index}")
        share = effective_share(self.styles, self.no_call_share)
        if is_no_call_request(self.seed, index, share):
            style = Style.NO_CALL
        else:  # without NO_CALL in styles the draws are those of a run before no-call pairs existed
            call_styles = tuple(s for s in self.styles if s is not Style.NO_CALL)
            style = rng.choice(call_styles or self.styles)
        category, tools = self.apis.sample(rng, style)
        count = min(self.pairs_per_request, self.n - index * self.pairs_per_request)
        examples, foreign = self.examples.sample(rng, style, [t.name for t in tools])
        return GenerationRequest(index=index, style=style, category=category, tools=tools, examples=examples,
                                 style_instructions=self.prompts.sample(rng, style), count=count,
                                 examples_foreign=foreign)

    def plan_range(self, start: int, stop: int) -> list[GenerationRequest]:
        return [self.plan(i) for i in range(start, min(stop, self.request_count))]


def load_example_pool(path: str) -> list[dict]:
    """Few-shot examples from an earlier run's verified output (a dataset directory or file).

    Accepts ``<out>`` of ``apigen generate`` (reads ``<out>/verified``), a Parquet file or directory,
    or a JSON Lines file in xlam layout. Raises ValueError naming the path if nothing usable is there.
    """
    from pathlib import Path

    source = Path(path)
    if (source / "verified").is_dir():
        source = source / "verified"
    if source.is_dir() or source.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(source).to_pylist()
    elif source.is_file():
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        raise ValueError(f"{path}: no such dataset")
    pool = []
    for row in rows:
        try:
            answers = json.loads(row["answers"]) if isinstance(row["answers"], str) else row["answers"]
            tools = json.loads(row["tools"]) if isinstance(row["tools"], str) else row["tools"]
        except (KeyError, TypeError, json.JSONDecodeError):
            continue
        # a verified no-call row (answers []) is an example for no_call requests only (ExampleSampler)
        if isinstance(row.get("query"), str) and isinstance(answers, list) and isinstance(tools, list):
            pool.append({"query": row["query"], "answers": answers, "tools": tools})
    if not pool:
        raise ValueError(f"{path}: no verified rows with query, tools and answers to use as examples")
    return pool


def render_examples(examples: Sequence[dict]) -> str:
    return "\n".join(json.dumps([e], ensure_ascii=False) for e in examples)
