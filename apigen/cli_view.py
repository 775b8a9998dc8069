"""What ``apigen generate`` shows: progress bars while batches finish, a pass-rate table at the end."""

from __future__ import annotations

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


@contextmanager
def progress_bars(total: int) -> Iterator[None]:
    bars = Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False, disable=not sys.stderr.isatty())
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


def print_summary(summary: dict[str, Any], out: str) -> None:
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
    if summary.get("simulated"):
        out_console.print("[yellow]simulated run: this data comes from the simulated LLM, do not train on it[/yellow]")


def print_verify_summary(summary: dict[str, Any]) -> None:
    out = Console()
    undecided = summary.get("undecided", 0)
    table = Table(title=f"Verified {summary['rows']} rows: {summary['passed']} passed, {summary['failed']} failed"
                        + (f", {undecided} undecided (the judge could not be reached: run again to judge them)"
                           if undecided else ""))
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
    out.print(f"verdicts: {summary['verdicts_path']}   summary: {summary['summary_path']}")
