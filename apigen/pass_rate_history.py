"""How pass rates move across runs: one record per run, and the history of the last runs as markdown.

Each run publishes its record (a one-row table artifact, ``apigen-run-record``); the history is
built from the records of the last runs of the same deployment (or flow), read back through the
Prefect API (``flows/dashboard.py``), so it is the same whichever worker ran which run. Pure functions.
"""

from __future__ import annotations

from typing import Any, Sequence

from apigen.models import STAGES

RECORD_KEY = "apigen-run-record"
HISTORY_KEY = "apigen-pass-rate-history"
HISTORY_RUNS = 20
BARS = "▁▂▃▄▅▆▇█"


def run_record(summary: dict[str, Any], run_name: str | None, started: str | None) -> dict[str, Any]:
    """The row this run adds to the history: when, with what, how many, and each stage's pass rate."""
    stages = summary.get("stages", {})
    return {"run": run_name or "", "date": started or "", "generator_model": summary.get("generator_model", ""),
            "prompt_version": summary.get("prompt_version", ""), "n": summary.get("requested_pairs", summary["generated"]),
            "verified": summary["verified"],
            **{stage: stages[stage]["pass_rate"] for stage in (*STAGES, "dedup") if stage in stages}}


def sparkline(rates: Sequence[float | None]) -> str:
    """``▁`` (0%) to ``█`` (100%) per run, oldest first; a run without the rate is a space."""
    return "".join(" " if r is None else BARS[round(min(max(r, 0.0), 1.0) * (len(BARS) - 1))] for r in rates)


def _percent(rate: Any) -> str:
    return f"{100 * rate:.1f}%" if isinstance(rate, (int, float)) else "-"


def history_markdown(records: Sequence[dict[str, Any]], scope: str) -> str:
    """The last runs' records (newest first) as a trend line per stage and a table."""
    if not records:
        return f"# Pass rates across runs ({scope})\n\nNo earlier run recorded."
    stages = [s for s in (*STAGES, "dedup") if any(s in r for r in records)]
    oldest_first = list(reversed(records))
    lines = [f"# Pass rates across the last {len(records)} runs ({scope})", "",
             "| stage | trend (oldest → newest) | latest | lowest | highest |", "| --- | --- | --- | --- | --- |"]
    for stage in stages:
        rates = [r.get(stage) for r in oldest_first]
        known = [r for r in rates if isinstance(r, (int, float))]
        lines.append(f"| {stage} | `{sparkline(rates)}` | {_percent(rates[-1])} | "
                     f"{_percent(min(known)) if known else '-'} | {_percent(max(known)) if known else '-'} |")
    lines += ["", "| date | run | generator | prompt | n | verified | " + " | ".join(stages) + " |",
              "| --- | --- | --- | --- | --- | --- | " + " | ".join("---" for _ in stages) + " |"]
    for r in records:
        lines.append(f"| {str(r.get('date', ''))[:19].replace('T', ' ')} | {r.get('run', '')} | {r.get('generator_model', '')} "
                     f"| {r.get('prompt_version', '')} | {r.get('n', '')} | {r.get('verified', '')} | "
                     + " | ".join(_percent(r.get(s)) for s in stages) + " |")
    return "\n".join(lines)
