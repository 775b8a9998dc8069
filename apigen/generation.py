"""Generation: render a request into a prompt, ask the LLM, and read the reply back into samples.

The reply is untrusted text, decoded by ``reply_parsing`` (strict, depth-bounded JSON and ``ast``
parsers only, never evaluated); a pair that cannot be read is that pair's rejection, and what a pair
holds is made storable (lone surrogates replaced) before it becomes a sample. Every pair asked for
is accounted for: it comes back as a sample (possibly a rejected one carrying the raw text), or it
is counted as not returned, with the reason (fewer than asked, truncated at the token limit, empty
reply), or as lost with a failed request.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from apigen.llm import CallStats, Endpoint, LLMError, complete_reply, gather_limited, structured_mode
from apigen.models import Finding, Provenance, Sample, StageResult
from apigen.reply_parsing import ParsedReply, as_text, parse_calls, parse_pairs_reply
from apigen.safe_json import loads_strict, replace_surrogates, scrub_surrogates
from apigen.sampling import GenerationRequest, render_examples
from apigen.structured_output import pairs_schema, response_format
from prompts import load_template

# Tokens a reply may use per pair asked for (plus a fixed allowance): generous for any model's JSON,
# but a small model that runs on inside a string is cut off in seconds, not minutes.
TOKENS_PER_PAIR, TOKENS_BASE = 500, 300

_FOREIGN_EXAMPLES = ("Format examples. They call made-up functions (other_api_1, ...) that you do NOT have; copy "
                     "only the shape of the JSON, never these function names:")
_OWN_EXAMPLES = "Examples of good pairs for these tools:"


def build_messages(request: GenerationRequest) -> list[dict[str, str]]:
    tools = json.dumps([t.to_prompt_dict() for t in request.tools], indent=1, ensure_ascii=False)
    examples = ""
    if request.examples:
        intro = _FOREIGN_EXAMPLES if request.examples_foreign else _OWN_EXAMPLES
        examples = f"{intro}\n<examples>\n{render_examples(request.examples)}\n</examples>"
    text = load_template("generate").render(
        style=request.style.value, style_instructions=request.style_instructions, tools=tools,
        tool_names=", ".join(t.name for t in request.tools), examples=examples, count=request.count)
    return [{"role": "user", "content": text}]


def request_seed(run_seed: int, request_index: int) -> int:
    """A per-request sampling seed for providers that take one: a re-run asks the same way."""
    return zlib.crc32(f"{run_seed}:{request_index}".encode()) & 0x7FFFFFFF


def generation_format(request: GenerationRequest, endpoint: Endpoint) -> dict | None:
    """The ``response_format`` for a request: the pairs' JSON schema over its tools, JSON mode, or none."""
    mode = structured_mode(endpoint)
    if mode == "off":
        return None
    return response_format(mode, pairs_schema(request.tools, request.count, request.style), "query_answer_pairs")


@dataclass(frozen=True)
class RequestOutcome:
    """One reply read back: its samples and why pairs asked for did not come back."""

    samples: list[Sample]
    not_returned: Counter = field(default_factory=Counter)  # reason -> pairs


def parse_generation(reply: Any, request: GenerationRequest, provenance: dict[str, Any]) -> RequestOutcome:
    """Samples from one reply, at most ``request.count``, in reply order; ``reply`` is a ``Reply`` or text."""
    tools = list(request.tools)
    content = reply if isinstance(reply, str) else reply.content
    text = replace_surrogates(as_text(content))
    parsed: ParsedReply = parse_pairs_reply(content, getattr(reply, "finish_reason", None),
                                            getattr(reply, "tool_calls", ()), getattr(reply, "reasoning", None))

    def sample(key: str, query: str, answers: Any, raw: str | None, pair_index: int) -> Sample:
        prov = Provenance(style=request.style, category=request.category, request_index=request.index,
                          pair_index=pair_index, **provenance)
        return Sample(key=f"{provenance['seed']}-{request.index}-{key}", query=replace_surrogates(query),
                      tools=tools, answers=scrub_surrogates(answers),
                      raw=None if raw is None else replace_surrogates(raw), provenance=prov)

    samples: list[Sample] = []
    for j, pair in enumerate(parsed.pairs):
        query = pair.query if isinstance(pair.query, str) else ""
        raw = None if isinstance(pair.query, str) else pair.raw
        samples.append(sample(str(j), query, parse_calls(pair.answers), raw, j))
    for k, fragment in enumerate(parsed.fragments):
        if fragment.code == "truncated":
            continue  # the incomplete tail of a length-cut reply: counted below, not a pair
        if fragment.code == "no_query":  # native tool calls with no query: the format stage says missing_query
            try:
                calls = parse_calls(loads_strict(fragment.text, allow_surrogates=True))
                samples.append(sample(f"f{k}", "", calls, None, -1 - k))
                continue
            except ValueError:
                pass
        samples.append(sample(f"f{k}", "", None, fragment.text or text[:2000], -1 - k))
    samples = [_reject_copied_example(s, request) for s in samples[: request.count]]
    missing = request.count - len(samples)
    not_returned: Counter = Counter()
    if missing > 0:
        reason = "empty_reply" if parsed.empty else "truncated" if parsed.truncated else "fewer_than_asked"
        not_returned[reason] = missing
    return RequestOutcome(samples, not_returned)


def _normalized(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _reject_copied_example(sample: Sample, request: GenerationRequest) -> Sample:
    """A query copied from the prompt's few-shot examples is not new data (small models do this, and
    the calls then answer some other question): its semantic verdict, ``copied_example``, is decided
    here, where the examples are known; format and execution still check the row as usual."""
    if not sample.query or not request.examples:
        return sample
    query = _normalized(sample.query)
    if not any(query == _normalized(str(e.get("query", ""))) for e in request.examples):
        return sample
    return sample.with_verdict(StageResult(stage="semantic", status="failed", decided_by="rules", errors=(Finding(
        code="copied_example", message="the query repeats a few-shot example of the prompt word for word"),)))


@dataclass
class GenerationBatch:
    """What one batch of requests produced; failed requests are kept with their error, not dropped."""

    samples: list[Sample]
    failed_requests: list[dict[str, Any]]
    stats: CallStats
    not_returned: Counter = field(default_factory=Counter)


async def generate_batch(requests: Sequence[GenerationRequest], endpoint: Endpoint,
                         provenance: dict[str, Any]) -> GenerationBatch:
    stats = CallStats()

    async def one(request: GenerationRequest) -> tuple[RequestOutcome | None, dict | None]:
        bounded = endpoint.model_copy(update={"max_tokens": min(endpoint.max_tokens,
                                                                TOKENS_BASE + TOKENS_PER_PAIR * request.count)})
        try:
            reply = await complete_reply(bounded, build_messages(request), stats,
                                         response_format=generation_format(request, endpoint),
                                         seed=request_seed(provenance["seed"], request.index))
        except LLMError as exc:
            return None, {"request_index": request.index, "pairs": request.count, "error": str(exc),
                          "kind": exc.kind, "transient": exc.transient, "attempts": exc.attempts}
        return parse_generation(reply, request, provenance), None

    outcomes = await gather_limited([one(r) for r in requests])
    samples = [s for outcome, _ in outcomes if outcome for s in outcome.samples]
    not_returned: Counter = Counter()
    for outcome, _ in outcomes:
        if outcome:
            not_returned.update(outcome.not_returned)
    failed = [f for _, f in outcomes if f is not None]
    return GenerationBatch(samples=samples, failed_requests=failed, stats=stats, not_returned=not_returned)
