"""The records that flow through the pipeline: calls, stage verdicts, and the generated sample.

Every stage returns a ``StageResult`` of one shape, pass or fail, so statistics are counted in one
place and rejected samples carry their reasons into the export (they are error-analysis data).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api_registry.spec import ToolSpec
from apigen import redaction


class Style(str, Enum):
    """The four APIGen query styles, and ``no_call``: a query no offered tool can serve (answers ``[]``),
    so a model trained on the data also learns when not to call."""

    SIMPLE = "simple"              # one API, one call
    MULTIPLE = "multiple"          # several APIs offered, one right call
    PARALLEL = "parallel"          # one API, several calls
    PARALLEL_MULTIPLE = "parallel_multiple"  # several APIs, several calls
    NO_CALL = "no_call"            # no offered API fits: answers []


CALL_STYLES: tuple[Style, ...] = tuple(s for s in Style if s is not Style.NO_CALL)


STAGES: tuple[str, ...] = ("format", "execution", "semantic")
# Checks of a sample against the rest of the dataset, after the stages (apigen.dedup): not stage tasks.
DATASET_CHECKS: tuple[str, ...] = ("dedup",)
Status = Literal["passed", "failed", "skipped"]


class FunctionCall(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Finding(BaseModel):
    """One error or warning: a stable code, the index of the call it concerns, and a message."""

    model_config = ConfigDict(frozen=True)
    code: str
    call: int | None = None
    message: str

    @field_validator("message")
    @classmethod
    def _storable(cls, message: str) -> str:
        """Every stored error text of a row passes here (Parquet, verdicts.jsonl, cached results), and it
        may quote what an endpoint or an API answered: no secret the process knows, a bounded length."""
        return redaction.bounded(message)


class StageResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    stage: str
    status: Status
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    results: tuple[Any, ...] | None = None  # execution: one JSON result per call
    reason: str | None = None               # semantic: the judge's reason
    decided_by: Literal["rules", "judge"] | None = None  # semantic: the free rules or the LLM judge

    @classmethod
    def skipped(cls, stage: str, why: str | None = None) -> "StageResult":
        return cls(stage=stage, status="skipped", reason=why)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


class Provenance(BaseModel):
    """Where a sample came from; exported with every row."""

    model_config = ConfigDict(frozen=True)
    style: Style
    category: str
    generator_model: str
    prompt_version: str
    seed: int
    request_index: int
    pair_index: int
    simulated: bool = False


class Sample(BaseModel):
    """A generated query/answer pair, with the verdict of each stage it has been through.

    ``answers`` is the raw decoded value the LLM gave (possibly not a list, possibly a string):
    shape checking is the format stage's job, so nothing is coerced on the way in.
    """

    key: str
    query: str
    tools: list[ToolSpec]
    answers: Any = None
    raw: str | None = None  # set when the LLM output could not be parsed into pairs
    provenance: Provenance | None = None  # None for rows of an existing dataset (``apigen verify``)
    row_id: Any = None                    # the input row's id, for ``apigen verify``
    position: dict[str, int] | None = None  # where that row is: {"line": n} (.jsonl) or {"index": i}
    verdicts: dict[str, StageResult] = Field(default_factory=dict)

    @property
    def rejected_at(self) -> str | None:
        """The first stage (or dataset check) that failed, or None."""
        for stage in STAGES + DATASET_CHECKS:
            verdict = self.verdicts.get(stage)
            if verdict is not None and verdict.status == "failed":
                return stage
        return None

    @property
    def alive(self) -> bool:
        return self.rejected_at is None

    @property
    def passed(self) -> bool:
        """No stage failed and at least one passed (a stage may be skipped, e.g. no implementation)."""
        return self.alive and any(v.status == "passed" for v in self.verdicts.values())

    @property
    def calls(self) -> list[FunctionCall]:
        """The answers as calls; only meaningful after the format stage passed."""
        return [FunctionCall(**a) for a in self.answers]

    def with_verdict(self, result: StageResult) -> "Sample":
        return self.model_copy(update={"verdicts": {**self.verdicts, result.stage: result}})
