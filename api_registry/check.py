"""The paper's API filtering step: which registry entries are documented well enough and really run.

For every API: build schema-valid arguments (its worked examples first, then the values its schema
proposes, then synthesized ones), execute them, and flag documentation faults. An API is *usable*
when a call succeeded and it has a description; the other faults are reported as warnings.

An MCP tool its server marks destructive is not called without ``allow_destructive``: its report says
``executed: false`` with ``error_code`` ``destructive_tool``. That is a refusal of ours, not a fault
of the server, so the summary counts it under ``not_executed``, apart from ``execution_failures``;
the tool is not usable (generation does not sample it either).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from api_registry.arguments import default_arguments
from api_registry.registry import DESTRUCTIVE_REFUSED, Registry
from api_registry.schema_examples import candidate_values
from api_registry.spec import ToolSpec
from api_registry.validation import validate_value

BLOCKING_FLAGS = {"no_description"}
RESULT_CHARS = 300  # of a result kept in the report: enough to see what came back


@dataclass
class ApiReport:
    name: str
    category: str | None
    source: str | None
    kind: str  # python | rest | mcp
    arguments: dict[str, Any] | None = None
    arguments_from: str | None = None  # example | schema (every value proposed by it) | generated
    executed: bool = False
    ok: bool = False
    error_code: str | None = None
    message: str = ""
    result: str | None = None  # the start of the result, as JSON (secrets masked)
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
    """Arguments to try, and where they came from: the first worked example that validates
    (``example``), else defaults and the values the schema proposes (``schema``), synthesized where it
    proposes none (``generated``)."""
    entry = registry.get(name)
    for example in getattr(entry, "examples", ()):
        if not validate_value(example.arguments, entry.spec.parameters):
            return dict(example.arguments), "example"
    parameters = entry.spec.parameters
    return default_arguments(parameters), "schema" if _schema_proposes_all(parameters) else "generated"


def _schema_proposes_all(parameters: dict) -> bool:
    """Whether ``default_arguments`` takes every required value from the schema (none synthesized)."""
    properties = parameters.get("properties", {})
    return all(properties.get(name, {}).get("default") not in (None, "") or candidate_values(properties.get(name, {}))
               for name in parameters.get("required", []))


def kind_of(registry: Registry, name: str) -> str:
    """How ``name`` runs: ``python`` (sandbox), ``mcp`` (its server) or ``rest``."""
    return "python" if name in registry.functions else "mcp" if name in registry.mcp else "rest"


def check_apis(registry: Registry, names: Sequence[str], executor: Any) -> list[ApiReport]:
    """Reports for ``names``; ``executor`` is a CallExecutor (sandbox for Python, requests for REST,
    ``tools/call`` for MCP). A refused call (a destructive MCP tool) is reported, never made."""
    from apigen.models import FunctionCall
    from apigen.verify.execution import is_error_result

    reports = []
    isolation = getattr(getattr(executor, "pool", None), "isolation", None)
    for name in names:
        spec = registry.get(name).spec
        report = ApiReport(name=name, category=spec.category, source=spec.source, kind=kind_of(registry, name),
                           doc_flags=doc_flags(spec))
        if report.kind == "python" and isolation is not None:
            report.sandbox = isolation.describe()
        report.arguments, report.arguments_from = plan_call(registry, name)
        refused = registry.refusal(name)
        if refused:
            report.error_code, report.message = DESTRUCTIVE_REFUSED, refused
            reports.append(report)
            continue
        outcome = executor.run(FunctionCall(name=name, arguments=report.arguments))
        report.executed = True
        problem = is_error_result(outcome.result) if outcome.ok else None
        report.ok = outcome.ok and problem is None
        report.error_code = None if report.ok else (outcome.code or "error_result")
        report.message = outcome.message or (problem or "")
        report.result = result_text(outcome.result) if outcome.ok else None
        reports.append(report)
    return reports


def result_text(value: Any) -> str:
    """The start of a result as JSON, masked like an error text (a server may echo what it was given)."""
    from apigen.redaction import bounded

    return bounded(json.dumps(value, ensure_ascii=False, default=str), RESULT_CHARS)


def call_text(report: dict[str, Any]) -> str:
    """``name(a=1, b='x')``: the call a report made (or would have made)."""
    arguments = ", ".join(f"{k}={v!r}" for k, v in (report.get("arguments") or {}).items())
    return f"{report['name']}({arguments})"


def outcome_text(report: dict[str, Any]) -> str:
    """What came of the call: its result, or its error code and message."""
    if report["ok"]:
        return f"-> {report['result']}"
    head = "not executed" if not report["executed"] else "error"
    return f"{head}: {report['error_code']}" + (f" ({report['message']})" if report["message"] else "")


def one_line(text: str) -> str:
    """Text a server supplied, fit for a terminal or a table: printable characters only, on one line."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def summarize_reports(reports: Sequence[ApiReport]) -> dict[str, Any]:
    from collections import Counter

    flags = Counter(f.split(":")[0] for r in reports for f in r.doc_flags)
    failures = Counter(r.error_code for r in reports if r.executed and not r.ok)
    refused = Counter(r.error_code for r in reports if not r.executed)
    return {"apis": len(reports), "usable": sum(r.usable for r in reports),
            "unusable": sum(not r.usable for r in reports), "execution_failures": dict(failures.most_common()),
            "not_executed": dict(refused.most_common()),
            "doc_flags": dict(flags.most_common()),
            "by_category": dict(sorted(Counter(r.category or "uncategorized" for r in reports if r.usable).items())),
            "sandbox": sorted({r.sandbox for r in reports if r.sandbox})}
