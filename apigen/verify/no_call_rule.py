"""The semantic rule for no-call rows: a query that names an offered tool's purpose outright, with
the values that tool needs, is not a no-call query (``no_call_tool_fits``).

A no-call row teaches a model to answer without calling; one whose query plainly asks for what an
offered tool does teaches it to refuse work it can do. The rule is deliberately narrow (it only
catches the plain case: the tool's name, or nearly every content word of the first sentence of its
description, in the query, and a value for each required parameter); whether some tool fits in a
subtler way is the judge's question (``prompts/judge_no_call.md``). Measured (tests/test_no_call.py):
238 of BFCL v4's 240 irrelevance questions pass; of real rows whose answer is a call, made into fake
no-call rows, it rejects 96 / 400 BFCL simple_python, 41 / 200 BFCL multiple and 4 / 15 xlam rows.

Also here: what a no-call row is, and its execution verdict (nothing to run).
"""

from __future__ import annotations

import re
from typing import Sequence

from api_registry.spec import ToolSpec
from apigen.models import Finding, Sample, StageResult, Style
from apigen.quoting import quote
from apigen.verify.format_check import decode_answers

CODE = "no_call_tool_fits"
INTENT_COVERAGE = 0.75   # share of the intent's content words the query must contain
INTENT_MIN_WORDS = 3     # an intent of fewer content words says too little to match on
NO_CALL_EXECUTION = StageResult(stage="execution", status="passed", results=(),
                                reason="no-call row: no call to execute")

_STOP = frozenset("""a an the of to for and or in on at by with from into over about as is are be been was were
this that these those it its their his her your my our given specified specific provided based using via
given all any each some such than then if else when which who whom what how get gets retrieve retrieves
return returns fetch fetches find finds provide provides list lists use uses used can will may also""".split())
_VALUE = re.compile(r"\d|\"[^\"]+\"|'[^']+'|=|@|https?://|(?<=\s)[A-Z][A-Za-z]+")


def is_no_call(sample: Sample) -> bool:
    """A row whose answers are the empty list, of the no_call style or without a style (``apigen verify``)."""
    if sample.provenance is not None and sample.provenance.style is not Style.NO_CALL:
        return False
    decoded, problem = decode_answers(sample.answers)
    return problem is None and decoded == []


def _stem(word: str) -> str:
    for suffix in ("ies", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def words(text: str) -> list[str]:
    """Lower-case, stemmed words; names are split at ``_``, ``.``, ``-`` and camelCase."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower())]


def _content(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t not in _STOP and len(t) > 1 and not t.isdigit()]


def intent_words(tool: ToolSpec) -> list[str]:
    """The content words of the first sentence of the tool's description (its main purpose)."""
    first = re.split(r"(?<=[.!?])\s", tool.description.strip(), maxsplit=1)[0] if tool.description else ""
    return list(dict.fromkeys(_content(words(first))))


def _phrase_in(phrase: Sequence[str], tokens: Sequence[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(list(tokens[i:i + n]) == list(phrase) for i in range(len(tokens) - n + 1))


def _values_present(tool: ToolSpec, query: str) -> bool:
    """The query states some value (a number, a quoted string, ``x = y``, a name) when the tool needs
    one: a request without any is missing what the call would need, and a no-call answer is right."""
    return not tool.required or bool(_VALUE.search(query))


def fitting_tool(query: str, tools: Sequence[ToolSpec]) -> tuple[ToolSpec, str] | None:
    """The first offered tool the query plainly asks for, and how it was recognised; None if none."""
    tokens = words(query)
    token_set = set(tokens)
    for tool in tools:
        name = words(tool.name)
        named = (len(_content(name)) >= 2 and _phrase_in(name, tokens)) or tool.name.lower() in query.lower().split()
        intent = intent_words(tool)
        found = sum(w in token_set for w in intent)
        covered = len(intent) >= INTENT_MIN_WORDS and found >= INTENT_COVERAGE * len(intent)
        if (named or covered) and _values_present(tool, query):
            return tool, "its name" if named else "its description's purpose"
    return None


def check_no_call(query: str, tools: Sequence[ToolSpec]) -> list[Finding]:
    """``[no_call_tool_fits]`` when an offered tool plainly serves the query, else ``[]``."""
    found = fitting_tool(query, tools)
    if found is None:
        return []
    tool, how = found
    return [Finding(code=CODE, message=f"the query asks for what {quote(tool.name)} does ({how}) and gives its "
                                       "values: a call, not a refusal, answers it")]
