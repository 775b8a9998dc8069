"""Task: read an existing dataset into batches of samples for ``verify``."""

from __future__ import annotations

from prefect import task

from apigen.batch import BatchResult
from apigen.dataset_io import read_samples


def read_batches(path: str, batch_size: int) -> list[BatchResult]:
    samples = read_samples(path)
    return [BatchResult(index=i // batch_size, samples=tuple(samples[i:i + batch_size]))
            for i in range(0, len(samples), batch_size)]


read_input_task = task(read_batches, name="read-input")
