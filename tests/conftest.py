"""Shared fixtures: environment set before Prefect or litellm is imported, one Prefect server per session."""

from __future__ import annotations

import os
import socket
import tempfile

_PREFECT_HOME = tempfile.mkdtemp(prefix="apigen-test-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.update({
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOG": "ERROR",
})

import pytest  # noqa: E402

from llama_server import llama_server  # noqa: E402,F401  (a real llama-server, one per session)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A real ``prefect server start`` on loopback for the whole session (starting one costs ~20 s).

    This process and every child (CLI runs, workers, Dask workers) talk to it. Yields
    ``(api_url, home)``; the server's SQLite database is ``home/prefect.db``.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from prefect_server import prefect_server as start

    home = tmp_path_factory.mktemp("prefect-server")
    with start(home) as url:
        os.environ["PREFECT_API_URL"] = url
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url, home
        os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture()
def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
