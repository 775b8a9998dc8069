"""Stage 3, first half: deterministic grounding rules, run before the LLM judge because they cost nothing.

One module per rule, found by ``registry.discover`` (a module with a ``RULE``); helpers shared by
the rules live in ``vocabulary``, ``query`` (the query index), ``context`` (argument values and
schemas), ``evidence`` (how a value is grounded in the query) and ``derivations`` (values a person
derives from the query: codes of named entities, dates from a stated anchor, unit conversions).

Each argument value ends in one of three outcomes: *grounded* (no finding); a *failure*
(``placeholder_value``, ``empty_value``, ``ungrounded_value`` for a value that contradicts the query
or is an invented identifier/relative date, ``incomplete_answer``); or *undecided*
(``value_undecided``: neither literally grounded nor a placeholder nor a contradiction), which the
LLM judge decides when there is one and which otherwise passes as a warning.

The query and the values are untrusted, so the work is linear in their size and bounded per row
(see the ``MAX_*`` limits in ``vocabulary``).
"""

from __future__ import annotations

from typing import Sequence

from api_registry.spec import ToolSpec
from apigen.models import Finding, FunctionCall
from apigen.verify.rules.registry import Grounding, Rule, discover, grade as _grade

RULES: tuple[Rule, ...] = discover()
CODES: tuple[str, ...] = tuple(rule.code for rule in RULES)
WARNING_CODES: tuple[str, ...] = tuple(code for rule in RULES for code in rule.warnings)


def grade(query: str, tools: Sequence[ToolSpec], calls: Sequence[FunctionCall],
          rules: Sequence[Rule] = RULES) -> Grounding:
    """Failures and undecided values of every rule."""
    return _grade(query, tools, calls, rules)


def check_grounding(query: str, tools: Sequence[ToolSpec], calls: Sequence[FunctionCall],
                    rules: Sequence[Rule] = RULES) -> list[Finding]:
    """The failures of every rule, in rule order; empty when no rule rejects the answer (undecided
    values are not failures: see ``grade``)."""
    return grade(query, tools, calls, rules).failures


__all__ = ["CODES", "RULES", "WARNING_CODES", "Grounding", "Rule", "check_grounding", "grade"]
