"""Stage 2 against the reference MCP server from npm, ``@modelcontextprotocol/server-everything`` (a
TypeScript SDK server, started with ``npx``): text, structured and image results, its own argument
validation, a timeout, and what of this process's environment reaches it (only what it was given)."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from mcp.client.stdio import get_default_environment

from api_registry.importers.mcp_server import McpListing, McpSpec, import_mcp
from api_registry.mcp_executor import McpExecutor
from api_registry.registry import Registry
from apigen.models import FunctionCall
from apigen.verify.execution import CallExecutor, check_execution

EVERYTHING = ("npx", "-y", "@modelcontextprotocol/server-everything")
PROVIDER_KEY = "sk-test-" + "e" * 40  # in this process's environment, as a user's provider key would be
SERVER_SECRET = "everything-token-4f2a61"  # given to the server, as an McpServer block's env would be
TIMEOUT_S = 3


@pytest.fixture(scope="module")
def stage():
    if shutil.which("npx") is None:
        pytest.skip("npx is not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", PROVIDER_KEY)
        patch.setenv("APIGEN_TEST_CANARY", "this process only")
        spec = McpSpec(text="block:everything " + " ".join(EVERYTHING), command=EVERYTHING,
                       env=(("EVERYTHING_TOKEN", SERVER_SECRET),))
        listing = import_mcp(spec, timeout_s=180)  # the first run downloads the package
        assert isinstance(listing, McpListing), listing.errors
        assert listing.server == "mcp-servers-everything" and not listing.errors
        registry = Registry()
        registry.add_mcp(listing)
        executor = CallExecutor(None, registry.target, registry.get, None,
                                mcp=McpExecutor(size=1, timeout_s=TIMEOUT_S, start_timeout_s=60),
                                refuse=registry.refusal)
        yield executor
        executor.mcp.close()


def run(stage: CallExecutor, name: str, **arguments):
    """The single call's result (the verdict must pass)."""
    verdict = check_execution([FunctionCall(name=name, arguments=arguments)], stage)
    assert verdict.status == "passed", verdict
    return verdict.results[0]


def test_echo_returns_the_message(stage):
    assert run(stage, "echo", message="hello from apigen") == "Echo: hello from apigen"


def test_get_sum_answers_in_a_sentence(stage):
    assert run(stage, "get-sum", a=1, b=2) == "The sum of 1 and 2 is 3."  # text content, not a number


def test_structured_content_is_the_result_as_given(stage):
    result = run(stage, "get-structured-content", location="Chicago")
    assert isinstance(result, dict) and set(result) == {"temperature", "conditions", "humidity"}
    assert isinstance(result["temperature"], (int, float)) and isinstance(result["conditions"], str)


def test_an_image_is_described_not_copied(stage):
    result = run(stage, "get-tiny-image")
    images = [part for part in result if isinstance(part, dict)]
    assert images == [{"type": "image", "mime_type": "image/png", "base64_chars": images[0]["base64_chars"]}]
    assert images[0]["base64_chars"] > 1000
    assert "iVBORw0KGgo" not in json.dumps(result) and len(json.dumps(result)) < 500  # no PNG in base64


def test_arguments_the_server_rejects_are_an_execution_error_in_its_words(stage):
    verdict = check_execution([FunctionCall(name="get-sum", arguments={"a": "one", "b": 2})], stage)
    assert verdict.status == "failed" and [f.code for f in verdict.errors] == ["execution_error"]
    assert "Input validation error" in verdict.errors[0].message and "expected number" in verdict.errors[0].message


def test_an_operation_longer_than_the_timeout_is_a_timeout_and_the_next_call_works(stage):
    start = time.monotonic()
    verdict = check_execution([FunctionCall(name="trigger-long-running-operation",
                                            arguments={"duration": 30, "steps": 3})], stage)
    assert [f.code for f in verdict.errors] == ["timeout"] and time.monotonic() - start < 15
    assert run(stage, "echo", message="still here") == "Echo: still here"


def test_only_the_servers_own_variables_reach_it(stage):
    env = run(stage, "get-env")
    assert "OPENAI_API_KEY" not in env and "APIGEN_TEST_CANARY" not in env
    assert PROVIDER_KEY not in json.dumps(env)
    # Of this process's variables only the SDK's minimal set arrives (npm sets PWD itself, to its directory).
    assert set(os.environ) & set(env) <= {*get_default_environment(), "PWD"}
    assert env["EVERYTHING_TOKEN"] == "***"  # it reached the server; its value never comes back


def test_a_result_that_echoes_a_secret_is_masked(stage):
    assert run(stage, "echo", message=f"the token is {SERVER_SECRET}") == "Echo: the token is ***"
