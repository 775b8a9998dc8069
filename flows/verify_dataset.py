"""Flow ``verify-dataset``: run the three stages over a dataset that already exists.

The same stage tasks as generation, so a dataset verified here is judged exactly as our own
output is. Stages not asked for are recorded as ``skipped``.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from apigen.config import ExecutionSettings, LLMConfig
from apigen.models import STAGES
from apigen.output_lock import OutputLock
from tasks.read_input import read_input_task
from tasks.verify_execution import verify_execution_task
from tasks.verify_format import verify_format_task
from tasks.verify_semantic import verify_semantic_task
from tasks.write_verdicts import write_verdicts_task


@flow(name="verify-dataset")
def verify_dataset(input: str, out: str = "verdicts.jsonl", stages: tuple[str, ...] = STAGES,
                   judge: LLMConfig | None = None, execution: ExecutionSettings = ExecutionSettings(),
                   batch_size: int = 500) -> dict[str, Any]:
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; choose from {', '.join(STAGES)}")
    logger = get_run_logger()
    with OutputLock(out, f"verify-dataset flow run {flow_run.name} ({flow_run.id})"):
        batches = read_input_task(input, batch_size)
        logger.info("verifying %d rows of %s in %d batches; stages %s", sum(len(b.samples) for b in batches),
                    input, len(batches), ",".join(stages))
        finals = []
        for batch in batches:
            formatted = verify_format_task.submit(batch, "format" in stages)
            executed = verify_execution_task.submit(formatted, execution, "execution" in stages)
            finals.append(verify_semantic_task.submit(executed, judge, "semantic" in stages))
        summary = write_verdicts_task([f.result() for f in finals], list(stages), out)
    logger.info("%d of %d rows passed; verdicts in %s", summary["passed"], summary["rows"], out)
    return summary
