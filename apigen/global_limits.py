"""Cluster-wide endpoint limits: when they are needed and what they are called.

In one process every batch shares the process's limiter (``apigen.llm``). On a Dask cluster, or with
several workers running deployments, each process would bring its own ``--concurrency``: there the
per-endpoint limit lives in a Prefect global concurrency limit (``prefect gcl``), which costs a
server round trip per request, so it is used only when needed. The Prefect calls are in
``blocks.llm``; this module is pure.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

PREFIX = "apigen-llm"
_BANNED = re.compile(r"[/%&<>\s]+")  # characters Prefect refuses in names, and whitespace


def endpoint_label(model: str, api_base: str | None) -> str:
    """``model@host[:port][path]``: the endpoint without scheme, user, password, query or fragment,
    which may carry a secret (``https://user:key@host``, ``?api-key=...``)."""
    if not api_base:
        return f"{model}@default"
    parts = urlsplit(api_base if "//" in api_base else f"//{api_base}")
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{model}@{host}{parts.path.rstrip('/')}"


def limit_name(model: str, api_base: str | None, kind: str = "concurrency") -> str:
    """The global concurrency limit's name: ``apigen-llm-concurrency:openai:gpt-4o-mini@api.openai.com:v1``.
    ``kind`` is ``concurrency`` or ``rpm``."""
    return f"{PREFIX}-{kind}:" + _BANNED.sub(":", endpoint_label(model, api_base)).strip(":")


def rate_limit_shape(rpm: int, concurrency: int) -> tuple[int, float]:
    """(slots, decay per second) of a gcl used as a rate limit of ``rpm``: slots decay at rpm/60 per
    second, and a burst may use at most ``concurrency`` slots at once."""
    return max(1, min(concurrency, -(-rpm // 60))), rpm / 60.0


def in_dask_worker() -> bool:
    """Whether this thread runs a Dask task (a worker process of a cluster)."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        distributed.get_worker()
        return True
    except (ValueError, AttributeError):
        return False
