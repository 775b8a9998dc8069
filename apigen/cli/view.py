"""What ``apigen generate`` and ``verify`` show: progress while batches finish (bars on a terminal,
plain lines otherwise), the pass-rate table and the run's page in the Prefect UI at the end."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from apigen import progress
from apigen.dashboard import stages_of
from apigen.models import STAGES

console = Console(stderr=True)


def progress_lines(total: int | None, batches: int | None, stages: tuple[str, ...], unit: str = "pairs"):
    """Plain progress lines every few seconds (``APIGEN_PROGRESS_INTERVAL_S``, default 5)."""
    from apigen.cli.progress_lines import INTERVAL_S, ProgressLines

    interval = float(os.environ.get("APIGEN_PROGRESS_INTERVAL_S") or INTERVAL_S)
    return ProgressLines(total, batches, stages, interval_s=interval, unit=unit)


@contextmanager
def progress_display(total: int, batches: int) -> Iterator[None]:
    """Rich bars when stderr is a terminal; else a plain line every few seconds (``progress_lines``)."""
    if not sys.stderr.isatty():
        with progress_lines(total, batches, ("generate", *STAGES)):
            yield
        return
    bars = Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)
    ids = {stage: bars.add_task(stage, total=total) for stage in ("generate", *STAGES)}
    unsubscribe = progress.subscribe(lambda stage, n: bars.advance(ids[stage], n) if stage in ids else None)
    try:
        with bars:
            yield
    finally:
        unsubscribe()


def stage_table(summary: dict[str, Any]) -> Table:
    table = Table(title="Per-stage pass rates")
    for column in ("stage", "in", "passed", "failed", "pass rate", "top failure codes"):
        table.add_column(column, justify="left" if column in ("stage", "top failure codes") else "right")
    for stage in stages_of(summary):  # the three stages, then dedup when it ran
        s = summary["stages"][stage]
        rate = "-" if s["pass_rate"] is None else f"{s['pass_rate']:.1%}"
        codes = ", ".join(f"{code} {count}" for code, count in list(s["errors"].items())[:3])
        table.add_row(stage, str(s["in"]), str(s["passed"]), str(s["failed"]), rate, codes)
    return table


def print_summary(summary: dict[str, Any], out: str, run_url: str | None = None) -> None:
    out = out.rstrip("/")
    out_console = Console()
    out_console.print(stage_table(summary))
    lost = summary.get("pairs_lost_to_failed_requests", 0)
    missing = summary.get("pairs_not_returned", 0)
    reasons = ", ".join(f"{k} {v}" for k, v in summary.get("pairs_not_returned_by_reason", {}).items())
    out_console.print(f"generated {summary['generated']} pairs, verified {summary['verified']}, "
                      f"rejected {summary['rejected']}"
                      + (f", undecided {summary['undecided']} (the judge could not be reached: run the same command "
                         "again to judge them)" if summary.get("undecided") else "")
                      + (f", {lost} lost to failed LLM requests" if lost else "")
                      + (f", {missing} asked for but not returned ({reasons})" if missing else "")
                      + " -> " + ", ".join(f"{out}/{name}" for name in (
                          "verified", "rejected", *[f for f in summary.get("formats", ()) if f != "xlam"],
                          "README.md", "summary.json")))
    if run_url:
        out_console.print(f"run: {run_url}", soft_wrap=True)
    if summary.get("simulated"):
        out_console.print("[yellow]simulated run: this data comes from the simulated LLM, do not train on it[/yellow]")


def verify_headline(summary: dict[str, Any]) -> str:
    """``15 rows: 3 passed every stage asked, 12 passed format and semantic with execution skipped (no
    implementation: pass --functions), 0 failed``: a row with a skipped stage is not counted as passing it."""
    skipping = summary.get("passed_with_skipped", {})
    undecided = summary.get("undecided", 0)
    parts = [f"{summary['passed'] - sum(skipping.values())} passed every stage asked" if skipping
             else f"{summary['passed']} passed"]
    for skipped, count in skipping.items():
        ran = [s for s in summary.get("stages_run", ()) if s not in skipped.split(",")]
        why = " (no implementation: pass --functions)" if "execution" in skipped.split(",") else ""
        parts.append(f"{count} passed {' and '.join(ran) or 'no stage'} with {' and '.join(skipped.split(','))} "
                     f"skipped{why}")
    parts.append(f"{summary['failed']} failed")
    if undecided:
        parts.append(f"{undecided} undecided (the judge could not be reached: run again to judge them)")
    return f"{summary['rows']} rows: " + ", ".join(parts)


def print_verify_summary(summary: dict[str, Any], run_url: str | None = None) -> None:
    out = Console()
    out.print("verified " + verify_headline(summary), soft_wrap=True)
    table = Table(title="Per-stage results")
    for column in ("stage", "in", "passed", "failed", "skipped", "pass rate"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage, s in summary["stages"].items():
        rate = "-" if s["pass_rate"] is None else f"{s['pass_rate']:.1%}"
        table.add_row(stage, str(s["in"]), str(s["passed"]), str(s["failed"]), str(s.get("skipped", 0)), rate)
    out.print(table)
    if summary["error_codes"]:
        codes = Table(title="Failure and skip codes")
        codes.add_column("code")
        codes.add_column("occurrences", justify="right")
        for code, count in summary["error_codes"].items():
            codes.add_row(code, str(count))
        out.print(codes)
    skipped = summary["stages"].get("execution", {}).get("skipped", 0)
    if skipped:
        out.print(f"execution was skipped for {skipped} row{'s' * (skipped != 1)}: no implementation of their tools "
                  "(code no_implementation); pass --functions FILE.py with Python functions of the same names to "
                  "run them", soft_wrap=True)
    out.print(f"verdicts: {summary['verdicts_path']}   summary: {summary['summary_path']}", soft_wrap=True)
    if run_url:
        out.print(f"run: {run_url}", soft_wrap=True)
