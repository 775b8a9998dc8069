"""Task-level retries: only for transient failures (a whole batch lost to an outage), with backoff and jitter."""

from __future__ import annotations

from typing import Any

from prefect.tasks import exponential_backoff

from apigen.redaction import bounded


class BatchError(RuntimeError):
    """A failed batch task. Prefect stores its text (state message, persisted result, logs) and it quotes
    the endpoint's answer: masked and bounded like every stored error text."""

    def __init__(self, message: str):
        super().__init__(bounded(message))


class TransientBatchError(BatchError):
    """Every LLM request of a batch failed transiently (429/5xx/timeouts): retrying the task may help."""


class EndpointRejectedError(BatchError):
    """Every LLM request of a batch was refused for good (bad key, unknown model): fix the configuration."""


def _transient_only(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except TransientBatchError:
        return True
    except Exception:
        return False
    return False


LLM_TASK_RETRIES = {"retries": 3, "retry_delay_seconds": exponential_backoff(backoff_factor=5),
                    "retry_jitter_factor": 0.5, "retry_condition_fn": _transient_only}
