"""The API registry: every executable API the pipeline may sample, by name and category.

Loading never stops at the first bad entry: a module that fails to import, a function whose
signature cannot be described, or a duplicate name becomes a ``RegistryLoadError`` naming the file
and entry, and the rest of the registry still loads.

A user's executable entry (``--functions``, ``--rest``, ``--toolbench``) named like a bundled function
replaces it: the user asked for their API by name, and silently running ours instead would give
their rows our results. The replacement is kept as a ``RegistryWarning`` naming both origins (not
a load error: everything loaded). Two user entries with one name stay an error; the first wins.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from api_registry.rest import RestApi
from api_registry.sandbox import CallTarget
from api_registry.python_functions import PythonFunction, api_meta, describe_function
from api_registry.spec import ToolSpec

if TYPE_CHECKING:
    from api_registry.importers import ImportResult
    from api_registry.importers.mcp_server import McpListing, McpSpec

LIBRARY_PACKAGE = "api_registry.library"
_USER_PREFIX = "apigen_user_functions_"


@dataclass(frozen=True)
class RegistryLoadError:
    source: str  # file or module
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.entry}" if self.entry else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class RegistryWarning(RegistryLoadError):
    """Something that loaded but deserves a look, e.g. a user entry replacing a bundled function."""


@dataclass(frozen=True)
class RestEntry:
    """An HTTP endpoint: the spec the LLM sees and how to call it."""

    spec: ToolSpec
    api: RestApi

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class McpEntry:
    """A tool of an MCP server: the spec the LLM sees, the server that runs it, and its hints.

    ``identity`` is what a cached result of this tool is valid for: the server's command or URL, the
    name and version it reported, and the tool's schema. A server upgrade or schema change is a new one.
    """

    spec: ToolSpec
    server: "McpSpec"
    server_name: str
    server_version: str
    read_only: bool = False
    destructive: bool = True  # MCP's default for a tool whose server says nothing

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property  # hashed once per entry, not on every call (frozen: cached_property writes __dict__)
    def identity(self) -> str:
        import hashlib
        import json

        text = json.dumps([self.server.text, self.server_name, self.server_version, self.spec.name,
                           self.spec.parameters], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


DESTRUCTIVE_REFUSED = "destructive_tool"


@dataclass
class Registry:
    """Four kinds of entry, one namespace: Python functions, REST endpoints and MCP tools (executable),
    and documented-only specs (imported tool docs, usable by the format stage). MCP tools their server
    marks destructive are neither sampled nor executed unless ``allow_destructive``."""

    functions: dict[str, PythonFunction] = field(default_factory=dict)
    rest: dict[str, RestEntry] = field(default_factory=dict)
    documented: dict[str, ToolSpec] = field(default_factory=dict)
    mcp: dict[str, McpEntry] = field(default_factory=dict)
    errors: list[RegistryLoadError] = field(default_factory=list)
    warnings: list[RegistryWarning] = field(default_factory=list)
    allow_destructive: bool = False

    @classmethod
    def bundled(cls) -> "Registry":
        """The function library shipped in ``api_registry/library``."""
        registry = cls()
        package = importlib.import_module(LIBRARY_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module_name = f"{LIBRARY_PACKAGE}.{info.name}"
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:  # a broken module must not hide the others
                registry.errors.append(RegistryLoadError(module_name, None, f"failed to import: {exc!r}"))
                continue
            registry.add_module(module)
        return registry

    def add_module(self, module: ModuleType, default_category: str | None = None,
                   marked_only: bool | None = None) -> list[PythonFunction]:
        """Register a module's functions: the ``@api``-marked ones, or all public ones if none is marked."""
        source = getattr(module, "__file__", None) or module.__name__
        members = [obj for _, obj in inspect.getmembers(module, inspect.isfunction)
                   if obj.__module__ == module.__name__ and not obj.__name__.startswith("_")]
        marked = [f for f in members if api_meta(f) is not None]
        chosen = marked if (marked_only or (marked_only is None and marked)) else members
        category = default_category or getattr(module, "CATEGORY", None) or module.__name__.rsplit(".", 1)[-1]
        added = []
        for func in chosen:
            meta = api_meta(func)
            try:
                spec = describe_function(func, category=meta.category if meta else category,
                                         name=meta.name if meta else None,
                                         source="python" if module.__name__.startswith(LIBRARY_PACKAGE) else f"module:{source}")
            except Exception as exc:
                self.errors.append(RegistryLoadError(source, func.__name__, f"cannot describe: {exc}"))
                continue
            entry = PythonFunction(spec=spec, module=module.__name__, qualname=func.__qualname__,
                                   examples=meta.examples if meta else (), raises=meta.raises if meta else (),
                                   file=None if module.__name__ in sys.modules and not module.__name__.startswith(_USER_PREFIX)
                                   else getattr(module, "__file__", None),
                                   func=func)
            if self.add(entry, source):
                added.append(entry)
        return added

    def add_functions_file(self, path: str | Path) -> list[PythonFunction]:
        """Import a user's ``functions.py`` and register its public functions."""
        path = Path(path).resolve()
        name = f"{_USER_PREFIX}{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ImportError("not a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            self.errors.append(RegistryLoadError(str(path), None, f"failed to import: {exc!r}"))
            return []
        return self.add_module(module, default_category=path.stem)

    def add(self, entry: PythonFunction, source: str) -> bool:
        if self._taken(entry.name, source, executable=not is_bundled(entry)):
            return False
        self.functions[entry.name] = entry
        return True

    def add_import(self, result: "ImportResult", source: str) -> int:
        """Register what an importer produced; its errors join the registry's. Returns how many were added."""
        self.errors.extend(result.errors)
        added = 0
        for spec in result.specs:
            if self._taken(spec.name, source, executable=spec.name in result.rest):
                continue
            if spec.name in result.rest:
                self.rest[spec.name] = RestEntry(spec=spec, api=result.rest[spec.name])
            else:
                self.documented[spec.name] = spec
            added += 1
        return added

    def add_mcp(self, listing: "McpListing") -> int:
        """Register an MCP server's listed tools (executable through ``tools/call``); returns how many."""
        self.errors.extend(listing.errors)
        added = 0
        for tool in listing.tools:
            if self._taken(tool.spec.name, listing.spec.text, executable=True):
                continue
            self.mcp[tool.spec.name] = McpEntry(spec=tool.spec, server=listing.spec, server_name=listing.server,
                                                server_version=listing.version, read_only=tool.read_only,
                                                destructive=tool.destructive)
            added += 1
        return added

    def refusal(self, name: str) -> str | None:
        """Why ``name`` must not run although it could (a destructive MCP tool), or None."""
        entry = self.mcp.get(name)
        if entry is not None and entry.destructive and not self.allow_destructive:
            return (f"{name!r} is marked destructive by its MCP server ({entry.server_name}); "
                    f"it is not executed unless --allow-destructive is given")
        return None

    def executable_names(self) -> list[str]:
        """Every name with an implementation (refused ones included: they are known, just not run)."""
        return [*self.functions, *self.rest, *self.mcp]

    def _taken(self, name: str, source: str, executable: bool = False) -> bool:
        """Whether ``name`` is already registered (a load error). An ``executable`` newcomer that is
        not bundled replaces a bundled function instead, with a warning."""
        bundled = self.functions.get(name)
        if executable and bundled is not None and is_bundled(bundled):
            del self.functions[name]
            self.warnings.append(RegistryWarning(source, name, f"replaces the bundled Python function from "
                                                               f"{bundled.module}; the user's entry is used"))
            return False
        for kind, table in (("Python function", self.functions), ("REST API", self.rest), ("MCP tool", self.mcp),
                            ("tool", self.documented)):
            if name in table:
                entry = table[name]
                origin = getattr(entry, "module", None) or getattr(getattr(entry, "spec", entry), "source", None)
                self.errors.append(RegistryLoadError(source, name, f"duplicate name; already registered as a {kind}"
                                                     + (f" from {origin}" if origin else "")))
                return True
        return False

    def get(self, name: str) -> PythonFunction | RestEntry | McpEntry | None:
        """An executable entry by name (a Python function, a REST endpoint or an MCP tool)."""
        return self.functions.get(name) or self.rest.get(name) or self.mcp.get(name)

    def target(self, name: str) -> CallTarget | RestApi | McpEntry | None:
        """How ``name`` is executed: a sandbox target, a REST endpoint, an MCP tool, or None (no implementation)."""
        entry = self.functions.get(name)
        if entry is not None:
            return CallTarget(module=entry.module, qualname=entry.qualname, file=entry.file)
        rest = self.rest.get(name)
        return rest.api if rest is not None else self.mcp.get(name)

    def specs(self, category: str | None = None) -> list[ToolSpec]:
        """Executable APIs (the ones generation may sample): refused destructive tools are left out."""
        executable = ([f.spec for f in self.functions.values()] + [r.spec for r in self.rest.values()]
                      + [m.spec for m in self.mcp.values() if self.refusal(m.name) is None])
        return [s for s in executable if category is None or s.category == category]

    def categories(self) -> dict[str, int]:
        return dict(sorted(Counter(s.category or "uncategorized" for s in self.specs()).items()))

    def __len__(self) -> int:
        return len(self.functions) + len(self.rest) + len(self.mcp)


def is_bundled(entry: PythonFunction) -> bool:
    """Whether a function comes from the library shipped with apigen (not from the user)."""
    return entry.module.startswith(f"{LIBRARY_PACKAGE}.")


def bundled_registry() -> Registry:
    """The bundled library, loaded once per process."""
    from api_registry.sources import load_registry

    return load_registry()
