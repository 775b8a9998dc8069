"""Kept for importers: the grounding rules now live in ``apigen.verify.rules`` (one module per rule)."""

from apigen.verify.rules import CODES, RULES, WARNING_CODES, Grounding, Rule, check_grounding, grade  # noqa: F401
from apigen.verify.rules.placeholder_value import is_placeholder  # noqa: F401
