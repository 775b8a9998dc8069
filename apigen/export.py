"""Write a run's samples as Parquet: verified rows in xlam's layout, rejected rows with their reasons.

Layout: ``<out>/verified/part-*.parquet``, ``<out>/rejected/part-*.parquet`` and ``<out>/summary.json``;
a dataset is complete iff its ``summary.json`` exists. ``DatasetWriter`` takes the samples a batch at a
time and writes each batch's rows as their own parts at once (``part-00000.parquet``, ``part-00001``,
... in the order batches are added; ids run on across parts), so a run never holds its whole dataset.
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
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from apigen import storage
from apigen.models import Sample
from apigen.stages import final_status

PROVENANCE_FIELDS = [("style", pa.string()), ("category", pa.string()), ("generator_model", pa.string()),
                     ("prompt_version", pa.string()), ("seed", pa.int64()), ("simulated", pa.bool_()),
                     ("sample_key", pa.string())]
# xlam-function-calling-60k's columns, in its order, then ours.
VERIFIED_SCHEMA = pa.schema([("query", pa.string()), ("id", pa.int64()), ("answers", pa.string()),
                             ("tools", pa.string()), *PROVENANCE_FIELDS])
REJECTED_SCHEMA = pa.schema([*VERIFIED_SCHEMA, ("rejected_stage", pa.string()),
                             ("error_codes", pa.list_(pa.string())), ("errors", pa.string()), ("raw", pa.string())])


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _row(sample: Sample, row_id: int) -> dict[str, Any]:
    p = sample.provenance
    answers = sample.answers if isinstance(sample.answers, str) else _dump(sample.answers)
    return {"query": sample.query, "id": row_id, "answers": answers,
            "tools": _dump([t.to_xlam() for t in sample.tools]),
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


def build_tables(samples: Sequence[Sample], first_ids: tuple[int, int] = (0, 0)) -> tuple[pa.Table, pa.Table]:
    """The verified and rejected tables of ``samples``, in request order; ids count on from ``first_ids``."""
    ordered = sorted(samples, key=order_key)
    verified = [s for s in ordered if final_status(s) == "verified"]
    rejected = [s for s in ordered if final_status(s) != "verified"]
    return (pa.Table.from_pylist([_row(s, i) for i, s in enumerate(verified, first_ids[0])], schema=VERIFIED_SCHEMA),
            pa.Table.from_pylist([_rejected_row(s, i) for i, s in enumerate(rejected, first_ids[1])],
                                 schema=REJECTED_SCHEMA))


def _summary_text(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


FOLDERS = ("verified", "rejected")


class DatasetWriter:
    """Write ``out`` batch by batch: a local path (staging directory, then swap) or an fsspec URL
    (completion marker). ``add`` writes a batch's rows as new parts; ``finish`` writes summary.json and
    makes the dataset complete; ``abort`` (or leaving a ``with`` block by an exception) drops what was
    written, leaving the previous dataset as it was (locally) or incomplete (URL; see ``apigen.storage``).

    ``storage_options`` go to fsspec for URLs (credentials, endpoint); without them the filesystem's
    own defaults apply (for s3fs: the usual AWS credential chain).
    """

    def __init__(self, out: str | Path, storage_options: dict[str, Any] | None = None):
        self.rows = {"verified": 0, "rejected": 0}
        self.parts = {"verified": 0, "rejected": 0}
        self._remote = None
        self._staging = None
        if storage.is_url(out):
            self.out: Path | str = str(out)
            self._remote = storage.MarkedWriter(str(out), FOLDERS, storage_options)
            return
        self.out = Path(str(out).removeprefix("file://")).resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        staging = self.out.parent / f".{self.out.name}.staging-{uuid.uuid4().hex[:8]}"
        for folder in FOLDERS:
            (staging / folder).mkdir(parents=True)
        self._staging = staging

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, kind, *rest) -> None:
        if kind is not None:
            self.abort()

    def add(self, samples: Sequence[Sample]) -> None:
        """Write one batch's rows; rows of later calls follow (ids continue)."""
        verified, rejected = build_tables(samples, (self.rows["verified"], self.rows["rejected"]))
        for folder, table in (("verified", verified), ("rejected", rejected)):
            if table.num_rows:
                self._write(folder, table)
                self.rows[folder] += table.num_rows

    def _write(self, folder: str, table: pa.Table) -> None:
        if self._remote is not None:
            self._remote.put(folder, _parquet_bytes(table))
        else:
            pq.write_table(table, self._staging / folder / f"part-{self.parts[folder]:05d}.parquet")
        self.parts[folder] += 1

    def finish(self, summary: dict[str, Any]) -> Path | str:
        """Write summary.json and make the dataset complete (an empty folder gets an empty part: the
        schema is always readable)."""
        empty = {"verified": VERIFIED_SCHEMA, "rejected": REJECTED_SCHEMA}
        for folder in FOLDERS:
            if not self.parts[folder]:
                self._write(folder, empty[folder].empty_table())
        if self._remote is not None:
            return self._remote.finish(_summary_text(summary).encode())
        try:
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
                  storage_options: dict[str, Any] | None = None) -> Path | str:
    """Write ``samples`` as one batch and complete ``out`` (see ``DatasetWriter``)."""
    with DatasetWriter(out, storage_options) as writer:
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
