"""Blocks: registered with the server, secrets stored as secrets, loaded by name inside tasks."""

import asyncio

import pytest

from apigen.cli import main
from apigen.config import LLMConfig

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_blocks_register_creates_the_four_block_types(capsys):
    from prefect.client.orchestration import get_client

    assert main(["blocks", "register"]) == 0
    assert capsys.readouterr().out.count("registered block type") == 4

    async def slugs():
        async with get_client() as client:
            return {b.slug for b in await client.read_block_types()}
    assert {"apigen-llm-endpoint", "apigen-api-credentials", "apigen-dataset-store",
            "apigen-mcp-server"} <= asyncio.run(slugs())


def test_llm_config_names_a_block_and_the_key_is_loaded_only_at_call_time():
    from blocks.llm import LLMEndpoint

    LLMEndpoint(model="openai/some-model", api_base="http://127.0.0.1:9/v1", api_key="sk-block-test-123",
                rpm=30, concurrency=3).save("blocks-test-llm", overwrite=True)
    config = LLMConfig(block="blocks-test-llm")
    assert "sk-block-test-123" not in config.model_dump_json() and config.label == "block:blocks-test-llm"
    endpoint = config.endpoint()
    assert endpoint.api_key.get_secret_value() == "sk-block-test-123"
    assert (endpoint.model, endpoint.rpm, endpoint.concurrency) == ("openai/some-model", 30, 3)
    assert "sk-block-test-123" not in repr(endpoint)


def test_llm_config_needs_a_model_or_a_block():
    with pytest.raises(ValueError, match="model or the name of an LLMEndpoint block"):
        LLMConfig()
