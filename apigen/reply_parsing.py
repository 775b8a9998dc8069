"""Recover every query/answers pair from an LLM's reply to the generation prompt, and account for the rest.

Real models answer with messy text: reasoning blocks, code fences, prose, lists closed too early,
stray braces, missing commas, replies cut by the token limit, native tool calls. A strict decode is
tried first; when the reply is not one JSON value of the expected shape, a tolerant bracket scan
finds each balanced ``{...}`` object that has a ``"query"`` key and decodes it on its own. Whatever
looked like an attempt at a pair but cannot be decoded becomes a ``Fragment``, so upstream can
export it as a rejected row instead of losing it silently.

The text is untrusted: it is read with ``apigen.safe_json`` (strict, depth-bounded JSON: no NaN, no
duplicate keys, no 5,000-digit integers; lone surrogates are kept here, ``generation`` replaces them
before a sample is stored) and with ``ast`` node walking only, never evaluated. Work is
bounded: the scan is one pass over the text, decoding has a character budget, and at most
``MAX_ITEMS`` pairs and fragments are returned, their text clipped to ``MAX_TEXT``.
"""

from __future__ import annotations

import ast
import bisect
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

from apigen.quoting import quote
from apigen.safe_json import (MAX_DEPTH, MAX_INT_DIGITS, UntrustedJSONError, loads_strict, raw_decode_strict,
                              scrub_surrogates, strict_copy)

MAX_ITEMS = 1000        # pairs + fragments returned for one reply
MAX_TEXT = 2000         # characters kept of a pair's raw text or a fragment's text
MAX_CANDIDATES = 10_000  # objects with a "query" key considered by the scan
MAX_CALL_TEXT = 100_000  # characters of Python call syntax parsed at most
LIST_KEYS = ("pairs", "data", "examples", "samples", "items", "results", "queries")
ANSWER_KEYS = ("answers", "answer", "calls", "tool_calls")

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.S)
_QUERY_KEY = re.compile(r'"query"\s*:')
_COLON = re.compile(r"[ \t\r\n]*:")
_TOKEN = re.compile(r'[{}\[\]"\\\n]')
_THINK_OPEN = re.compile(r"<(think|thinking)>", re.I)
_THINK_CLOSE = {"think": re.compile(r"</think\s*>", re.I), "thinking": re.compile(r"</thinking\s*>", re.I)}
_ANY_THINK_CLOSE = re.compile(r"</think(?:ing)?\s*>", re.I)


@dataclass(frozen=True)
class RecoveredPair:
    query: Any   # whatever the object's "query" held (may be non-str; the caller decides)
    answers: Any  # the answers value after ``parse_calls``; None when the object had none
    raw: str     # the JSON text of this pair as found (clipped), for rejected rows


@dataclass(frozen=True)
class Fragment:
    text: str  # raw text that looked like an attempt at a pair but could not be recovered (clipped)
    code: str  # "json_invalid", "truncated" (incomplete tail of a length-cut reply) or "no_query"


@dataclass(frozen=True)
class ParsedReply:
    pairs: tuple[RecoveredPair, ...]
    fragments: tuple[Fragment, ...]  # each becomes one rejected row upstream
    truncated: bool                  # finish_reason == "length"
    empty: bool                      # no answer text (none, whitespace, or reasoning only) and no tool calls
    notes: tuple[str, ...] = ()      # how the reply was read, e.g. "think_block_removed", "balanced_scan"


class _Invalid(Exception):
    """A value that is not strict JSON or not a literal; never leaves this module."""


def _loads(text: str) -> Any:
    """Strict JSON, or raise ``_Invalid``; deep nesting and junk never escape as other errors."""
    try:
        return loads_strict(text, allow_surrogates=True)
    except UntrustedJSONError as exc:
        raise _Invalid(exc.reason) from None


def _clip(text: str) -> str:
    return text[:MAX_TEXT]


def _dumps(value: Any) -> str:
    try:
        return _clip(json.dumps(value, ensure_ascii=False, default=repr))
    except (ValueError, TypeError, RecursionError):
        return quote(value, MAX_TEXT)


# -- answers -------------------------------------------------------------------------------------

def parse_calls(value: Any) -> Any:
    """Normalize an answers value into a list of ``{"name", "arguments"}`` calls where that is safe.

    A JSON string of a list -> the list; a single call object -> ``[obj]``; OpenAI tool-call shapes
    ``{"type": "function", "function": {"name", "arguments": "<json>"}}`` -> ``{"name", "arguments"}``;
    arguments given as a JSON string -> the object when it decodes to one; Python call syntax
    (``'f(a=1)'``, ``'[f(a=1), g(b=[1, 2])]'``) with keyword literal arguments -> calls. Anything else
    is returned unchanged, so the format stage can name what is wrong with it.
    """
    return _normalize_calls(value, set())


def _normalize_calls(value: Any, notes: set[str]) -> Any:
    if isinstance(value, str):
        try:
            decoded = _loads(value)
        except _Invalid:
            calls = _python_calls(value)
            if calls is not None:
                notes.add("python_calls")
                return calls
            return value
        if isinstance(decoded, (list, dict)):
            notes.add("answers_json_string")
            return _normalize_calls(decoded, notes)
        return value
    if isinstance(value, dict):
        return [_normalize_call(value, notes)]
    if isinstance(value, list):
        return [_normalize_call(item, notes) for item in value]
    return value


def _normalize_call(item: Any, notes: set[str]) -> Any:
    if isinstance(item, str):
        try:
            decoded = _loads(item)
        except _Invalid:
            calls = _python_calls(item)
            if calls is not None and len(calls) == 1:
                notes.add("python_calls")
                return calls[0]
            return item
        return _normalize_call(decoded, notes) if isinstance(decoded, dict) else item
    if not isinstance(item, dict):
        return item
    function = item.get("function")
    if "name" not in item and isinstance(function, dict) and "name" in function:
        notes.add("openai_call_shape")
        item = {"name": function.get("name"), "arguments": function.get("arguments", {})}
    arguments = item.get("arguments")
    if isinstance(arguments, str):
        try:
            decoded = _loads(arguments)
        except _Invalid:
            return item
        if isinstance(decoded, dict):
            notes.add("arguments_json_string")
            return {**item, "arguments": decoded}
    return item


def _python_calls(text: str) -> list[dict[str, Any]] | None:
    """``f(a=1)`` or ``[f(a=1), g(b="x")]`` read by walking the syntax tree; None unless every call is
    a bare name with keyword literal arguments (positional arguments are refused: no schema here)."""
    if len(text) > MAX_CALL_TEXT or "(" not in text:
        return None
    try:
        node = ast.parse(text.strip(), mode="eval").body
        nodes = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
        if not nodes:
            return None
        return [_call_of(n) for n in nodes]
    except (_Invalid, SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return None


def _call_of(node: ast.expr) -> dict[str, Any]:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
        raise _Invalid("not a keyword-only call of a bare name")
    arguments: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None or keyword.arg in arguments:
            raise _Invalid("**kwargs or a repeated keyword")
        arguments[keyword.arg] = _literal(keyword.value, 0)
    return {"name": node.func.id, "arguments": arguments}


def _literal(node: ast.expr, depth: int) -> Any:
    """JSON value of a literal node: constants, lists, tuples, dicts with str keys, negated numbers;
    held to the bounds of decoded JSON (depth, integer digits, finite numbers)."""
    if depth > MAX_DEPTH:
        raise _Invalid("nested too deeply")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > MAX_INT_DIGITS:
            raise _Invalid("integer too long")
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise _Invalid(f"{type(value).__name__} constant")
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(elt, depth + 1) for elt in node.elts]
    if isinstance(node, ast.Dict):
        out = {}
        for key, val in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise _Invalid("dict key is not a string")
            out[key.value] = _literal(val, depth + 1)
        return out
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool)):
        return -_literal(node.operand, depth + 1)
    raise _Invalid(f"{type(node).__name__} is not a literal")


def _pair(obj: dict, raw: str, notes: set[str]) -> RecoveredPair:
    key = next((k for k in ANSWER_KEYS if k in obj), None)
    answers = _normalize_calls(obj[key], notes) if key else None
    return RecoveredPair(query=obj.get("query"), answers=answers, raw=_clip(raw))


# -- the reply -----------------------------------------------------------------------------------

def parse_pairs_reply(content: str | None, finish_reason: str | None = None,
                      tool_calls: Sequence[dict] = (), reasoning: str | None = None) -> ParsedReply:
    """Pairs and fragments of one chat-completion reply; never raises.

    ``reasoning`` (a server's separate reasoning_content) is deliberately not read: drafts in it are
    not answers. A reply with text but nothing recovered becomes one fragment holding the text.
    """
    del reasoning
    truncated = finish_reason == "length"
    notes: list[str] = []
    pairs: list[RecoveredPair] = []
    fragments: list[Fragment] = []
    call_notes: set[str] = set()

    had_calls = _read_tool_calls(tool_calls, pairs, fragments, call_notes)
    if had_calls:
        notes.append("tool_calls")
    text = as_text(content)
    body, think_note, unclosed = _strip_reasoning(text)
    if think_note:
        notes.append(think_note)
    if unclosed:
        fragments.append(Fragment(_clip(text.strip()), "truncated" if truncated else "json_invalid"))
    elif body.strip():
        before = len(pairs) + len(fragments)
        notes.extend(_read_body(body, truncated, pairs, fragments, call_notes))
        if len(pairs) + len(fragments) == before and not had_calls:
            notes.append("no_pairs")
            fragments.append(Fragment(_clip(body.strip()), "truncated" if truncated else "json_invalid"))
    empty = not had_calls and not unclosed and not body.strip()
    notes.extend(sorted(call_notes))
    pairs = pairs[:MAX_ITEMS]
    fragments = fragments[:MAX_ITEMS - len(pairs)]
    return ParsedReply(tuple(pairs), tuple(fragments), truncated, empty, tuple(notes))


def as_text(content: Any) -> str:
    """A reply's text, OpenAI content parts joined."""
    if content is None:
        return ""
    if isinstance(content, list):  # OpenAI content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return content if isinstance(content, str) else str(content)


def _strip_reasoning(text: str) -> tuple[str, str | None, bool]:
    """Text without ``<think>...</think>`` blocks; (text, note, whether a block never closed).

    A closing tag with no opening one (the server split the opening off) drops what precedes it.
    One forward pass: each search starts where the last one ended.
    """
    note = None
    first_open, first_close = _THINK_OPEN.search(text), _ANY_THINK_CLOSE.search(text)
    if first_close and (first_open is None or first_close.start() < first_open.start()):
        text, note = text[first_close.end():], "think_block_removed"
    parts, pos = [], 0
    while (opening := _THINK_OPEN.search(text, pos)) is not None:
        parts.append(text[pos:opening.start()])
        closing = _THINK_CLOSE[opening.group(1).lower()].search(text, opening.end())
        if closing is None:
            body = "".join(parts)
            return body, "think_unclosed", not body.strip()
        pos, note = closing.end(), "think_block_removed"
    parts.append(text[pos:])
    return "".join(parts), note, False


def _read_tool_calls(tool_calls: Any, pairs: list, fragments: list, notes: set[str]) -> bool:
    """Tool calls whose arguments hold a pair (or a list of them) are pairs; the other calls are
    answers without a query and become one ``no_query`` fragment."""
    if not isinstance(tool_calls, (list, tuple)) or not tool_calls:
        return False
    orphans = []
    for call in tool_calls[:MAX_ITEMS]:
        function = call.get("function") if isinstance(call, dict) else None
        source = function if isinstance(function, dict) else call
        arguments = source.get("arguments") if isinstance(source, dict) else None
        try:  # a string is decoded; a value the provider already decoded is checked alike
            value = _loads(arguments) if isinstance(arguments, str) else strict_copy(arguments, allow_surrogates=True)
        except (_Invalid, UntrustedJSONError):
            value = None
        raw = arguments if isinstance(arguments, str) else _dumps(arguments)
        if isinstance(value, dict) and "query" in value and any(k in value for k in ANSWER_KEYS):
            pairs.append(_pair(value, raw, notes))
        elif isinstance(value, dict) and (items := _wrapped_list(value)) is not None:
            _read_items(items, pairs, fragments, notes)
        else:
            orphans.append(_normalize_call(call, notes))
    if orphans:
        fragments.append(Fragment(_dumps(orphans), "no_query"))
    return True


def _wrapped_list(value: dict) -> list | None:
    """The list a wrapper object holds under one of ``LIST_KEYS``, e.g. ``{"pairs": [...]}``."""
    return next((value[key] for key in LIST_KEYS if isinstance(value.get(key), list)), None)


def _read_items(items: list, pairs: list, fragments: list, notes: set[str]) -> None:
    """Items of a list that was meant to hold pairs: objects are pairs (query may be missing),
    anything else is a fragment."""
    for item in items[:MAX_ITEMS]:
        if isinstance(item, dict):
            pairs.append(_pair(item, _dumps(item), notes))
        else:
            fragments.append(Fragment(_dumps(item), "json_invalid"))


def _read_body(body: str, truncated: bool, pairs: list, fragments: list, notes: set[str]) -> list[str]:
    strict = _strict_value(body)
    if strict is not None:
        value, how = strict
        if isinstance(value, list):
            _read_items(value, pairs, fragments, notes)
            return how + ["json_list"]
        if "query" in value:
            pairs.append(_pair(value, _dumps(value), notes))
            return how + ["single_object"]
        _read_items(_wrapped_list(value), pairs, fragments, notes)
        return how + ["wrapped_list"]
    _scan(body, truncated, pairs, fragments, notes)
    return ["balanced_scan"]


def _strict_value(body: str) -> tuple[Any, list[str]] | None:
    """The reply's one JSON value when it has the expected shape (a list, a wrapper of a list, or one
    pair) and no other text outside it looks like a pair; else None and the scan takes over."""
    def shaped(value: Any) -> bool:
        return isinstance(value, list) or isinstance(value, dict) and (
            "query" in value or _wrapped_list(value) is not None)

    for count, match in enumerate(_FENCE.finditer(body)):
        if count >= 20:
            break
        try:
            value = _loads(match.group(1).strip())
        except _Invalid:
            continue
        if shaped(value) and not _QUERY_KEY.search(body[:match.start()] + body[match.end():]):
            return value, ["code_fence"]
    starts = [i for i in (body.find("["), body.find("{")) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    try:
        value, end = raw_decode_strict(body, start, allow_surrogates=True)
    except UntrustedJSONError:
        return None
    if shaped(value) and not _QUERY_KEY.search(body[:start] + body[end:]):
        return value, []
    return None


@dataclass
class _Candidate:
    start: int
    end: int = -1        # one past the closing brace; where it was abandoned when not closed
    closed: bool = False
    at_end: bool = False  # still open when the text ran out


def _scan(body: str, truncated: bool, pairs: list, fragments: list, notes: set[str]) -> None:
    """Find balanced objects with a "query" key in one pass and decode each on its own.

    Strings are tracked only inside brackets (prose quotes do not count) and end at a newline
    (an unbalanced quote damages one line only). A closer that does not match the innermost opener
    closes the nearest matching one, abandoning those in between, or is ignored when there is none.
    Objects nested in a recovered pair are part of it. Inside an object that failed, only objects
    with both a query and answers count as pairs, so a pair's ``{"query": ...}`` arguments do not.
    """
    stack: list[int] = []          # start of an open "{", or -1 for an open "["
    open_lists = 0
    candidates: dict[int, _Candidate] = {}
    in_string, string_start, escaped = False, 0, -1
    for match in _TOKEN.finditer(body):
        i, ch = match.start(), match.group()
        if in_string:
            if i == escaped:
                continue
            if ch == "\\":
                escaped = i + 1
            elif ch == '"':
                in_string = False
                if (i - string_start == 6 and body[string_start + 1:i] == "query" and stack and stack[-1] >= 0
                        and len(candidates) < MAX_CANDIDATES and _COLON.match(body, i + 1)):
                    candidates.setdefault(stack[-1], _Candidate(stack[-1]))
            elif ch == "\n":
                in_string = False
            continue
        if ch == '"':
            if stack:
                in_string, string_start = True, i
        elif ch == "{":
            stack.append(i)
        elif ch == "[":
            stack.append(-1)
            open_lists += 1
        elif ch == "}" or ch == "]":
            want_list = ch == "]"
            if want_list and open_lists == 0 or not want_list and len(stack) == open_lists:
                continue  # nothing open that this could close: a stray closer
            while True:
                top = stack.pop()
                if top < 0:
                    open_lists -= 1
                if (top < 0) == want_list:
                    break
                if top >= 0 and top in candidates:
                    candidates[top].end = i  # abandoned
            if top >= 0 and top in candidates:
                candidates[top].end, candidates[top].closed = i + 1, True
    for top in stack:
        if top >= 0 and top in candidates:
            candidates[top].end, candidates[top].at_end = len(body), True
    _judge(body, truncated, sorted(candidates.values(), key=lambda c: c.start), pairs, fragments, notes)


def _judge(body: str, truncated: bool, candidates: list[_Candidate], pairs: list, fragments: list,
           notes: set[str]) -> None:
    """Decide, outermost first, which candidates are pairs and which are fragments."""
    budget = 4 * len(body) + 100_000  # characters json may decode in all
    pair_spans: list[tuple[int, int]] = []
    failed: list[_Candidate] = []      # enclosing candidates that did not decode
    covered: list[tuple[int, int]] = []
    found: list[tuple[int, Any]] = []  # (start, RecoveredPair | _Candidate) in text order
    skip_to = -1
    for cand in candidates:
        if cand.start < skip_to:
            continue
        while failed and failed[-1].end <= cand.start:
            failed.pop()
        inside_failed = bool(failed)
        value = None
        if cand.closed and cand.end - cand.start <= budget:
            budget -= cand.end - cand.start
            try:
                value = _loads(body[cand.start:cand.end])
            except _Invalid:
                value = None
        if isinstance(value, dict) and "query" in value and (
                not inside_failed or any(k in value for k in ANSWER_KEYS)):
            found.append((cand.start, _pair(value, body[cand.start:cand.end], notes)))
            pair_spans.append((cand.start, cand.end))
            skip_to = cand.end
        elif value is None:
            if not inside_failed:
                found.append((cand.start, cand))
                covered.append((cand.start, cand.end))
            failed.append(cand)
    pair_starts = [s for s, _ in pair_spans]
    covered.extend(pair_spans)
    for start, item in _gap_fragments(body, truncated, covered):
        found.append((start, item))
    found.sort(key=lambda f: f[0])
    for start, item in found[:MAX_ITEMS]:
        if isinstance(item, RecoveredPair):
            pairs.append(item)
        elif isinstance(item, Fragment):
            fragments.append(item)
        else:  # a failed candidate: its text up to the first pair recovered inside it
            k = bisect.bisect_right(pair_starts, start)
            stop = pair_starts[k] if k < len(pair_starts) and pair_starts[k] < item.end else item.end
            cut_short = stop < item.end
            code = "truncated" if truncated and item.at_end and not cut_short else "json_invalid"
            fragments.append(Fragment(_clip(body[start:stop].rstrip(" \t\r\n,")), code))


def _gap_fragments(body: str, truncated: bool, covered: list[tuple[int, int]]) -> list[tuple[int, Fragment]]:
    """Text outside every pair and failed object that still holds a ``"query":`` key (say, an object
    missing its braces), and the unfinished start of a new object at the end of a length-cut reply."""
    out = []
    spans = sorted(covered)
    gaps, pos = [], 0
    for start, end in spans:
        if start > pos:
            gaps.append((pos, start))
        pos = max(pos, end)
    gaps.append((pos, len(body)))
    for n, (start, end) in enumerate(gaps):
        gap = body[start:end]
        hit = _QUERY_KEY.search(gap)
        last = n == len(gaps) - 1
        if last and truncated and (hit or "{" in gap):
            first = min(i for i in (gap.find("{"), hit.start() if hit else -1) if i >= 0)
            out.append((start + first, Fragment(_clip(gap[first:].strip()), "truncated")))
        elif hit:
            brace = gap.rfind("{", 0, hit.start())
            first = brace if brace >= 0 else hit.start()
            out.append((start + first, Fragment(_clip(gap[first:].rstrip(" \t\r\n,]`")), "json_invalid")))
    return out


def first_json_value(text: str | None) -> Any:
    """The first JSON value of a short reply (a judge's verdict): reasoning blocks removed, a code
    fence preferred, prose around it tolerated, decoded strictly (lone surrogates replaced, so the
    verdict can be stored). Raises ValueError when there is none."""
    body, _, _ = _strip_reasoning(as_text(text)[:MAX_CALL_TEXT])
    candidates = [m.group(1) for _, m in zip(range(20), _FENCE.finditer(body))] + [body]
    for candidate in candidates:
        for _, match in zip(range(200), re.finditer(r"[\[{]", candidate)):
            try:
                return scrub_surrogates(raw_decode_strict(candidate, match.start(), allow_surrogates=True)[0])
            except UntrustedJSONError:
                continue
    raise ValueError("no JSON value found in the reply")
