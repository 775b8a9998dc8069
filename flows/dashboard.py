"""Publish a run's dashboard to Prefect: the live pass-rate table, the final artifacts, and stage events."""

from __future__ import annotations

import json
import time
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.runtime import flow_run

from apigen.dashboard import (BREAKDOWN_KEY, DIVERSITY_KEY, FAILURES_KEY, PASS_RATES_KEY, STAGE_EVENT, LiveStageCounts,
                              breakdown_rows, diversity_markdown, pass_rate_floor, pass_rate_rows, stage_event,
                              stage_events)
from apigen.models import STAGES
from apigen.pass_rate_history import HISTORY_KEY, HISTORY_RUNS, RECORD_KEY, history_markdown, run_record


UPDATE_EVERY_S = 2.0


def emit_stage_event(payload: dict[str, Any]) -> None:
    """One ``apigen.stage.completed`` event, labelled with the pass rate's 10% floor for automations."""
    run_id = flow_run.get_id()
    floor = pass_rate_floor(payload["pass_rate"])
    emit_event(event=STAGE_EVENT,
               resource={"prefect.resource.id": f"apigen.stage.{payload['stage']}",
                         "prefect.resource.name": payload["stage"],
                         **({"apigen.pass-rate-floor": floor} if floor is not None else {})},
               related=[{"prefect.resource.id": f"prefect.flow-run.{run_id}", "prefect.resource.role": "flow-run"}]
               if run_id else None,
               payload={**payload, "run_name": flow_run.name if run_id else None})


class LiveDashboard:
    """The pass-rate table from the run's first batch on: created at the start, updated as stage tasks
    finish (at most every ``UPDATE_EVERY_S``, and when a stage's last batch is in), and each stage's
    event emitted as its last batch finishes, so automations can act during a long run."""

    def __init__(self, batch_count: int):
        self.batch_count = batch_count
        self.counts = LiveStageCounts()
        self.emitted: set[str] = set()
        self._updated = 0.0
        self.artifact_id = create_table_artifact(key=PASS_RATES_KEY, table=self.counts.rows(),
                                                 description=self._description())

    def _description(self) -> str:
        done = min(self.counts.batches.values(), default=0) if len(self.counts.batches) == len(STAGES) else 0
        return f"Per-stage pass rates, live: {done:,} of {self.batch_count:,} batches through every stage"

    def generated(self, requested: int, samples: Any) -> None:
        self.counts.add_generated(requested, samples)

    def stage_done(self, stage: str, samples: Any) -> None:
        self.counts.add(stage, samples)
        last = self.counts.batches[stage] == self.batch_count
        if last or time.monotonic() - self._updated >= UPDATE_EVERY_S:
            self._update(self.counts.rows(), self._description())
        if last:
            self.emitted.add(stage)
            emit_stage_event(stage_event(stage, self.counts.stage_counts(stage)))

    def _update(self, rows: list[dict[str, Any]], description: str) -> None:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import ArtifactUpdate

        with get_client(sync_client=True) as client:
            client.update_artifact(self.artifact_id, ArtifactUpdate(data=json.dumps(rows), description=description))
        self._updated = time.monotonic()

    def finish(self, summary: dict[str, Any]) -> None:
        """The final table (with the ``dedup`` row, counted as batches were written) and the events of
        the stages whose event is still due."""
        self._update(pass_rate_rows(summary), _final_description(summary))
        for payload in stage_events(summary):
            if payload["stage"] not in self.emitted:
                emit_stage_event(payload)


def _final_description(summary: dict[str, Any]) -> str:
    return (f"Per-stage pass rates: {summary['verified']} of {summary['generated']} verified"
            + (f", {summary['undecided']} undecided (judge unreachable)" if summary.get("undecided") else ""))


def publish_dashboard(summary: dict[str, Any], failures_markdown: str, live: LiveDashboard | None = None) -> None:
    """The run's final dashboard: pass rates (the live table's last version), breakdowns, failures,
    diversity, the run's record and history, and the stage events not yet emitted."""
    if live is not None:
        live.finish(summary)
    else:
        create_table_artifact(key=PASS_RATES_KEY, table=pass_rate_rows(summary), description=_final_description(summary))
        for payload in stage_events(summary):
            emit_stage_event(payload)
    create_table_artifact(key=BREAKDOWN_KEY, table=breakdown_rows(summary),
                          description="Verified and rejected samples by style, category and generator model")
    create_markdown_artifact(key=FAILURES_KEY, markdown=failures_markdown,
                             description="Top failure codes, one example each")
    create_markdown_artifact(key=DIVERSITY_KEY, markdown=diversity_markdown(summary),
                             description="APIs used, categories, query lengths, distinct n-grams, style shares")
    run_id = flow_run.get_id()
    if run_id:
        publish_history(summary, run_id)


def publish_history(summary: dict[str, Any], run_id: str, runs: int = HISTORY_RUNS) -> None:
    """This run's record, then the history of the last ``runs`` records of the same deployment (or of
    the same flow, for runs started without one), read back through the API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey,
                                                DeploymentFilter, DeploymentFilterId, FlowFilter, FlowFilterId)
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        started = run.start_time or run.created
        create_table_artifact(key=RECORD_KEY, table=[run_record(summary, run.name, started.isoformat() if started else None)],
                              description="This run at a glance: the row it adds to the pass-rate history")
        if run.deployment_id:
            scope = f"deployment {client.read_deployment(run.deployment_id).name}"
            same = {"deployment_filter": DeploymentFilter(id=DeploymentFilterId(any_=[run.deployment_id]))}
        else:
            scope = f"flow {client.read_flow(run.flow_id).name}"
            same = {"flow_filter": FlowFilter(id=FlowFilterId(any_=[run.flow_id]))}
        recent = client.read_flow_runs(**same, sort=FlowRunSort.START_TIME_DESC, limit=runs)
        order = {r.id: i for i, r in enumerate(recent)}
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[RECORD_KEY]), flow_run_id=ArtifactFilterFlowRunId(any_=list(order))))
    latest: dict[Any, dict[str, Any]] = {}
    for artifact in sorted(artifacts, key=lambda a: a.created):  # a run's last record wins
        row = _record_row(artifact.data)
        if row is not None:
            latest[artifact.flow_run_id] = row
    records = [latest[i] for i in sorted(latest, key=order.__getitem__)]
    create_markdown_artifact(key=HISTORY_KEY, markdown=history_markdown(records, scope),
                             description=f"Per-stage pass rates of the last {len(records)} runs ({scope})")


def _record_row(data: Any) -> dict[str, Any] | None:
    """The row of a stored record artifact (the API returns a table's rows as JSON text), or None."""
    try:
        rows = json.loads(data) if isinstance(data, str) else data
    except ValueError:
        return None
    return rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
