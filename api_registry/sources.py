"""Which APIs a run may use, beyond the bundled library, and the one function that loads them.

A ``RegistrySources`` is a small value (file paths only, no secrets), so it travels as a flow
parameter; every process that needs the registry loads it from the same files. Cache keys hold the
files' content hashes (``api_registry.implementation_digest``), never only their paths, and a
process reloads the registry when one of its files changed, so what runs is what the key says.
"""

from __future__ import annotations

import logging
import threading

from pydantic import BaseModel, ConfigDict

from api_registry.implementation_digest import sources_stamp
from api_registry.registry import Registry, RegistryLoadError

DEFAULT_TOOLBENCH_BASE = "http://127.0.0.1:8080/toolbench"


class RegistrySources(BaseModel):
    model_config = ConfigDict(frozen=True)
    bundled: bool = True
    functions: tuple[str, ...] = ()   # Python modules: every public function is an API
    rest: tuple[str, ...] = ()        # REST API definition files (api_registry.importers.rest_file)
    toolbench: tuple[str, ...] = ()   # ToolBench api_list files, served by a mirror at toolbench_base_url
    toolbench_base_url: str = DEFAULT_TOOLBENCH_BASE
    tools: tuple[str, ...] = ()       # documentation only (xlam / OpenAI / BFCL): not executable
    mcp: tuple[str, ...] = ()         # MCP servers (command lines or URLs): tools listed, run by tools/call
    mcp_blocks: tuple[str, ...] = ()  # McpServer block names (servers with secret env or headers)
    allow_destructive: bool = False   # run MCP tools their server marks destructive (never by default)


_LOADED: dict[RegistrySources, tuple[tuple, Registry]] = {}
_LOCK = threading.Lock()
logger = logging.getLogger("apigen.registry")
logger.addHandler(logging.NullHandler())  # shown where logging is configured (a Prefect run), silent elsewhere


def load_registry(sources: RegistrySources = RegistrySources()) -> Registry:
    """The registry for ``sources``, loaded once per process and again when one of its files changed;
    load errors are kept in ``.errors``, replacements of bundled functions in ``.warnings``."""
    stamp = sources_stamp(sources)
    with _LOCK:
        known = _LOADED.get(sources)
        if known is None or known[0] != stamp:
            registry = _load(sources)
            for problem in registry.errors:
                logger.warning("registry load error: %s", problem)
            for warning in registry.warnings:
                logger.warning("registry: %s", warning)
            _LOADED[sources] = known = (stamp, registry)
        return known[1]


def _load(sources: RegistrySources) -> Registry:
    from api_registry.importers.mcp_server import McpListing, import_mcp
    from api_registry.importers.openai_tools import import_openai_tools
    from api_registry.importers.rest_file import import_rest_file
    from api_registry.importers.toolbench import import_toolbench
    from api_registry.importers.xlam import import_xlam

    registry = Registry.bundled() if sources.bundled else Registry()
    for path in sources.functions:
        registry.add_functions_file(path)
    for path in sources.rest:
        registry.add_import(import_rest_file(path), path)
    for path in sources.toolbench:
        registry.add_import(import_toolbench(path, base_url=sources.toolbench_base_url), path)
    for path in sources.tools:
        importer = import_xlam if _looks_like_xlam(path) else import_openai_tools
        registry.add_import(importer(path), path)
    registry.allow_destructive = sources.allow_destructive
    for spec in mcp_specs(sources):
        if isinstance(spec, RegistryLoadError):
            registry.errors.append(spec)
            continue
        listing = import_mcp(spec)
        if isinstance(listing, McpListing):
            registry.add_mcp(listing)
        else:
            registry.add_import(listing, spec if isinstance(spec, str) else spec.text)
    return registry


def mcp_specs(sources: RegistrySources) -> list:
    """The MCP servers of ``sources``: command lines and URLs as given, then each block's server."""
    specs: list = list(sources.mcp)
    if sources.mcp_blocks:
        from apigen.redaction import redact
        from blocks.mcp import McpServer
    for name in sources.mcp_blocks:
        try:
            specs.append(McpServer.load(name).spec(name))
        except Exception as exc:  # a missing or malformed block is a load error, not a crash
            specs.append(RegistryLoadError(f"block:{name}", None, f"McpServer block could not be loaded: "
                                                                  f"{type(exc).__name__}: {redact(str(exc))[:200]}"))
    return specs


def _looks_like_xlam(path: str) -> bool:
    """xlam files hold rows with ``tools`` and ``answers``; tool files hold tool docs."""
    import json

    if path.endswith(".parquet"):
        return True
    with open(path, encoding="utf-8") as handle:
        head = handle.read(4096)
    try:
        first = json.loads(head.splitlines()[0]) if head.strip() and not head.lstrip().startswith("[") else None
    except (json.JSONDecodeError, IndexError):
        first = None
    return isinstance(first, dict) and "tools" in first and "answers" in first
