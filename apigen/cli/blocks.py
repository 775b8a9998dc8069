"""``apigen blocks register``: register apigen's Prefect block types (LLMEndpoint, ApiCredentials, DatasetStore,
McpServer)."""

from __future__ import annotations

import argparse

from apigen.cli import prefect_api

NAME = "blocks"
REAPS_ORPHANS = True


def register(sub: argparse._SubParsersAction) -> None:
    blk = sub.add_parser(NAME, help="Prefect blocks: LLMEndpoint, ApiCredentials, DatasetStore, McpServer")
    blk_sub = blk.add_subparsers(dest="blocks_command", required=True, metavar="{register}")
    blk_sub.add_parser("register", help="register apigen's block types with the Prefect server")


def run(args: argparse.Namespace) -> int:
    prefect_api.start()
    from blocks.credentials import ApiCredentials
    from blocks.llm import LLMEndpoint, register_saved_endpoint_limits
    from blocks.mcp import McpServer
    from blocks.store import DatasetStore

    prefect_api.ready()
    for block in (LLMEndpoint, ApiCredentials, DatasetStore, McpServer):
        block.register_type_and_schema()
        print(f"registered block type {block.get_block_type_slug()}")
    for name in register_saved_endpoint_limits():  # cluster-wide limits of each saved LLMEndpoint
        print(f"global concurrency limit {name}")
    return 0
