"""The run's ``DatasetFilter`` from its settings: the benchmark sets and few-shot examples it needs,
loaded once per run, and only when deduplication or decontamination is on (nothing is read otherwise)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from apigen.models import Sample

if TYPE_CHECKING:
    from apigen.dedup.dataset_filter import DatasetFilter, Reference


def seed_references(examples_from: str | None = None) -> list[Reference]:
    """The bundled few-shot examples, and those of the ``--examples-from`` pool when one is given."""
    from apigen.dedup.dataset_filter import Reference
    from apigen.sampling import load_example_pool
    from prompts import seed_examples

    refs = [Reference(f"seed example {i}", e["query"], e["answers"]) for i, e in enumerate(seed_examples())]
    if examples_from:
        refs += [Reference(f"example {i} of {examples_from}", e["query"], e["answers"])
                 for i, e in enumerate(load_example_pool(examples_from))]
    return refs


def build_filter(dedup: bool = True, threshold: float = 0.8, decontaminate: Sequence[str] = (),
                 bundled: bool = True, references: Sequence[Reference] = (),
                 eligible: Callable[[Sample], bool] | None = None) -> DatasetFilter | None:
    """A filter, or None when there is nothing to check (no dedup, no benchmark set): then nothing is
    imported (datasketch pulls in scipy)."""
    if not dedup and not bundled and not decontaminate:
        return None
    from apigen.dedup.contamination import BUNDLED_SET, ContaminationIndex, bundled_set, load_question_file
    from apigen.dedup.dataset_filter import DatasetFilter
    from apigen.dedup.near import Signer

    sets = ([bundled_set(BUNDLED_SET)] if bundled else []) + [load_question_file(p) for p in decontaminate]
    signer = Signer()
    index = ContaminationIndex(sets, signer, threshold) if sets else None
    return DatasetFilter(threshold=threshold, dedup=dedup, contamination=index, references=references,
                         signer=signer, **({"eligible": eligible} if eligible else {}))
