"""The Prefect API of one CLI run: chosen once the command line is valid, closed when the run ends,
and the run's page in the Prefect UI when that server outlives the run."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from apigen import gc_policy

_run_api: Any = None  # this run's apigen.local_server.RunApi, chosen by start()


def start() -> None:
    """Choose the run's Prefect API (apigen.local_server.RunApi); a temporary server starts now, so it
    starts while the run imports and prepares. Called once the command line is known to be valid (a
    usage error starts nothing) and before Prefect is imported."""
    global _run_api
    if _run_api is None:
        from apigen.local_server import RunApi

        _run_api = RunApi()
        if _run_api.source == "apigen server":
            print(f"Prefect: apigen's server at {_run_api.url.removesuffix('/api')} (`apigen server stop` ends it)",
                  file=sys.stderr)


def ready() -> None:
    """Wait for the run's Prefect API (a temporary server may still be starting): call before the
    first thing that talks to Prefect (a flow, a block load). By then the run's modules are imported:
    they are frozen out of later garbage collections (``apigen.gc_policy``)."""
    start()
    _run_api.ready()
    gc_policy.freeze_loaded()


def close() -> None:
    """Stop a temporary server and restore the environment; a no-op when no API was chosen."""
    global _run_api
    if _run_api is not None:
        _run_api.close()
        _run_api = None


def ui_base() -> str | None:
    """The Prefect UI a person can open after the run: PREFECT_UI_URL, else the configured API's or
    apigen's background server's address; None for a temporary server (gone when the run ends)."""
    if _run_api is None or _run_api.source == "temporary":
        return None
    if os.environ.get("PREFECT_UI_URL"):
        return os.environ["PREFECT_UI_URL"].rstrip("/")
    return _run_api.url.rstrip("/").removesuffix("/api")


def flow_run_url(flow_run_id: Any) -> str | None:
    """``<ui>/runs/flow-run/<id>``, the page of one flow run, or None (see ``ui_base``)."""
    base = ui_base()
    return f"{base}/runs/flow-run/{flow_run_id}" if base and flow_run_id else None


_PREWARMED = threading.Event()


def prewarm_litellm() -> None:
    """Import litellm (~3 s) and its tokenizer (``apigen.llm.warm_up``) on a background thread, where
    they overlap the waits of the start (the preflight's request, the Prefect server starting, the
    flow run being created); the first LLM request would otherwise pay for them. Once per process."""
    if _PREWARMED.is_set():
        return
    _PREWARMED.set()

    def load() -> None:
        try:
            from apigen.llm import warm_up

            warm_up()
        except Exception:  # the real request reports any problem with litellm
            return
        gc_policy.freeze_loaded()
    threading.Thread(target=load, name="apigen-prewarm-litellm", daemon=True).start()


def run_flow(flow: Any, **parameters: Any) -> tuple[Any, str | None]:
    """Run ``flow`` and return (its result, the URL of its run in the UI or None). A failed run raises
    as calling the flow directly would."""
    state = flow(**parameters, return_state=True)
    result = state.result()  # raises the flow's exception when it failed
    return result, flow_run_url(state.state_details.flow_run_id)
