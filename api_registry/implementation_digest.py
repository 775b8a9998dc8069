"""Content fingerprints of what the registry executes, for cache keys that go stale with the code.

A cached execution result is only valid for the code that produced it. A key over file *paths*
would keep serving the results of a ``--functions`` file's old content after an edit, so keys hold
content hashes instead: for a Python function, the hash of the file that defines it; for a REST
endpoint, its whole call spec (URL, method, parameter placement; credential *names*, never secrets).
A name with no implementation is part of the fingerprint too, so registering it later re-runs it.

Each file is hashed once per process and (path, size, mtime, ctime, inode): a re-key costs a stat.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Iterable

from api_registry.python_functions import PythonFunction
from api_registry.registry import McpEntry

if TYPE_CHECKING:
    from api_registry.registry import Registry
    from api_registry.sources import RegistrySources

_HASHES: dict[tuple, str] = {}
_LOCK = threading.Lock()


def file_stamp(path: str) -> tuple | None:
    """What changes when a file's content may have: None for a missing or unreadable file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def file_digest(path: str | None) -> str | None:
    """sha256 of a file's bytes (None if it cannot be read), cached on its stamp."""
    stamp = file_stamp(path) if path else None
    if stamp is None:
        return None
    with _LOCK:
        known = _HASHES.get(stamp)
    if known is not None:
        return known
    try:
        with open(path, "rb") as handle:
            value = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
    with _LOCK:
        _HASHES[stamp] = value
    return value


def _module_file(module: str) -> str | None:
    loaded = sys.modules.get(module)
    if getattr(loaded, "__file__", None):
        return loaded.__file__
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def entry_fingerprint(entry: Any) -> dict[str, Any] | None:
    """What an entry's execution depends on: its defining file's hash, its REST call spec, or its MCP
    server's identity (command or URL, reported name and version, the tool's schema)."""
    if entry is None:
        return None
    if isinstance(entry, McpEntry):
        return {"mcp": entry.identity, "server": entry.server.text, "version": entry.server_version,
                "destructive": entry.destructive}
    if isinstance(entry, PythonFunction):
        return {"python": f"{entry.module}:{entry.qualname}",
                "file_sha256": file_digest(entry.file or _module_file(entry.module))}
    return {"rest": entry.api.model_dump(mode="json"), "spec": entry.spec.model_dump(mode="json")}


def implementations(registry: "Registry", names: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """The fingerprint of every name's implementation (None where there is none), by name."""
    return {name: entry_fingerprint(registry.get(name)) for name in sorted(set(names))}


def source_files(sources: "RegistrySources") -> tuple[str, ...]:
    """Every file a registry is loaded from, beyond the bundled library."""
    return (*sources.functions, *sources.rest, *sources.toolbench, *sources.tools)


def sources_stamp(sources: "RegistrySources") -> tuple:
    """Cheap (stat only): changes when any source file may have changed."""
    return tuple(file_stamp(path) for path in source_files(sources))

