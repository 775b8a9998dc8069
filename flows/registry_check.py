"""Flow ``registry-check``: execute every API once and report which are usable (APIGen's API filter)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from api_registry.check import ApiReport, call_text, one_line, outcome_text, summarize_reports
from api_registry.sources import load_registry
from apigen.config import ExecutionSettings
from tasks.check_apis import check_api_batch_task


@flow(name="registry-check")
def registry_check(out: str = "registry_report.json", execution: ExecutionSettings = ExecutionSettings(),
                   batch_size: int = 100) -> dict[str, Any]:
    logger = get_run_logger()
    registry = load_registry(execution.registry)
    names = sorted(registry.functions) + sorted(registry.rest) + sorted(registry.mcp)
    futures = [check_api_batch_task.submit(names[i:i + batch_size], execution) for i in range(0, len(names), batch_size)]
    reports = [r for f in futures for r in f.result()]
    summary = summarize_reports([_from_dict(r) for r in reports])
    summary["load_errors"] = [str(e) for e in registry.errors]
    summary["load_warnings"] = [str(w) for w in registry.warnings]  # e.g. a user API replacing a bundled one
    write_report(summary, reports, Path(out))
    logger.info("%d of %d APIs usable; report in %s", summary["usable"], summary["apis"], out)
    return summary


def _from_dict(data: dict[str, Any]) -> ApiReport:
    return ApiReport(**{k: v for k, v in data.items() if k != "usable"})


def write_report(summary: dict[str, Any], reports: list[dict[str, Any]], out: Path) -> None:
    """JSON for machines, Markdown beside it for people."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "apis": reports}, indent=2, ensure_ascii=False, default=str) + "\n")
    lines = [f"# Registry check: {summary['usable']} of {summary['apis']} APIs usable", "",
             "| api | category | kind | usable | error | doc flags |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [_row(r["name"], r["category"] or "", r["kind"], "yes" if r["usable"] else "no", r["error_code"] or "",
                   ", ".join(r["doc_flags"])) for r in reports]
    mcp = [r for r in reports if r["kind"] == "mcp"]
    if mcp:  # an MCP tool's schema is all a user has to go on: show the call it accepted, or what it said
        lines += ["", "## MCP tools: each tool's example call and its outcome", "",
                  "| tool | source | arguments from | call | outcome |", "| --- | --- | --- | --- | --- |"]
        lines += [_row(r["name"], r["source"], r["arguments_from"], call_text(r), outcome_text(r)) for r in mcp]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def _row(*cells: str) -> str:
    """One table row; a cell (server-supplied text included) stays inert: one line, no pipes, tags or entities."""
    def cell(text: str) -> str:
        return one_line(str(text)).replace("\\", "\\\\").replace("|", "\\|").replace("&", "&amp;").replace("<", "&lt;")
    return "| " + " | ".join(cell(c) for c in cells) + " |"
