"""Small helpers shared by tests: read an exported dataset back."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq


def read_dataset(out: Path) -> tuple[list[dict], list[dict], dict]:
    verified = pq.read_table(out / "verified").to_pylist()
    rejected = pq.read_table(out / "rejected").to_pylist()
    summary = json.loads((out / "summary.json").read_text())
    return verified, rejected, summary
