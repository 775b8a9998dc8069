"""Stage 1, format: the answers are a JSON list of calls that fit the offered tools' schemas.

Collects every failure, not only the first; each carries a stable code and the index of the call.
Faults of the tool documentation itself are warnings on the tool, never errors of the answer.
When the sample's style is known, well-formed calls must also have its shape (``style_mismatch``,
see ``style_check``); a row with broken calls is not charged with a style fault on top.
"""

from __future__ import annotations

from typing import Any, Sequence

from api_registry.spec import ToolSpec
from api_registry.validation import validate_value
from apigen.models import Finding, StageResult, Style
from apigen.quoting import QUOTE_CHARS, clip, quote
from apigen.safe_json import UntrustedJSONError, loads_strict
from apigen.verify.style_check import check_style

STAGE = "format"
MESSAGE_CHARS = 2 * QUOTE_CHARS + 100  # a message quotes at most a value or two and says why


def decode_answers(answers: Any) -> tuple[Any, Finding | None]:
    """Answers arrive as a list or as a JSON string of one (xlam stores strings), decoded strictly."""
    if isinstance(answers, str):
        try:
            return loads_strict(answers), None
        except UntrustedJSONError as exc:
            return None, Finding(code=exc.code, message=f"answers are not valid JSON: {exc.reason}")
    return answers, None


def check_format(query: str, tools: Sequence[ToolSpec], answers: Any, raw: str | None = None,
                 allow_no_call: bool = False, style: Style | str | None = None) -> StageResult:
    """The format verdict; ``style`` (None: unknown, e.g. a row of an existing dataset) adds the style rule.

    An empty answer list that ``allow_no_call`` accepts is a deliberate refusal, not a styled row."""
    errors: list[Finding] = []
    warnings = [Finding(code=f"tool_{issue.code}", message=clip(f"tool {quote(tool.name)}"
                        + (f", parameter {quote(issue.param)}" if issue.param else "") + f": {issue.message}",
                        MESSAGE_CHARS))
                for tool in tools for issue in tool.doc_issues]
    if answers is None and raw is not None:
        errors.append(Finding(code="json_invalid", message=f"the reply holds no usable JSON: {raw[:120]!r}"))
        return StageResult(stage=STAGE, status="failed", errors=tuple(errors), warnings=tuple(warnings))
    if not isinstance(query, str) or not query.strip():
        errors.append(Finding(code="missing_query", message="the sample has no query text"))
    decoded, problem = decode_answers(answers)
    if problem:
        errors.append(problem)
    elif not isinstance(decoded, list):
        errors.append(Finding(code="not_a_list", message=f"answers must be a JSON list of calls, got {type(decoded).__name__}"))
    elif not decoded and not allow_no_call:
        errors.append(Finding(code="no_calls", message="answers list no function call"))
    else:
        by_name = {t.name: t for t in tools}
        for index, call in enumerate(decoded):
            call_errors, call_warnings = _check_call(index, call, by_name, query)
            errors.extend(call_errors)
            warnings.extend(call_warnings)
        mismatch = check_style(style, tools, decoded) if style is not None and decoded and not errors else None
        if mismatch:
            errors.append(mismatch)
    return StageResult(stage=STAGE, status="failed" if errors else "passed",
                       errors=tuple(errors), warnings=tuple(warnings))


def unusable_answers(answers: Any) -> Finding | None:
    """Why ``answers`` are not a list of calls, each a name and an arguments object (None: they are):
    the part of this stage the later stages rely on, for when the format stage was not asked for."""
    decoded, problem = decode_answers(answers)
    if problem is not None:
        return problem
    if not isinstance(decoded, list):
        return Finding(code="not_a_list", message=f"answers must be a JSON list of calls, got {type(decoded).__name__}")
    for index, call in enumerate(decoded):
        shape = call_shape(index, call)
        if isinstance(shape, Finding):
            return shape
    return None


def call_shape(index: int, call: Any) -> tuple[str, dict] | Finding:
    """The call's name and decoded arguments, or why it has no usable shape."""
    if not isinstance(call, dict):
        return Finding(code="call_not_object", call=index, message=f"call must be an object, got {type(call).__name__}")
    name = call.get("name")
    if not isinstance(name, str) or not name:
        return Finding(code="missing_name", call=index, message="call has no function name")
    arguments = call.get("arguments", {})
    if isinstance(arguments, str):  # OpenAI tool calls carry arguments as a JSON string
        try:
            arguments = loads_strict(arguments)
        except UntrustedJSONError as exc:
            return Finding(code=exc.code, call=index, message=f"arguments of {quote(name)} are not valid JSON: {exc.reason}")
    if not isinstance(arguments, dict):
        return Finding(code="arguments_not_object", call=index,
                       message=f"arguments of {quote(name)} must be an object, got {type(arguments).__name__}")
    return name, arguments


def _check_call(index: int, call: Any, tools: dict[str, ToolSpec], query: str) -> tuple[list[Finding], list[Finding]]:
    shape = call_shape(index, call)
    if isinstance(shape, Finding):
        return [shape], []
    name, arguments = shape
    shown, label = quote(name), clip(name, QUOTE_CHARS)
    extra_keys = sorted(set(call) - {"name", "arguments"})
    warnings = [Finding(code="extra_call_key", call=index, message=f"call has extra keys {quote(extra_keys)}")] if extra_keys else []
    tool = tools.get(name)
    if tool is None:
        return [Finding(code="unknown_function", call=index,
                        message=f"{shown} is not one of the offered tools {quote(sorted(tools))}")], warnings
    errors: list[Finding] = []
    properties, required = tool.properties, set(tool.required)
    for param in tool.required:
        if param not in arguments:
            errors.append(Finding(code="missing_required_param", call=index,
                                  message=f"{label}: required parameter {quote(param)} is missing"))
    for param, value in arguments.items():
        if param not in properties:
            errors.append(Finding(code="unknown_param", call=index, message=f"{label}: {quote(param)} is not a parameter"))
            continue
        if value is None and param not in required:
            continue  # an explicit null for an optional parameter means "not given"
        for problem in validate_value(value, _without_default(properties[param]), param):
            errors.append(Finding(code=problem.code, call=index, message=clip(f"{label}: {problem.message}", MESSAGE_CHARS)))
        default = properties[param].get("default")
        if default not in (None, "") and value == default and str(value).lower() not in query.lower():
            warnings.append(Finding(code="default_value_unrequested", call=index, message=(
                f"{label}: {clip(param, QUOTE_CHARS)}={quote(value)} is the default and the query does not ask for it")))
    return errors, warnings


def _without_default(schema: dict) -> dict:
    return {k: v for k, v in schema.items() if k != "default"}
