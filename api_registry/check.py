"""The paper's API filtering step: which registry entries are documented well enough and really run.

For every API: build schema-valid arguments (its worked examples first, then defaults, enums and
types), execute them, and flag documentation faults. An API is *usable* when a call succeeded and
it has a description; the other faults are reported as warnings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from api_registry.arguments import default_arguments
from api_registry.registry import Registry
from api_registry.spec import ToolSpec
from api_registry.validation import validate_value

BLOCKING_FLAGS = {"no_description"}


@dataclass
class ApiReport:
    name: str
    category: str | None
    source: str | None
    kind: str  # python | rest
    arguments: dict[str, Any] | None = None
    arguments_from: str | None = None  # example | defaults
    executed: bool = False
    ok: bool = False
    error_code: str | None = None
    message: str = ""
    doc_flags: list[str] = field(default_factory=list)
    sandbox: str | None = None  # the isolation a Python API ran under (SandboxPool.isolation)

    @property
    def usable(self) -> bool:
        return self.ok and not BLOCKING_FLAGS.intersection(f.split(":")[0] for f in self.doc_flags)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "usable": self.usable}


def doc_flags(spec: ToolSpec) -> list[str]:
    """Documentation faults: what makes an API hard for an LLM to call correctly."""
    flags = []
    if not spec.description.strip():
        flags.append("no_description")
    if not spec.properties:
        flags.append("no_parameters")
    flags += [f"undocumented_param:{p}" for p, s in spec.properties.items() if not str(s.get("description", "")).strip()]
    flags += [f"{i.code}:{i.param}" if i.param else i.code for i in spec.doc_issues
              if i.code != "undocumented_param"]
    return sorted(set(flags))


def plan_call(registry: Registry, name: str) -> tuple[dict[str, Any], str]:
    """Arguments to try: the first worked example that validates, else defaults, the values the schema
    proposes and synthesized values."""
    entry = registry.get(name)
    for example in getattr(entry, "examples", ()):
        if not validate_value(example.arguments, entry.spec.parameters):
            return dict(example.arguments), "example"
    return default_arguments(entry.spec.parameters), "defaults"


def check_apis(registry: Registry, names: Sequence[str], executor: Any) -> list[ApiReport]:
    """Reports for ``names``; ``executor`` is a CallExecutor (sandbox for Python, requests for REST)."""
    from apigen.models import FunctionCall
    from apigen.verify.execution import is_error_result

    reports = []
    isolation = getattr(getattr(executor, "pool", None), "isolation", None)
    for name in names:
        entry = registry.get(name)
        spec = entry.spec
        report = ApiReport(name=name, category=spec.category, source=spec.source,
                           kind="python" if name in registry.functions else "rest", doc_flags=doc_flags(spec))
        if report.kind == "python" and isolation is not None:
            report.sandbox = isolation.describe()
        report.arguments, report.arguments_from = plan_call(registry, name)
        outcome = executor.run(FunctionCall(name=name, arguments=report.arguments))
        report.executed = True
        problem = is_error_result(outcome.result) if outcome.ok else None
        report.ok = outcome.ok and problem is None
        report.error_code = None if report.ok else (outcome.code or "error_result")
        report.message = outcome.message or (problem or "")
        reports.append(report)
    return reports


def summarize_reports(reports: Sequence[ApiReport]) -> dict[str, Any]:
    from collections import Counter

    flags = Counter(f.split(":")[0] for r in reports for f in r.doc_flags)
    failures = Counter(r.error_code for r in reports if not r.ok)
    return {"apis": len(reports), "usable": sum(r.usable for r in reports),
            "unusable": sum(not r.usable for r in reports), "execution_failures": dict(failures.most_common()),
            "doc_flags": dict(flags.most_common()),
            "by_category": dict(sorted(Counter(r.category or "uncategorized" for r in reports if r.usable).items())),
            "sandbox": sorted({r.sandbox for r in reports if r.sandbox})}
