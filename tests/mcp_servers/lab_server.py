"""A small MCP server for the tests, written with the official SDK's server API (``MCPServer``).

Its tools leave server-side evidence so tests can tell what really ran: every call is appended to the
file named by ``LAB_LOG`` (one JSON line: tool, arguments, pid and the pid of the process that started
it). ``whoami`` tells, by hash prefix only, whether ``LAB_TOKEN`` (stdio) or an ``Authorization`` header
(HTTP) reached it; ``env_names`` shows which environment variables reached it (names, never values).
``add_note`` is marked destructive, ``crash`` ends the process mid-call, ``sleep`` outlasts a timeout,
``fail`` raises (``isError``; the SDK's server hides the reason and says only "Error executing tool fail").
Run: ``python lab_server.py`` (stdio), ``python lab_server.py --http PORT`` (streamable HTTP at ``/mcp``)
or ``--sse PORT`` (HTTP+SSE at ``/sse``).
"""

from __future__ import annotations

import json
import os
import sys
import time

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("apigen-lab", version="1.0.0")
READ_ONLY = ToolAnnotations(read_only_hint=True)


def _log(tool: str, **arguments) -> None:
    path = os.environ.get("LAB_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"tool": tool, "arguments": arguments, "pid": os.getpid(),
                                     "ppid": os.getppid()}) + "\n")


def _sha_prefix(text: str | None) -> str | None:
    return __import__("hashlib").sha256(text.encode()).hexdigest()[:8] if text else None


@server.tool(annotations=READ_ONLY)
def multiply(a: int, b: int) -> int:
    """Multiply two integers, e.g. 6 and 7."""
    _log("multiply", a=a, b=b)
    return a * b


@server.tool(annotations=READ_ONLY)
def whoami(ctx: Context) -> dict:
    """The server's process id and whether the LAB_TOKEN variable or an Authorization header reached it
    (never their values)."""
    _log("whoami")
    return {"pid": os.getpid(), "token_sha_prefix": _sha_prefix(os.environ.get("LAB_TOKEN")),
            "authorization_sha_prefix": _sha_prefix((ctx.headers or {}).get("authorization"))}


@server.tool(annotations=READ_ONLY)
def fail(reason: str) -> str:
    """Always fails with the reason given."""
    _log("fail", reason=reason)
    raise ValueError(f"refused: {reason}")


@server.tool(annotations=READ_ONLY)
def crash(code: int = 3) -> str:
    """Ends the server process in the middle of the call."""
    _log("crash", code=code)
    sys.stdout.flush()
    os._exit(code)


@server.tool(annotations=READ_ONLY)
def sleep(seconds: float) -> str:
    """Sleeps, then answers."""
    _log("sleep", seconds=seconds)
    time.sleep(seconds)
    return "awake"


@server.tool(annotations=READ_ONLY)
def env_names() -> list[str]:
    """The names of the server's environment variables, sorted (never their values)."""
    _log("env_names")
    return sorted(os.environ)


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def add_note(text: str) -> str:
    """Appends a note to the notebook file (destructive: it changes state)."""
    _log("add_note", text=text)
    with open(os.environ.get("LAB_NOTES", os.devnull), "a", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return "noted"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    elif len(sys.argv) > 2 and sys.argv[1] == "--sse":
        server.run("sse", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
