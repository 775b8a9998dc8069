"""Small helpers shared by tests: read an exported dataset back, answer JSON from a loopback server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def read_dataset(out: Path) -> tuple[list[dict], list[dict], dict]:
    verified = pq.read_table(out / "verified").to_pylist()
    rejected = pq.read_table(out / "rejected").to_pylist()
    summary = json.loads((out / "summary.json").read_text())
    return verified, rejected, summary


def send_json(handler: Any, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    """Answer a ``BaseHTTPRequestHandler`` request with ``payload`` as JSON (a lone surrogate goes out
    escaped, as a server may send it), with any extra ``headers``."""
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
