"""The unit each Prefect task hands to the next: one batch of samples and what it cost so far."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from apigen.models import Sample


@dataclass(frozen=True)
class BatchResult:
    index: int
    samples: tuple[Sample, ...]
    failed_requests: tuple[dict[str, Any], ...] = ()
    not_returned: dict[str, int] = field(default_factory=dict)  # reason -> pairs asked for but not returned
    llm: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> CallStats.as_dict()

    def with_samples(self, samples: list[Sample], stage: str | None = None,
                     llm_stats: dict[str, Any] | None = None) -> "BatchResult":
        llm = dict(self.llm)
        if stage and llm_stats is not None:
            llm[stage] = llm_stats
        return replace(self, samples=tuple(samples), llm=llm)
