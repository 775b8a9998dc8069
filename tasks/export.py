"""The run's dataset, written as batches finish: Parquet parts per batch, then summary.json.

``RunExport`` keeps counters, not samples: each batch is written (in batch order, so ids and row
order are those of one sorted export) and dropped; the summary and the dashboard's failure examples
are accumulated from the batches on the way.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from apigen.batch import BatchResult
from apigen.config import RunConfig
from apigen.dashboard import FailureExamples, failure_markdown
from apigen.diversity import DiversityCounter
from apigen.export import DatasetWriter
from apigen.llm import CallStats
from apigen.summary import SummaryCounter
from prompts import prompt_version

FAILED_REQUEST_ERRORS_KEPT = 20


def destination(config: RunConfig) -> tuple[str, dict[str, Any] | None]:
    """Where the dataset goes, with its fsspec options: the ``DatasetStore`` block when one is named
    (loaded here, at run time, so its secrets never travel as parameters), else ``config.out``."""
    if config.store_block:
        from blocks.store import DatasetStore

        store = DatasetStore.load(config.store_block, _sync=True)
        return store.url, store.options()
    return config.out, None


def _apis_available(config: RunConfig) -> int:
    """How many APIs the run could sample from (the registry is loaded once per process)."""
    from api_registry.sources import load_registry

    return len(load_registry(config.execution.registry).specs())


def dataset_filter(config: RunConfig):
    """The run's dedup/decontamination filter (``apigen.dedup``), or None when both are off."""
    from apigen.dedup.build import build_filter, seed_references

    return build_filter(dedup=config.dedup, threshold=config.near_dup_threshold, decontaminate=config.decontaminate,
                        bundled=config.bundled_decontamination,
                        references=seed_references(config.examples_from) if config.dedup else ())


def _build_in_background(config: RunConfig) -> Future | None:
    if not config.dedup and not config.bundled_decontamination and not config.decontaminate:
        return None  # nothing to load
    executor = ThreadPoolExecutor(1, thread_name_prefix="apigen-dedup-index")
    future = executor.submit(dataset_filter, config)
    executor.shutdown(wait=False)
    return future


def _dedup_rates(stats: dict[str, Any]) -> dict[str, Any]:
    """The duplicate and near-duplicate rates among the verified pairs checked, for the diversity figures."""
    dedup = stats.get("dedup")
    return {"duplicate_rate": dedup["duplicate_rate"], "near_duplicate_rate": dedup["near_duplicate_rate"]} if dedup else {}


_NOT_STARTED = object()


class RunExport:
    """``add`` each finished batch (in any order); ``finish`` once all are in. Batches are written in
    index order: one that finishes early waits (bounded by the batches in flight) for those before it."""

    def __init__(self, config: RunConfig):
        self.config = config
        self.location, options = destination(config)
        self.writer = DatasetWriter(self.location, options, config.formats)
        self.counts = SummaryCounter()
        self.examples = FailureExamples()
        self.diversity = DiversityCounter(apis_available=_apis_available(config))
        self.llm: dict[str, CallStats] = {}
        self.not_returned: Counter = Counter()
        self.failed_requests = 0
        self.pairs_lost = 0
        self.failed_request_errors: list[str] = []
        self.waiting: dict[int, BatchResult] = {}
        self.next_index = 0
        self._filter: Future | Any = _NOT_STARTED

    def add(self, batch: BatchResult) -> None:
        self.waiting[batch.index] = batch
        while self.next_index in self.waiting:
            self._write(self.waiting.pop(self.next_index))
            self.next_index += 1

    def prepare(self) -> None:
        """Start building the run's filter on a background thread (importing datasketch and indexing the
        benchmark set: ~0.75 s of CPU). The flow calls this once the first batch is generated, not at
        the start, where it would hold the GIL while the first requests are being sent."""
        if self._filter is _NOT_STARTED:
            self._filter = _build_in_background(self.config)

    @property
    def filter(self):
        """The run's ``DatasetFilter`` (None when dedup and decontamination are off), built once per run."""
        self.prepare()
        if isinstance(self._filter, Future):
            self._filter = self._filter.result()  # an unreadable --decontaminate file raises here
        return self._filter

    @filter.setter
    def filter(self, value) -> None:
        self._filter = value

    def _write(self, batch: BatchResult) -> None:
        if self.filter is not None:  # in batch order: the first occurrence in the run is the one kept
            batch = batch.with_samples(self.filter.apply(batch.samples))
        self.writer.add(batch.samples)
        self.counts.add(batch.samples)
        self.examples.add(batch.samples)
        self.diversity.add(batch.samples)
        for stage, stats in batch.llm.items():
            self.llm.setdefault(stage, CallStats()).merge(CallStats.from_dict(stats))
        self.not_returned.update(batch.not_returned)
        self.failed_requests += len(batch.failed_requests)
        self.pairs_lost += sum(f["pairs"] for f in batch.failed_requests)
        room = FAILED_REQUEST_ERRORS_KEPT - len(self.failed_request_errors)
        self.failed_request_errors += [f["error"] for f in batch.failed_requests][:max(room, 0)]

    def summary(self) -> dict[str, Any]:
        config = self.config
        dedup_stats = self.filter.stats() if self.filter is not None else {}
        return self.counts.summary({
            "requested_pairs": config.n, "failed_requests": self.failed_requests,
            "pairs_not_returned": sum(self.not_returned.values()),
            "pairs_not_returned_by_reason": dict(self.not_returned),
            "pairs_lost_to_failed_requests": self.pairs_lost,
            "failed_request_errors": self.failed_request_errors,
            "llm_calls": {stage: s.as_dict() for stage, s in self.llm.items()},
            "generator_model": config.generator.label, "judge_model": config.judge.label,
            "simulated": config.generator.simulated, "seed": config.seed, "prompt_version": prompt_version(),
            "styles": [s.value for s in config.styles], "formats": list(config.formats), **dedup_stats,
            "diversity": {**self.diversity.summary(), **_dedup_rates(dedup_stats)}})

    def finish(self) -> dict[str, Any]:
        """Complete the dataset; return its summary, where it went and the failure examples."""
        if self.waiting:
            raise RuntimeError(f"batch {self.next_index} never arrived; batches {sorted(self.waiting)} are unwritten")
        summary = self.summary()
        self.writer.finish(summary)
        return {"summary": summary, "failures_markdown": failure_markdown(summary, self.examples.samples),
                "location": self.location}

    def abort(self) -> None:
        self.writer.abort()
