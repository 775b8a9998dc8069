"""Datasets on object stores (``s3://bucket/prefix`` and any other fsspec URL), with a completion marker.

Object stores have no atomic rename, so the staging-directory swap used for local paths is not
available. Instead ``summary.json`` is the completion marker: a dataset is complete iff its
``summary.json`` exists. A write

1. deletes the existing ``summary.json`` (from here on the old dataset reads as incomplete);
2. writes the new parts under names no earlier run used (``verified/part-<runtoken>.parquet``);
3. deletes every other ``part-*.parquet`` under ``verified/`` and ``rejected/``;
4. writes ``summary.json``, last.

A write that fails anywhere leaves no ``summary.json``; the next successful write removes the parts
it left behind. One writer per prefix at a time. Each file is uploaded whole from memory, so an
object never exists half-written.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Mapping

MARKER = "summary.json"


def is_url(location: str | Path) -> bool:
    """An fsspec URL (``s3://...``); ``file://`` URLs and plain paths are local."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def _filesystem(url: str, storage_options: Mapping[str, Any] | None):
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url, **dict(storage_options or {}))
    return fs, root.rstrip("/")


def write_marked(url: str, parts: Mapping[str, bytes], marker: bytes,
                 storage_options: Mapping[str, Any] | None = None) -> str:
    """Write ``parts`` ({"verified": parquet bytes, ...}) then the marker, by the protocol above."""
    fs, root = _filesystem(url, storage_options)
    try:
        fs.rm_file(f"{root}/{MARKER}")
    except FileNotFoundError:
        pass
    token = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:12]}"
    name = f"part-{token}.parquet"
    for folder, data in parts.items():
        fs.pipe_file(f"{root}/{folder}/{name}", data)
    fs.invalidate_cache(root)  # list what is really there, not what this process saw earlier
    stale = [p for folder in parts for p in fs.glob(f"{root}/{folder}/part-*.parquet")
             if p.rsplit("/", 1)[-1] != name]
    if stale:
        fs.rm(stale)
    fs.pipe_file(f"{root}/{MARKER}", marker)
    return url


def is_complete(location: str | Path, storage_options: Mapping[str, Any] | None = None) -> bool:
    """Whether a dataset (local path or URL) finished writing: its ``summary.json`` exists."""
    if not is_url(location):
        return (Path(str(location).removeprefix("file://")) / MARKER).is_file()
    fs, root = _filesystem(str(location), storage_options)
    fs.invalidate_cache(root)
    return fs.exists(f"{root}/{MARKER}")
