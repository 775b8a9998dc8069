"""Cache policies and result storage for batch tasks: what makes a killed run resumable.

Each batch task's key is its source plus a digest of the inputs that determine its output
(``apigen.cache_keys``) and the prompt version; results are persisted to local storage by default,
or to the path / s3:// URL a run names. A re-run with the same parameters loads finished batches
instead of calling the LLM again.
"""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import TASK_SOURCE, CacheKeyFnPolicy

from apigen.cache_keys import digest
from prompts import prompt_version


def _batch_samples(parameters: dict[str, Any]) -> Any:
    batch = parameters["batch"]
    return [s.model_dump(mode="json") for s in batch.samples]


def _sample_key(context: Any, p: dict[str, Any]) -> str:
    config = p["config"]
    return digest("sample", config.seed, config.n, config.styles, config.pairs_per_request,
                  config.requests_per_batch, config.execution.registry, p["batch_index"], prompt_version())


def _generate_key(context: Any, p: dict[str, Any]) -> str:
    return digest("generate", p["requests"], p["generator"].identity(), p["seed"], prompt_version())


def _format_key(context: Any, p: dict[str, Any]) -> str:
    return digest("format", _batch_samples(p), p.get("enabled", True))


def _execution_key(context: Any, p: dict[str, Any]) -> str:
    settings = p["settings"]
    return digest("execution", _batch_samples(p), settings.registry, settings.timeout_s, p.get("enabled", True))


def _semantic_key(context: Any, p: dict[str, Any]) -> str:
    judge = p["judge"]
    return digest("semantic", _batch_samples(p), judge.identity() if judge else None, prompt_version(),
                  p.get("enabled", True))


SAMPLE = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_sample_key)
GENERATE = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_generate_key)
FORMAT = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_format_key)
EXECUTION = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_execution_key)
SEMANTIC = TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_semantic_key)


def result_storage(location: str | None, storage_options: dict[str, Any] | None = None):
    """Where persisted results go: None -> Prefect's local default; a path; or an s3:// (fsspec) URL."""
    if location is None:
        return None
    if "://" in location and not location.startswith("file://"):
        from prefect.filesystems import RemoteFileSystem

        return RemoteFileSystem(basepath=location.rstrip("/"), settings=storage_options or {})
    from prefect.filesystems import LocalFileSystem

    return LocalFileSystem(basepath=location.removeprefix("file://"))
