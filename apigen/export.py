"""Write a run's samples as Parquet: verified rows in xlam's layout, rejected rows with their reasons.

Layout: ``<out>/verified/part-*.parquet``, ``<out>/rejected/part-*.parquet``, for each extra format
(``apigen.exporters``: ``openai``, ``sharegpt``) ``<out>/<format>/part-*.jsonl`` of the verified rows,
the dataset card ``<out>/README.md`` (``apigen.exporters.card``: ``datasets.load_dataset(out)`` reads
only the verified rows) and ``<out>/summary.json``; a dataset is complete iff its ``summary.json``
exists. ``DatasetWriter`` takes the samples a batch at a time and writes each batch's rows as their own
parts at once (``part-00000.parquet``, ``part-00001``, ... in the order batches are added), so a run
never holds its whole dataset. ``id`` is one counter over all rows, verified and rejected, in request
order, running on across parts: unique in the dataset.
A local ``<out>`` is written into a staging directory beside it and swapped into place at the end; an
fsspec URL (``s3://bucket/prefix``) is written by the completion-marker protocol of ``apigen.storage``.
Either way an interrupted run never leaves a dataset that looks complete.

The local swap is two renames: ``<out>`` -> ``.<out>.old-<token>``, then staging -> ``<out>``. A crash
between them leaves no ``<out>``, and the previous dataset under its ``.old-`` name; the next run,
holding the output lock (``apigen.output_lock``), calls ``recover_output`` first, which puts it back
and removes what interrupted runs left (``.staging-*``, ``.old-*``), saying what it did.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from apigen import storage
from apigen.exporters import JSONL_FORMATS, XLAM, card
from apigen.models import Sample
from apigen.stages import final_status

PROVENANCE_FIELDS = [("style", pa.string()), ("category", pa.string()), ("generator_model", pa.string()),
                     ("prompt_version", pa.string()), ("seed", pa.int64()), ("simulated", pa.bool_()),
                     ("sample_key", pa.string())]
# xlam-function-calling-60k's columns, in its order, then ours.
# execution_results: JSON of the execution stage's per-call results (null when it did not run); the
# openai format's tool messages are built from it.
VERIFIED_SCHEMA = pa.schema([("query", pa.string()), ("id", pa.int64()), ("answers", pa.string()),
                             ("tools", pa.string()), ("execution_results", pa.string()), *PROVENANCE_FIELDS])
REJECTED_SCHEMA = pa.schema([*VERIFIED_SCHEMA, ("rejected_stage", pa.string()),
                             ("error_codes", pa.list_(pa.string())), ("errors", pa.string()), ("raw", pa.string())])


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def execution_results(sample: Sample) -> list[Any] | None:
    """The execution stage's per-call results, or None when it did not run (skipped, rejected before)."""
    verdict = sample.verdicts.get("execution")
    return list(verdict.results) if verdict is not None and verdict.results is not None else None


def _row(sample: Sample, row_id: int) -> dict[str, Any]:
    p = sample.provenance
    answers = sample.answers if isinstance(sample.answers, str) else _dump(sample.answers)
    results = execution_results(sample)
    return {"query": sample.query, "id": row_id, "answers": answers,
            "tools": _dump([t.to_xlam() for t in sample.tools]),
            "execution_results": None if results is None else _dump(results),
            "style": p.style.value, "category": p.category, "generator_model": p.generator_model,
            "prompt_version": p.prompt_version, "seed": p.seed, "simulated": p.simulated, "sample_key": sample.key}


def _rejected_row(sample: Sample, row_id: int) -> dict[str, Any]:
    stage = sample.rejected_at
    verdict = sample.verdicts.get(stage) if stage else None
    errors = [e.model_dump() for e in verdict.errors] if verdict else []
    return {**_row(sample, row_id), "rejected_stage": stage or "incomplete",
            "error_codes": [e["code"] for e in errors], "errors": _dump(errors), "raw": sample.raw}


def order_key(sample: Sample) -> tuple[int, int]:
    return sample.provenance.request_index, sample.provenance.pair_index


Numbered = list[tuple[int, Sample]]


def split_rows(samples: Sequence[Sample], first_id: int = 0) -> tuple[Numbered, Numbered]:
    """``(id, sample)`` of the verified and of the other samples; ids are one counter from ``first_id``
    over all of them in request order, so no id is in both."""
    numbered = list(enumerate(sorted(samples, key=order_key), first_id))
    verified = [(i, s) for i, s in numbered if final_status(s) == "verified"]
    rejected = [(i, s) for i, s in numbered if final_status(s) != "verified"]
    return verified, rejected


def build_tables(samples: Sequence[Sample], first_id: int = 0) -> tuple[pa.Table, pa.Table]:
    """The verified and rejected tables of ``samples``, in request order; ids count on from ``first_id``."""
    return _tables(*split_rows(samples, first_id))


def _tables(verified: Numbered, rejected: Numbered) -> tuple[pa.Table, pa.Table]:
    return (pa.Table.from_pylist([_row(s, i) for i, s in verified], schema=VERIFIED_SCHEMA),
            pa.Table.from_pylist([_rejected_row(s, i) for i, s in rejected], schema=REJECTED_SCHEMA))


def _jsonl_bytes(rows: Sequence[dict[str, Any]]) -> bytes:
    return "".join(_dump(r) + "\n" for r in rows).encode()


def _summary_text(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def _write_parquet(table: pa.Table, where: Any) -> None:
    """A table without rows is written with no row group: ``datasets``' Parquet reader fails on a file
    whose first row group has 0 rows (``BatchSize must be greater than 0``), e.g. an empty ``rejected/``."""
    if table.num_rows:
        pq.write_table(table, where)
    else:
        pq.ParquetWriter(where, table.schema).close()


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    _write_parquet(table, sink)
    return sink.getvalue().to_pybytes()


FOLDERS = ("verified", "rejected")
ALL_FOLDERS = (*FOLDERS, *JSONL_FORMATS)  # an s3 write clears earlier parts of every format
CARD = "README.md"


class DatasetWriter:
    """Write ``out`` batch by batch: a local path (staging directory, then swap) or an fsspec URL
    (completion marker). ``add`` writes a batch's rows as new parts (Parquet, plus a JSON Lines part of
    the verified rows per extra format in ``formats``); ``finish`` writes the card and summary.json and
    makes the dataset complete; ``abort`` (or leaving a ``with`` block by an exception) drops what was
    written, leaving the previous dataset as it was (locally) or incomplete (URL; see ``apigen.storage``).

    ``storage_options`` go to fsspec for URLs (credentials, endpoint); without them the filesystem's
    own defaults apply (for s3fs: the usual AWS credential chain).
    """

    def __init__(self, out: str | Path, storage_options: dict[str, Any] | None = None,
                 formats: Sequence[str] = (XLAM,)):
        self.formats = tuple(f for f in formats if f in JSONL_FORMATS)
        unknown = set(formats) - {XLAM, *JSONL_FORMATS}
        if unknown:
            raise ValueError(f"unknown export formats: {', '.join(sorted(unknown))}")
        self.folders = (*FOLDERS, *self.formats)
        self.rows = {folder: 0 for folder in self.folders}
        self.parts = {folder: 0 for folder in self.folders}
        self.next_id = 0
        self.tool_sources: Counter = Counter()  # ToolSpec.source of the verified rows' tools, for the card
        self._remote = None
        self._staging = None
        if storage.is_url(out):
            self.out: Path | str = str(out)
            self._remote = storage.MarkedWriter(str(out), ALL_FOLDERS, storage_options)
            return
        self.out = Path(str(out).removeprefix("file://")).resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        staging = self.out.parent / f".{self.out.name}.staging-{uuid.uuid4().hex[:8]}"
        for folder in self.folders:
            (staging / folder).mkdir(parents=True)
        self._staging = staging

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, kind, *rest) -> None:
        if kind is not None:
            self.abort()

    def add(self, samples: Sequence[Sample]) -> None:
        """Write one batch's rows; rows of later calls follow (ids continue)."""
        verified, rejected = split_rows(samples, self.next_id)
        self.next_id += len(samples)
        for folder, table in zip(FOLDERS, _tables(verified, rejected)):
            if table.num_rows:
                self._write(folder, table)
                self.rows[folder] += table.num_rows
        for fmt in self.formats:
            if verified:
                self._write_jsonl(fmt, [JSONL_FORMATS[fmt](s, execution_results(s)) for _, s in verified])
        self.tool_sources.update(t.source or "unknown" for _, s in verified for t in s.tools)

    def _write(self, folder: str, table: pa.Table) -> None:
        if self._remote is not None:
            self._remote.put(folder, _parquet_bytes(table))
        else:
            _write_parquet(table, self._staging / folder / f"part-{self.parts[folder]:05d}.parquet")
        self.parts[folder] += 1

    def _write_jsonl(self, folder: str, rows: Sequence[dict[str, Any]]) -> None:
        data = _jsonl_bytes(rows)
        if self._remote is not None:
            self._remote.put(folder, data, suffix=".jsonl")
        else:
            (self._staging / folder / f"part-{self.parts[folder]:05d}.jsonl").write_bytes(data)
        self.parts[folder] += 1
        self.rows[folder] += len(rows)

    def finish(self, summary: dict[str, Any]) -> Path | str:
        """Write summary.json and make the dataset complete (an empty folder gets an empty part: the
        schema is always readable)."""
        empty = {"verified": VERIFIED_SCHEMA, "rejected": REJECTED_SCHEMA}
        for folder in FOLDERS:
            if not self.parts[folder]:
                self._write(folder, empty[folder].empty_table())
        for fmt in self.formats:  # an empty part: the folder exists and its glob matches (datasets' json builder)
            if not self.parts[fmt]:
                self._write_jsonl(fmt, [])
        readme = card.render(summary, (XLAM, *self.formats), self.tool_sources).encode()
        if self._remote is not None:
            return self._remote.finish(_summary_text(summary).encode(), {CARD: readme})
        try:
            (self._staging / CARD).write_bytes(readme)
            (self._staging / "summary.json").write_text(_summary_text(summary))
            _swap_in(self._staging, self.out)
        finally:
            self.abort()
        return self.out

    def abort(self) -> None:
        """Remove the local staging directory (a URL keeps its parts without a marker: incomplete)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)


def write_dataset(samples: Sequence[Sample], summary: dict[str, Any], out: str | Path,
                  storage_options: dict[str, Any] | None = None, formats: Sequence[str] = (XLAM,)) -> Path | str:
    """Write ``samples`` as one batch and complete ``out`` (see ``DatasetWriter``)."""
    with DatasetWriter(out, storage_options, formats) as writer:
        writer.add(samples)
        return writer.finish(summary)


def _swap_in(staging: Path, out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / "summary.json").exists() and not (out / "verified").exists():
            raise FileExistsError(f"{out} exists and is not an apigen dataset; refusing to replace it")
        retired = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out, retired)
        # A crash here leaves no ``out``: ``recover_output`` restores ``retired`` at the next run.
        os.replace(staging, out)
        _sync_directory(out.parent)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
        _sync_directory(out.parent)


def _sync_directory(path: Path) -> None:
    """Make the renames in ``path`` durable before the old dataset is deleted."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _leftovers(out: Path, kind: str) -> list[Path]:
    """``.<out>.<kind>-*`` beside ``out``, newest first."""
    found = [Path(p) for p in glob.glob(str(out.parent / f".{glob.escape(out.name)}.{kind}-*"))]
    return sorted((p for p in found if p.is_dir() and not p.is_symlink()),
                  key=lambda p: p.stat().st_mtime_ns, reverse=True)


def recover_output(out: str | Path | None) -> list[str]:
    """Repair what interrupted runs left beside a local ``out``; call it holding the output lock.

    If ``out`` is missing (or an empty directory) and a ``.old-*`` dataset exists, a run was
    interrupted between the two renames of its swap: the previous dataset (complete ones first,
    newest first) is put back. Then ``.staging-*`` directories (unfinished or never swapped in by a
    run that did not finish) are removed, and ``.old-*`` ones too once ``out`` is complete; an
    ``.old-*`` dataset is otherwise kept. Returns one line per action, for the run's log.
    """
    if out is None or storage.is_url(out):
        return []
    out = Path(str(out).removeprefix("file://")).resolve()
    if not out.parent.is_dir():
        return []
    lines = []
    retired = _leftovers(out, "old")
    if retired and (not out.exists() or (out.is_dir() and not any(out.iterdir()))):
        previous = max(retired, key=lambda p: (storage.is_complete(p), p.stat().st_mtime_ns))
        if out.exists():
            out.rmdir()
        os.replace(previous, out)
        _sync_directory(out.parent)
        retired.remove(previous)
        state = "complete" if storage.is_complete(out) else "incomplete"
        lines.append(f"restored the previous dataset ({state}) to {out} from {previous.name}: a run was interrupted "
                     "while swapping its output in")
    complete = storage.is_complete(out)
    for leftover in _leftovers(out, "staging") + (retired if complete else []):
        shutil.rmtree(leftover, ignore_errors=True)
        lines.append(f"removed {leftover.name} beside {out}, left by an interrupted run")
    if not complete:
        lines += [f"kept {p.name} beside {out}: it may be the only copy of an earlier dataset" for p in retired]
    return lines
