"""Read Python-syntax call strings (BFCL's format) as data: ``f(a=1, b=[2, 3])`` -> FunctionCall.

The text is parsed with ``ast.parse(mode="eval")`` and each keyword value is read with
``ast.literal_eval``; nothing is ever evaluated or executed. Only a bare function name called with
keyword arguments whose values are literals is accepted: positional arguments, ``**kwargs``,
attribute calls (``os.system(...)``), names, expressions and nested calls are refused with a
``ValueError`` that says why. Tuples become lists so the arguments are plain JSON values, held to
the bounds of decoded JSON (``apigen.safe_json``: nesting depth, integer digits, finite numbers).
"""

from __future__ import annotations

import ast
import math
from typing import Any, Iterable

from apigen.models import FunctionCall
from apigen.safe_json import MAX_DEPTH, MAX_INT_DIGITS

MAX_CALL_TEXT = 100_000  # characters; longer text is refused before parsing


def parse_call_string(text: str) -> FunctionCall:
    """One call, e.g. ``"calc_binomial_probability(n=20, k=5, p=0.6)"``."""
    return _call_from_node(_parse(text), text)


def parse_call_list(calls: str | Iterable[str]) -> list[FunctionCall]:
    """Several calls: a list of call strings (BFCL exec ground truth), or one string holding
    ``"[f(a=1), g(b=2)]"`` (a list or tuple of calls, BFCL's model-output form) or a single call."""
    if not isinstance(calls, str):
        texts = list(calls)
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise ValueError(f"call #{index} is a {type(text).__name__}, not a string")
        return [parse_call_string(text) for text in texts]
    node = _parse(calls)
    if isinstance(node, (ast.List, ast.Tuple)):
        if not node.elts:
            raise ValueError("the call list is empty")
        return [_call_from_node(elt, calls) for elt in node.elts]
    return [_call_from_node(node, calls)]


def _parse(text: str) -> ast.expr:
    if not isinstance(text, str):
        raise ValueError(f"a call string must be a str, got {type(text).__name__}")
    if len(text) > MAX_CALL_TEXT:
        raise ValueError(f"call text is too long ({len(text)} > {MAX_CALL_TEXT} characters)")
    if not text.strip():
        raise ValueError("call text is empty")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not a Python call expression: {exc.msg} in {_short(text)}") from exc
    except (RecursionError, MemoryError) as exc:
        raise ValueError(f"call text nests too deeply: {_short(text)}") from exc


def _call_from_node(node: ast.expr, text: str) -> FunctionCall:
    if not isinstance(node, ast.Call):
        raise ValueError(f"expected a function call, got {type(node).__name__.lower()} in {_short(text)}")
    if isinstance(node.func, ast.Attribute):
        raise ValueError(f"attribute calls are not allowed ({_dotted(node.func)}(...)); "
                         f"give a bare function name: {_short(text)}")
    if not isinstance(node.func, ast.Name):
        raise ValueError(f"the called object must be a bare function name, got "
                         f"{type(node.func).__name__.lower()}: {_short(text)}")
    name = node.func.id
    if node.args:
        raise ValueError(f"{name}: positional arguments are not allowed; pass every argument by keyword")
    arguments: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ValueError(f"{name}: **kwargs unpacking is not allowed")
        if keyword.arg in arguments:
            raise ValueError(f"{name}: argument {keyword.arg!r} is given more than once")
        arguments[keyword.arg] = _literal(keyword.value, name, keyword.arg)
    return FunctionCall(name=name, arguments=arguments)


def _literal(node: ast.expr, func: str, param: str) -> Any:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            raise ValueError(f"{func}: argument {param!r} holds a nested call; only literal values are allowed")
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
        raise ValueError(f"{func}: argument {param!r} is not a literal value "
                         f"({type(node).__name__.lower()}): {_short(ast.unparse(node))}") from exc
    return _to_json(value, func, param)


def _to_json(value: Any, func: str, param: str, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"{func}: argument {param!r} nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_DIGITS * 3.33:
        raise ValueError(f"{func}: argument {param!r} holds an integer of more than {MAX_INT_DIGITS} digits")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{func}: argument {param!r} holds a non-finite number {value!r}")
        return value
    if isinstance(value, (list, tuple)):
        return [_to_json(v, func, param, depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"{func}: argument {param!r} holds a dict with non-string keys")
        return {k: _to_json(v, func, param, depth + 1) for k, v in value.items()}
    raise ValueError(f"{func}: argument {param!r} holds a {type(value).__name__}, which has no JSON form")


def _dotted(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        return type(node).__name__


def _short(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 80 else text[:77] + "...")
