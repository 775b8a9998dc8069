"""Task: execute and audit one batch of registry APIs (the API-check flow's unit of work)."""

from __future__ import annotations

from typing import Any

from prefect import task

from api_registry.check import check_apis
from api_registry.sources import load_registry
from apigen.config import ExecutionSettings
from tasks.verify_execution import shared_executor


def check_api_batch(names: list[str], settings: ExecutionSettings) -> list[dict[str, Any]]:
    registry = load_registry(settings.registry)
    return [r.as_dict() for r in check_apis(registry, names, shared_executor(settings))]


check_api_batch_task = task(check_api_batch, name="check-apis")
