"""Generation: render a request into a prompt, and read the LLM's reply back into samples.

The reply is untrusted text. It is decoded with a JSON parser only (never evaluated); fences and
prose around the JSON are tolerated. A reply that holds no usable JSON becomes one sample carrying
the raw text, which the format stage rejects with ``json_invalid`` - it is never a crash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

from apigen.llm import CallStats, Endpoint, LLMError, complete, gather_limited
from apigen.models import Provenance, Sample
from apigen.sampling import GenerationRequest, render_examples
from prompts import load_template

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)
_LIST_KEYS = ("pairs", "data", "examples", "samples", "items", "results", "queries")


def build_messages(request: GenerationRequest) -> list[dict[str, str]]:
    tools = json.dumps([t.to_prompt_dict() for t in request.tools], indent=1, ensure_ascii=False)
    text = load_template("generate").render(
        style=request.style.value, style_instructions=request.style_instructions, tools=tools,
        examples=render_examples(request.examples), count=request.count)
    return [{"role": "user", "content": text}]


def extract_json(text: str) -> Any:
    """The first JSON value in ``text``: inside a code fence if there is one, else after any prose.

    Raises ValueError when there is none.
    """
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for match in re.finditer(r"[\[{]", candidate):
            try:
                value, _ = decoder.raw_decode(candidate, match.start())
            except json.JSONDecodeError:
                continue
            return value
    raise ValueError("no JSON value found in the reply")


def _pairs_of(value: Any) -> list | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in _LIST_KEYS:
            if isinstance(value.get(key), list):
                return value[key]
        if "query" in value:
            return [value]
    return None


def parse_generation(text: str, request: GenerationRequest, provenance: dict[str, Any]) -> list[Sample]:
    """Samples from one reply; at most ``request.count`` of them, in reply order."""
    tools = list(request.tools)

    def sample(key: str, query: str, answers: Any, raw: str | None, pair_index: int) -> Sample:
        prov = Provenance(style=request.style, category=request.category, request_index=request.index,
                          pair_index=pair_index, **provenance)
        return Sample(key=f"{provenance['seed']}-{request.index}-{key}", query=query, tools=tools,
                      answers=answers, raw=raw, provenance=prov)

    try:
        pairs = _pairs_of(extract_json(text))
    except ValueError:
        pairs = None
    if pairs is None:
        return [sample("x", "", None, text, -1)]
    samples = []
    for j, pair in enumerate(pairs[: request.count]):
        if isinstance(pair, dict):
            query = pair.get("query")
            answers = pair.get("answers", pair.get("answer"))
            raw = None if isinstance(query, str) else json.dumps(pair, ensure_ascii=False)[:2000]
            samples.append(sample(str(j), query if isinstance(query, str) else "", answers, raw, j))
        else:
            samples.append(sample(str(j), "", None, json.dumps(pair, ensure_ascii=False)[:2000], j))
    return samples


@dataclass
class GenerationBatch:
    """What one batch of requests produced; failed requests are kept with their error, not dropped."""

    samples: list[Sample]
    failed_requests: list[dict[str, Any]]
    stats: CallStats


async def generate_batch(requests: Sequence[GenerationRequest], endpoint: Endpoint,
                         provenance: dict[str, Any]) -> GenerationBatch:
    stats = CallStats()

    async def one(request: GenerationRequest) -> tuple[list[Sample], dict | None]:
        try:
            text = await complete(endpoint, build_messages(request), stats)
        except LLMError as exc:
            return [], {"request_index": request.index, "pairs": request.count, "error": str(exc),
                        "transient": exc.transient, "attempts": exc.attempts}
        return parse_generation(text, request, provenance), None

    outcomes = await gather_limited([one(r) for r in requests])
    samples = [s for batch, _ in outcomes for s in batch]
    failed = [f for _, f in outcomes if f is not None]
    return GenerationBatch(samples=samples, failed_requests=failed, stats=stats)
