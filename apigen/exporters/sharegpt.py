"""A verified sample as a ShareGPT conversation the way LLaMA-Factory reads it (``formatting: sharegpt``,
columns ``messages: conversations`` and ``tools: tools``, as its ``glaive_toolcall_en_demo``).

LLaMA-Factory's converter (``src/llamafactory/data/converter.py``, ``SharegptDatasetConverter``) takes
human/observation turns at even positions and gpt/function_call turns at odd ones, and drops a
conversation with an odd number of turns. A ``function_call`` value is one ``{"name", "arguments"}``
object, or a JSON list of them for parallel calls (its ``FunctionFormatter``); ``tools`` is a JSON
string of ``{"name", "description", "parameters"}`` objects.

A sample is ``human`` (the query) then ``function_call`` (its calls): the training target is the
call. The execution results are not added as an ``observation``: the converter would then need a
final ``gpt`` answer after it (a conversation may not end on an observation), and a run has no such
answer to give; the ``openai`` format carries the results. A no-call sample is ``human`` then a
plain ``gpt`` reply.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from apigen.exporters.openai_messages import NO_CALL_REPLY
from apigen.models import Sample


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def row(sample: Sample, results: Sequence[Any] | None = None) -> dict[str, Any]:
    """``results`` is accepted for a uniform exporter signature and not used (see the module docstring)."""
    human = {"from": "human", "value": sample.query}
    calls = [{"name": c.name, "arguments": c.arguments} for c in sample.calls]
    if not calls:
        answer = {"from": "gpt", "value": NO_CALL_REPLY}
    else:
        answer = {"from": "function_call", "value": _dump(calls[0] if len(calls) == 1 else calls)}
    tools = [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in sample.tools]
    return {"conversations": [human, answer], "tools": _dump(tools)}
