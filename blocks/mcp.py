"""``McpServer``: an MCP server whose tools a deployment imports and executes, with its secrets.

The server is either a command (stdio; ``command`` + ``args``, its ``env`` values secret) or a URL
(streamable HTTP; its ``headers`` values secret). A run names the block (``--mcp-block NAME``, or
``RegistrySources.mcp_blocks`` in a deployment's parameters): flow parameters, cache keys and the
server's identity then hold the block's name and command or URL, never a secret value.
"""

from __future__ import annotations

import shlex

from prefect.blocks.core import Block
from prefect.types import SecretDict
from pydantic import Field, model_validator

from apigen import redaction


class McpServer(Block):
    """An MCP server for apigen: its tools are sampled like any API and run for real in stage 2."""

    _block_type_name = "APIGen MCP Server"
    _block_type_slug = "apigen-mcp-server"
    _description = "An MCP server (stdio command or streamable-HTTP URL) whose tools apigen imports and executes."

    command: str | None = Field(None, description="program to start (stdio), e.g. uvx or python")
    args: list[str] = Field(default_factory=list, description="its arguments, e.g. [\"-m\", \"mcp_server_time\"]")
    env: SecretDict = Field(default_factory=lambda: SecretDict({}),
                            description="environment variables for the server (secret values)")
    url: str | None = Field(None, description="streamable-HTTP endpoint instead of a command, e.g. https://host/mcp")
    headers: SecretDict = Field(default_factory=lambda: SecretDict({}),
                                description="HTTP headers for the URL, e.g. Authorization (secret values)")
    category: str | None = Field(None, description="category of its tools (default: the server's name)")

    @model_validator(mode="after")
    def _one_way_in(self) -> "McpServer":
        if bool(self.command) == bool(self.url):
            raise ValueError("an McpServer needs either a command or a url, not both")
        from api_registry.importers.mcp_server import spec_secrets

        # masked in every text the process stores or logs; a header's bare token too ("Bearer <token>")
        redaction.register(self.env, self.headers, *spec_secrets(self.spec("-")))
        return self

    def spec(self, block_name: str):
        """The server as an ``McpSpec``: named by block and command or URL, secrets kept apart."""
        from api_registry.importers.mcp_server import McpSpec

        where = self.url or shlex.join([self.command, *self.args])
        text = f"block:{block_name} {where}"
        pairs = lambda secret: tuple((str(k), str(v)) for k, v in secret.get_secret_value().items())  # noqa: E731
        if self.url:
            return McpSpec(text=text, url=self.url, headers=pairs(self.headers), category=self.category)
        return McpSpec(text=text, command=(self.command, *self.args), env=pairs(self.env), category=self.category)
