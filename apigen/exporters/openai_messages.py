"""A verified sample as an OpenAI chat-completions training row: ``{"messages": [...], "tools": [...]}``.

The shape OpenAI's fine-tuning and most chat templates (``apply_chat_template(..., tools=...)``) take:
the user's query; one assistant message whose ``tool_calls`` carry ``function.arguments`` as a JSON
*string*; then one ``tool`` message per call with that call's execution result and its
``tool_call_id``. A sample without calls (``answers == []``, the no-call style) is the query and a
plain assistant reply that says the offered tools cannot do it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

from apigen.models import Sample

# Neutral on purpose: it names no tool and promises nothing, so it fits every no-call query.
NO_CALL_REPLY = "None of the available tools can do this, so I cannot make a function call for this request."


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def call_id(sample_key: str, index: int) -> str:
    """Deterministic, unique within a row, and 9 alphanumerics: the strictest templates (Mistral's)
    accept only that shape."""
    return hashlib.sha256(f"{sample_key}:{index}".encode()).hexdigest()[:9]


def tools(sample: Sample) -> list[dict[str, Any]]:
    return [t.to_openai() for t in sample.tools]


def row(sample: Sample, results: Sequence[Any] | None) -> dict[str, Any]:
    """``results``: the execution stage's per-call results. None when execution did not run (e.g. a tool
    without implementation): the row then ends at the assistant's calls, with no invented tool output."""
    user = {"role": "user", "content": sample.query}
    calls = sample.calls
    if not calls:
        return {"messages": [user, {"role": "assistant", "content": NO_CALL_REPLY}], "tools": tools(sample)}
    ids = [call_id(sample.key, i) for i in range(len(calls))]
    assistant = {"role": "assistant", "content": None, "tool_calls": [
        {"id": ids[i], "type": "function", "function": {"name": c.name, "arguments": _dump(c.arguments)}}
        for i, c in enumerate(calls)]}
    replies = [] if results is None else [
        {"role": "tool", "tool_call_id": ids[i], "content": _dump(results[i] if i < len(results) else None)}
        for i in range(len(calls))]
    return {"messages": [user, assistant, *replies], "tools": tools(sample)}


def for_chat_template(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with each ``function.arguments`` decoded to an object, as Hugging Face chat templates
    take them (``apply_chat_template`` renders ``arguments | tojson``: a JSON string would come out
    escaped, teaching a model to write a quoted string). OpenAI's API and fine-tuning take the string."""
    out = []
    for message in messages:
        if message.get("tool_calls"):
            message = {**message, "tool_calls": [
                {**c, "function": {**c["function"], "arguments": json.loads(c["function"]["arguments"])}}
                for c in message["tool_calls"]]}
        out.append(message)
    return out
