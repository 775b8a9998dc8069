"""Cache policies and result storage for batch tasks: what makes a killed run resumable.

Each batch task's key is its source plus a digest of the inputs that determine its output
(``apigen.cache_keys``) and the prompt version; the registry enters keys by content, never by path
(``api_registry.implementation_digest``): an execution batch's key holds the implementation of each
function its calls name, so editing a ``--functions`` file re-runs exactly the batches that call into
it. Results are persisted to local storage by default,
or to the path / s3:// URL a run names. A re-run with the same parameters loads finished batches
instead of calling the LLM again.

Prefect 3.8.8 accepts as a task's ``result_storage`` only a ``Path``, a block slug or a block saved
server-side, and ``RemoteFileSystem.settings`` is a plain dict: saved with credentials in it, they
would be shown in clear by the API and the UI. ``StoreResultStorage`` is a ``RemoteFileSystem`` that
saves only the *name* of the ``DatasetStore`` block holding the options, and reads that block when
it first opens the filesystem.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any
from urllib.parse import urlsplit

from prefect.cache_policies import TASK_SOURCE, CacheKeyFnPolicy
from prefect.filesystems import RemoteFileSystem
from pydantic import Field

from api_registry.implementation_digest import implementations
from api_registry.sources import load_registry
from apigen.cache_keys import called_names, digest
from prompts import prompt_version


def _batch_samples(parameters: dict[str, Any]) -> Any:
    """The whole incoming batch, not only its samples: a stage returns the batch it was given, with
    its accounting (failed requests, pairs not returned, LLM stats), so two runs whose samples happen
    to be equal (a seeded model answers the same) must not share a cached result."""
    batch = parameters["batch"]
    return {"index": batch.index, "samples": samples_digest(batch.samples),
            "failed_requests": list(batch.failed_requests), "not_returned": batch.not_returned, "llm": batch.llm}


def samples_digest(samples: Any) -> str:
    """A digest of the samples' content, from pydantic's own JSON (its Rust serializer: ~10x cheaper
    than a Python dump re-encoded, and keys have a batch's cost on the client's one core). Fields keep
    their declared order and a reply's keys their order in the reply, so the same batch always gives
    the same digest; equal content in another key order only misses the cache."""
    hasher = hashlib.sha256()
    for sample in samples:
        try:
            hasher.update(sample.model_dump_json().encode())
        except ValueError:  # a lone surrogate from a reply cannot be UTF-8: hashed escaped instead
            hasher.update(json.dumps(sample.model_dump(mode="json")).encode())
        hasher.update(b"\n")
    return hasher.hexdigest()


def _generate_key(context: Any, p: dict[str, Any]) -> str:
    return digest("generate", p["requests"], p["generator"].identity(), p["seed"], prompt_version())


def _format_key(context: Any, p: dict[str, Any]) -> str:
    return digest("format", _batch_samples(p), p.get("enabled", True))


def _execution_key(context: Any, p: dict[str, Any]) -> str:
    settings = p["settings"]
    batch = p["batch"]
    code = implementations(load_registry(settings.registry), called_names(s.answers for s in batch.samples))
    # The names (not values) of variables the functions may read: a function's result can depend on them.
    return digest("execution", _batch_samples(p), settings.registry, code, settings.timeout_s, settings.sandbox_env,
                  p.get("enabled", True))


def _semantic_key(context: Any, p: dict[str, Any]) -> str:
    judge = p["judge"]
    return digest("semantic", _batch_samples(p), judge.identity() if judge else None, prompt_version(),
                  p.get("enabled", True))


GENERATE = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_generate_key)
FORMAT = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_format_key)
EXECUTION = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_execution_key)
SEMANTIC = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_semantic_key)


def keep_out_of_cache() -> None:
    """Write no cache record for the running task: its result is not a function of its inputs alone
    (verdicts a judge that could not be reached left undecided), so the next run must compute it again.

    A cache key cannot see the result; but every Prefect task run writes its result through its
    transaction on commit, and a transaction told not to write leaves the key empty."""
    from prefect.transactions import get_transaction

    txn = get_transaction()
    if txn is not None:
        txn.write_on_commit = False


class StoreResultStorage(RemoteFileSystem):
    """Task results under an fsspec URL, with the fsspec options of a ``DatasetStore`` block (by name)."""

    _block_type_name = "APIGen Result Storage"
    _block_type_slug = "apigen-result-storage"
    _description = "Persisted apigen task results on an fsspec URL; options come from a DatasetStore block."

    store_block: str | None = Field(None, description="DatasetStore block whose storage options are used")

    @property
    def filesystem(self):
        if not self._filesystem:
            import fsspec

            options = dict(self.settings)
            if self.store_block:
                from blocks.store import DatasetStore

                options.update(DatasetStore.load(self.store_block, _sync=True).options())
            self._filesystem = fsspec.filesystem(urlsplit(self.basepath).scheme, **options)
        return self._filesystem


def result_storage(location: str | None, storage_options: dict[str, Any] | None = None,
                   store_block: str | None = None):
    """Where persisted results go: None -> Prefect's local default; a path; or an s3:// (fsspec) URL.

    Prefect wants result storage saved server-side (workers and Dask processes load it by name), so
    the block is saved under a name derived from the location. For a URL, credentials belong in the
    ``store_block`` (a DatasetStore, used when its URL has the same scheme; it is loaded here, so call
    this inside the flow); ``storage_options`` are saved with the block and must hold no secrets.
    Without either, the filesystem's own defaults apply (for s3fs, the AWS credential chain).
    """
    if location is None:
        return None
    if "://" in location and not location.startswith("file://"):
        if store_block:
            from blocks.store import DatasetStore

            store_url = DatasetStore.load(store_block, _sync=True).url
            if urlsplit(store_url).scheme.lower() != urlsplit(location).scheme.lower():
                store_block = None
        block = StoreResultStorage(basepath=location.rstrip("/"), settings=storage_options or {},
                                   store_block=store_block)
        location = f"{location}|{store_block}"
    else:
        from prefect.filesystems import LocalFileSystem

        block = LocalFileSystem(basepath=os.path.abspath(location.removeprefix("file://")))
        location = block.basepath
    block.save(f"apigen-results-{digest(location, sorted((storage_options or {}).items(), key=str))[:12]}",
               overwrite=True)
    return block
