"""Datasets on object stores (``s3://bucket/prefix`` and any other fsspec URL), with a completion marker.

Object stores have no atomic rename, so the staging-directory swap used for local paths is not
available. Instead ``summary.json`` is the completion marker: a dataset is complete iff its
``summary.json`` exists. A write (``MarkedWriter``)

1. deletes the existing ``summary.json`` before its first part (from here on the old dataset reads
   as incomplete);
2. writes the new parts, as they come, under names no earlier run used
   (``verified/part-<runtoken>-00000.parquet``, ``openai/part-<runtoken>-00000.jsonl``, ...);
3. at the end deletes every other ``part-*`` under the writer's folders (``verified/``, ``rejected/``
   and the other export formats' folders, so a format an earlier run wrote does not linger), then
   writes the dataset's other files (its card, ``README.md``);
4. writes ``summary.json``, last.

A write that fails anywhere leaves no ``summary.json``; the next successful write removes the parts
it left behind. One writer per prefix at a time. Each part is uploaded whole from memory, so an
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


class MarkedWriter:
    """Parts uploaded one by one under this run's token, then the marker (the protocol above)."""

    def __init__(self, url: str, folders: tuple[str, ...], storage_options: Mapping[str, Any] | None = None):
        self.url, self.folders = url, folders
        self.fs, self.root = _filesystem(url, storage_options)
        self.token = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:12]}"
        self.written: set[str] = set()  # "<folder>/<name>" of this run's parts
        self._counts: dict[str, int] = {}
        self._unmarked = False

    def _unmark(self) -> None:
        if not self._unmarked:
            try:
                self.fs.rm_file(f"{self.root}/{MARKER}")
            except FileNotFoundError:
                pass
            self._unmarked = True

    def put(self, folder: str, data: bytes, suffix: str = ".parquet") -> str:
        """Upload one part into ``folder``; parts are numbered in the order they are put."""
        self._unmark()
        count = self._counts.get(folder, 0)
        name = f"{folder}/part-{self.token}-{count:05d}{suffix}"
        self.fs.pipe_file(f"{self.root}/{name}", data)
        self.written.add(name)
        self._counts[folder] = count + 1
        return name

    def finish(self, marker: bytes, files: Mapping[str, bytes] | None = None) -> str:
        """Delete the parts of earlier runs, write ``files`` ({"README.md": bytes}), then the marker: the
        dataset is complete."""
        self._unmark()
        self.fs.invalidate_cache(self.root)  # list what is really there, not what this process saw earlier
        stale = [p for folder in self.folders for p in self.fs.glob(f"{self.root}/{folder}/part-*")
                 if p[len(self.root) + 1:] not in self.written]
        if stale:
            self.fs.rm(stale)
        for name, data in (files or {}).items():
            self.fs.pipe_file(f"{self.root}/{name}", data)
        self.fs.pipe_file(f"{self.root}/{MARKER}", marker)
        return self.url


def write_marked(url: str, parts: Mapping[str, bytes], marker: bytes,
                 storage_options: Mapping[str, Any] | None = None) -> str:
    """Write ``parts`` ({"verified": parquet bytes, ...}) then the marker, by the protocol above."""
    writer = MarkedWriter(url, tuple(parts), storage_options)
    for folder, data in parts.items():
        writer.put(folder, data)
    return writer.finish(marker)


def is_complete(location: str | Path, storage_options: Mapping[str, Any] | None = None) -> bool:
    """Whether a dataset (local path or URL) finished writing: its ``summary.json`` exists."""
    if not is_url(location):
        return (Path(str(location).removeprefix("file://")) / MARKER).is_file()
    fs, root = _filesystem(str(location), storage_options)
    fs.invalidate_cache(root)
    return fs.exists(f"{root}/{MARKER}")
