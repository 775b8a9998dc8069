"""Import the tools of an MCP server (``tools/list``) through the official ``mcp`` SDK client.

A SPEC is a stdio command line (``"python -m mcp_server_time"``, ``"uvx mcp-server-time"``,
``"npx -y @modelcontextprotocol/server-everything"``) or a streamable-HTTP URL (``http(s)://...``).
The server is untrusted: its reply is bounded in time, each tool's ``inputSchema`` goes through the
same ``ToolSpec`` normalization as any imported doc (a tool that does not fit is a load error naming
it, the others still import), and its annotations are read as booleans only. Each tool's category is
the server's reported name; ``source`` is ``mcp:<name>``.

This is the import step of MCP support (issue 13): tools are listed and documented. Executing them in
stage 2 (``tools/call``) is not built yet, so a sample calling them cannot be verified.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from dataclasses import dataclass, field

from api_registry.importers import ImportResult
from api_registry.registry import RegistryLoadError
from api_registry.spec import SpecError, ToolSpec

LIST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class McpSpec:
    """Where a server is: a command line to start (stdio) or a URL (streamable HTTP)."""

    text: str
    command: tuple[str, ...] = ()
    url: str | None = None

    @classmethod
    def parse(cls, text: str) -> "McpSpec":
        text = text.strip()
        if re.match(r"https?://", text):
            return cls(text=text, url=text)
        try:
            command = tuple(shlex.split(text))
        except ValueError as exc:
            raise ValueError(f"--mcp {text!r}: not a command line ({exc})") from None
        if not command:
            raise ValueError("--mcp needs a command line or an http(s) URL")
        return cls(text=text, command=command)


@dataclass(frozen=True)
class McpTool:
    spec: ToolSpec
    read_only: bool = False
    destructive: bool = False  # MCP's default for a tool that says nothing is "may be destructive"


@dataclass
class McpListing:
    server: str
    version: str
    tools: list[McpTool] = field(default_factory=list)
    errors: list[RegistryLoadError] = field(default_factory=list)


def list_tools(spec: McpSpec, timeout_s: float = LIST_TIMEOUT_S) -> McpListing:
    """Start (or reach) the server, initialize, list its tools; ``TimeoutError``/``OSError``/``RuntimeError``
    when it cannot be reached or does not answer as an MCP server within ``timeout_s``."""
    try:
        return asyncio.run(asyncio.wait_for(_list(spec), timeout_s))
    except asyncio.TimeoutError:
        raise TimeoutError(f"MCP server {spec.text!r} did not list its tools within {timeout_s:.0f} s") from None
    except BaseExceptionGroup as group:  # the SDK's task groups wrap the cause, sometimes twice
        cause = _leaf(group)
        raise RuntimeError(f"MCP server {spec.text!r} failed: {type(cause).__name__}: {cause}") from None


def _leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


async def _list(spec: McpSpec) -> McpListing:
    from mcp import ClientSession

    async with _transport(spec) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            info = init.server_info
            listing = McpListing(server=_label(getattr(info, "name", "") or "mcp"), version=str(getattr(info, "version", "")))
            cursor = None
            while True:
                page = await session.list_tools(cursor) if cursor else await session.list_tools()
                for tool in page.tools:
                    _add(listing, spec, tool)
                cursor = getattr(page, "next_cursor", None)
                if not cursor:
                    return listing


def _transport(spec: McpSpec):
    if spec.url:
        from mcp.client.streamable_http import streamable_http_client

        return streamable_http_client(spec.url)
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    return stdio_client(StdioServerParameters(command=spec.command[0], args=list(spec.command[1:])))


def _label(name: str) -> str:
    """The server's name as a category: its own words, lower case, safe characters only."""
    return re.sub(r"[^a-z0-9_.-]+", "-", name.strip().lower())[:64].strip("-") or "mcp"


def _add(listing: McpListing, spec: McpSpec, tool) -> None:
    schema = tool.input_schema if isinstance(getattr(tool, "input_schema", None), dict) else {}
    try:
        doc = ToolSpec(name=tool.name, description=tool.description or "", parameters=schema,
                       category=listing.server, source=f"mcp:{listing.server}")
    except (SpecError, ValueError, TypeError) as exc:
        listing.errors.append(RegistryLoadError(spec.text, str(getattr(tool, "name", "?"))[:80], str(exc)[:300]))
        return
    hints = getattr(tool, "annotations", None)
    read_only = getattr(hints, "read_only_hint", None) is True
    destructive = getattr(hints, "destructive_hint", None)
    listing.tools.append(McpTool(spec=doc, read_only=read_only,
                                 destructive=not read_only and destructive is not False))


def import_mcp(text: str, timeout_s: float = LIST_TIMEOUT_S) -> ImportResult:
    """The server's tools as documented specs for the registry; a server that cannot be listed is one error."""
    try:
        spec = McpSpec.parse(text)
        listing = list_tools(spec, timeout_s)
    except (ValueError, TimeoutError, OSError, RuntimeError) as exc:
        return ImportResult(errors=[RegistryLoadError(text, None, str(exc)[:500])])
    return ImportResult(specs=[t.spec for t in listing.tools], errors=listing.errors)
