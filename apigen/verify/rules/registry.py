"""The rule registry: every module of ``apigen.verify.rules`` that defines ``RULE`` is a rule.

A rule is a code, a check over a ``Context`` and its place in the order; adding one is adding one
module with a ``RULE = Rule(...)`` in it (nothing else to edit). A rule may also yield *warning*
codes (``Rule.warnings``): findings that do not fail a sample but say the rules could not decide a
value, so the LLM judge should look (or, without a judge, the sample passes carrying the warning).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from api_registry.spec import ToolSpec
from apigen.models import Finding, FunctionCall
from apigen.verify.rules.context import Context


@dataclass(frozen=True)
class Rule:
    code: str
    check: Callable[[Context], Iterable[Finding]]
    order: int = 100
    warnings: tuple[str, ...] = ()  # codes this rule yields that leave the verdict to the judge

    @property
    def why(self) -> str:
        return inspect.getdoc(self.check) or ""


@dataclass(frozen=True)
class Grounding:
    """What the rules found: ``failures`` reject the sample; ``undecided`` values go to the judge
    (without one, the sample passes with them as warnings)."""

    failures: list[Finding] = field(default_factory=list)
    undecided: list[Finding] = field(default_factory=list)


def discover(package: str = "apigen.verify.rules") -> tuple[Rule, ...]:
    """Every ``RULE`` of the package's modules, by ``order`` (then code)."""
    pkg = importlib.import_module(package)
    found = []
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            found.append(rule)
    return tuple(sorted(found, key=lambda r: (r.order, r.code)))


def grade(query: str, tools: Sequence[ToolSpec], calls: Sequence[FunctionCall],
          rules: Sequence[Rule]) -> Grounding:
    """Every finding of every rule, in rule order, split into failures and undecided values."""
    ctx = Context(query=query or "", tools={t.name: t for t in tools}, calls=list(calls))
    warning_codes = {code for rule in rules for code in rule.warnings}
    out = Grounding()
    for rule in rules:
        for finding in rule.check(ctx):
            (out.undecided if finding.code in warning_codes else out.failures).append(finding)
    return out
