"""How pass rates move across runs: one record per run, and the history of the last runs as markdown
(a line chart per stage, the runs' records as a table).

Each run publishes its record (a one-row table artifact, ``apigen-run-record``); the history is
built from the records of the last runs of the same deployment (or flow), read back through the
Prefect API (``flows/dashboard.py``), so it is the same whichever worker ran which run. Pure functions.
"""

from __future__ import annotations

import base64
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
    """``▁`` (lowest) to ``█`` (highest) per run, oldest first, scaled to the runs' own range (so 91% vs
    97% shows); a run without the rate is a space. The text form of the chart (its alt text)."""
    known = [r for r in rates if isinstance(r, (int, float))]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    span = high - low
    return "".join(" " if not isinstance(r, (int, float)) else
                   BARS[round((r - low) / span * (len(BARS) - 1)) if span else len(BARS) - 1] for r in rates)


def sparkline_svg(rates: Sequence[float | None], width: int = 140, height: int = 28) -> str:
    """A small line chart of the rates, oldest first, on the runs' own range, as a markdown image with
    a ``data:`` URI: Prefect's UI drops inline ``<svg>`` from markdown but shows ``data:`` images
    (checked in a real browser, docs/screenshots/markdown-image-check.png). Runs without the rate are gaps."""
    known = [r for r in rates if isinstance(r, (int, float))]
    if not known:
        return "-"
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    pad = 4
    step = (width - 2 * pad) / max(1, len(rates) - 1)
    points = [(pad + i * step, pad + (height - 2 * pad) * (1 - ((r - low) / span if high > low else 0.5)))
              for i, r in enumerate(rates) if isinstance(r, (int, float))]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
           f'<rect width="{width}" height="{height}" rx="3" fill="#f8fafc"/>'
           f'<polyline points="{line}" fill="none" stroke="#2563eb" stroke-width="2" stroke-linejoin="round"/>'
           f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="3" fill="#2563eb"/></svg>')
    return f"![{sparkline(rates).strip() or '-'}](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"


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
        lines.append(f"| {stage} | {sparkline_svg(rates)} | {_percent(rates[-1])} | "
                     f"{_percent(min(known)) if known else '-'} | {_percent(max(known)) if known else '-'} |")
    lines += ["", "| date | run | generator | prompt | n | verified | " + " | ".join(stages) + " |",
              "| --- | --- | --- | --- | --- | --- | " + " | ".join("---" for _ in stages) + " |"]
    for r in records:
        lines.append(f"| {str(r.get('date', ''))[:19].replace('T', ' ')} | {r.get('run', '')} | {r.get('generator_model', '')} "
                     f"| {r.get('prompt_version', '')} | {r.get('n', '')} | {r.get('verified', '')} | "
                     + " | ".join(_percent(r.get(s)) for s in stages) + " |")
    return "\n".join(lines)
