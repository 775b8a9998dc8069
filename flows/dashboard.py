"""Publish a run's dashboard to Prefect: table and markdown artifacts, and stage events."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.runtime import flow_run

from apigen.dashboard import (BREAKDOWN_KEY, DIVERSITY_KEY, FAILURES_KEY, PASS_RATES_KEY, STAGE_EVENT, breakdown_rows,
                              diversity_markdown, pass_rate_rows, stage_events)


def publish_dashboard(summary: dict[str, Any], failures_markdown: str) -> None:
    create_table_artifact(key=PASS_RATES_KEY, table=pass_rate_rows(summary),
                          description=f"Per-stage pass rates: {summary['verified']} of {summary['generated']} verified"
                          + (f", {summary['undecided']} undecided (judge unreachable)" if summary.get("undecided") else ""))
    create_table_artifact(key=BREAKDOWN_KEY, table=breakdown_rows(summary),
                          description="Verified and rejected samples by style, category and generator model")
    create_markdown_artifact(key=FAILURES_KEY, markdown=failures_markdown,
                             description="Top failure codes, one example each")
    create_markdown_artifact(key=DIVERSITY_KEY, markdown=diversity_markdown(summary),
                             description="APIs used, categories, query lengths, distinct n-grams, style shares")
    run_id = flow_run.get_id()
    for payload in stage_events(summary):
        emit_event(event=STAGE_EVENT,
                   resource={"prefect.resource.id": f"apigen.stage.{payload['stage']}",
                             "prefect.resource.name": payload["stage"]},
                   related=[{"prefect.resource.id": f"prefect.flow-run.{run_id}", "prefect.resource.role": "flow-run"}]
                   if run_id else None,
                   payload=payload)
