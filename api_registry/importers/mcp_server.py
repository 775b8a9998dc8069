"""Import the tools of an MCP server (``tools/list``) through the official ``mcp`` SDK client.

A SPEC is a stdio command line (``"python -m mcp_server_time"``, ``"uvx mcp-server-time"``,
``"npx -y @modelcontextprotocol/server-everything"``) or a streamable-HTTP URL (``http(s)://...``; one whose
path ends in ``/sse`` is spoken to with the older HTTP+SSE transport).
The server is untrusted: its reply is bounded in time, each tool's ``inputSchema`` goes through the
same ``ToolSpec`` normalization as any imported doc (a tool that does not fit is a load error naming
it, the others still import), and its annotations are read as booleans only. Each tool's category is
the server's reported name; ``source`` is ``mcp:<name>``.

Listed tools become executable registry entries (``api_registry.registry.McpEntry``); stage 2 calls them
through ``api_registry.mcp_executor``. A server's environment and HTTP headers (from an ``McpServer``
block) are secrets: they reach the server only, never the spec's text, repr or identity.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from api_registry.importers import ImportResult
from api_registry.registry import RegistryLoadError
from api_registry.spec import SpecError, ToolSpec

LIST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class McpSpec:
    """Where a server is: a command line to start (stdio) or a URL (streamable HTTP). ``text`` names it in
    messages and identities; ``env`` and ``headers`` hold secret values and are kept out of both."""

    text: str
    command: tuple[str, ...] = ()
    url: str | None = None
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    category: str | None = None  # the user's category for its tools (default: the server's name)

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
    spec: McpSpec
    server: str
    version: str
    tools: list[McpTool] = field(default_factory=list)
    errors: list[RegistryLoadError] = field(default_factory=list)


def list_tools(spec: McpSpec, timeout_s: float = LIST_TIMEOUT_S) -> McpListing:
    """Start (or reach) the server, initialize, list its tools; ``TimeoutError``/``OSError``/``RuntimeError``
    when it cannot be reached or does not answer as an MCP server within ``timeout_s``. A stdio server's
    stderr goes to a file (never this process's stderr), whose end is quoted when the server fails."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        try:
            return asyncio.run(asyncio.wait_for(_list(spec, errlog), timeout_s))
        except asyncio.TimeoutError:
            raise TimeoutError(f"MCP server {spec.text!r} did not list its tools within {timeout_s:.0f} s"
                               + stderr_tail(errlog)) from None
        except BaseExceptionGroup as group:  # the SDK's task groups wrap the cause, sometimes twice
            cause = leaf_error(group)
            raise RuntimeError(f"MCP server {spec.text!r} failed: {type(cause).__name__}: {cause}"
                               + stderr_tail(errlog)) from None


def stderr_tail(errlog, chars: int = 300) -> str:
    """"; its stderr ends: ..." from the file a stdio server writes its stderr to ("" if it wrote nothing):
    the server's own words on why it failed, whitespace folded, bounded."""
    try:
        errlog.flush()
        errlog.seek(max(0, errlog.seek(0, 2) - chars * 4))
        text = " ".join(errlog.read().split())[-chars:]
    except (OSError, ValueError):
        return ""
    return f"; its stderr ends: {text}" if text else ""


def leaf_error(error: BaseException) -> BaseException:
    """The one real cause inside the SDK's (nested) exception groups."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


async def _list(spec: McpSpec, errlog) -> McpListing:
    from mcp import ClientSession

    async with transport(spec, errlog) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            listing = McpListing(spec, *server_identity(init))
            cursor = None
            while True:
                page = await session.list_tools(cursor) if cursor else await session.list_tools()
                for tool in page.tools:
                    _add(listing, spec, tool)
                cursor = getattr(page, "next_cursor", None)
                if not cursor:
                    return listing


def server_identity(init) -> tuple[str, str]:
    """(name, version) a server reports in its ``initialize`` reply, the name made safe as a category."""
    info = getattr(init, "server_info", None)
    return _label(str(getattr(info, "name", "") or "mcp")), str(getattr(info, "version", "") or "")[:64]


def transport(spec: McpSpec, errlog=None):
    """The SDK's client transport for ``spec``. A stdio server gets the SDK's minimal environment (PATH,
    HOME, ...) plus the spec's own variables: never this process's other variables (provider keys)."""
    if spec.url and urlsplit(spec.url).path.rstrip("/").endswith("/sse"):
        from mcp.client.sse import sse_client

        return sse_client(spec.url, headers=dict(spec.headers) or None)  # the older HTTP+SSE transport
    if spec.url:
        return _http_transport(spec)
    from mcp import StdioServerParameters
    from mcp.client.stdio import get_default_environment, stdio_client

    params = StdioServerParameters(command=spec.command[0], args=list(spec.command[1:]),
                                   env={**get_default_environment(), **dict(spec.env)})
    return stdio_client(params) if errlog is None else stdio_client(params, errlog=errlog)


@asynccontextmanager
async def _http_transport(spec: McpSpec):
    """Streamable HTTP with the spec's headers (secrets) on every request; the client is ours to close."""
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with create_mcp_http_client(headers=dict(spec.headers)) as client:
        async with streamable_http_client(spec.url, http_client=client) as streams:
            yield streams


def _label(name: str) -> str:
    """The server's name as a category: its own words, lower case, safe characters only."""
    return re.sub(r"[^a-z0-9_.-]+", "-", name.strip().lower())[:64].strip("-") or "mcp"


def _add(listing: McpListing, spec: McpSpec, tool) -> None:
    schema = tool.input_schema if isinstance(getattr(tool, "input_schema", None), dict) else {}
    try:
        doc = ToolSpec(name=tool.name, description=tool.description or "", parameters=schema,
                       category=spec.category or listing.server, source=f"mcp:{listing.server}")
    except (SpecError, ValueError, TypeError) as exc:
        listing.errors.append(RegistryLoadError(spec.text, str(getattr(tool, "name", "?"))[:80], str(exc)[:300]))
        return
    hints = getattr(tool, "annotations", None)
    read_only = getattr(hints, "read_only_hint", None) is True
    destructive = getattr(hints, "destructive_hint", None)
    listing.tools.append(McpTool(spec=doc, read_only=read_only,
                                 destructive=not read_only and destructive is not False))


def import_mcp(spec: McpSpec | str, timeout_s: float = LIST_TIMEOUT_S) -> McpListing | ImportResult:
    """The server's listing, or (when it cannot be listed) an ``ImportResult`` holding that one error."""
    try:
        spec = McpSpec.parse(spec) if isinstance(spec, str) else spec
        return list_tools(spec, timeout_s)
    except (ValueError, TimeoutError, OSError, RuntimeError) as exc:
        text, message = (spec, str(exc)) if isinstance(spec, str) else (spec.text, masked(str(exc), spec))
        return ImportResult(errors=[RegistryLoadError(text, None, message[:500])])


_SCHEME_CREDENTIALS = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\s+(\S{4,})")  # "Bearer <token>", "Basic <b64>"


def spec_secrets(spec: McpSpec) -> list[str]:
    """The server's secret values, longest first, with the credential of an ``Authorization: Bearer
    <token>``-style header alone too: a server that quotes the token back rarely quotes the scheme."""
    values = {v for _, v in (*spec.env, *spec.headers)}
    values |= {m[1] for _, v in spec.headers if (m := _SCHEME_CREDENTIALS.fullmatch(v.strip()))}
    return sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)


def masked(text: str, spec: McpSpec, shapes: bool = True) -> str:
    """``text`` with the secret values ``spec`` carries (env, headers) and every known secret masked (a
    server may print or echo its own configuration); ``shapes``: also credential-shaped text, which is
    right for an error message but not for data (a result may hold a legitimate ``token=`` field)."""
    from apigen import redaction

    for secret in spec_secrets(spec):
        text = text.replace(secret, redaction.MASK)
    return redaction.redact(text) if shapes else redaction.mask_known(text)
