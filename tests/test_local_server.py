"""``apigen server start|status|stop``: a background Prefect server that later runs really use, and how a
run chooses its Prefect API (configured URL, apigen's server, or a temporary one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from apigen import local_server

XLAM = Path(__file__).parent / "data" / "xlam" / "xlam_sample_15.jsonl"


def _env(home: Path) -> dict[str, str]:
    """A user's shell: no Prefect API configured, this PREFECT_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING"})
    return env


def _apigen(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apigen.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def _flow_runs(api_url: str) -> list[dict]:
    request = urllib.request.Request(f"{api_url}/flow_runs/filter", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _flow_name(api_url: str, flow_id: str) -> str:
    with urllib.request.urlopen(f"{api_url}/flows/{flow_id}", timeout=10) as response:
        return json.loads(response.read())["name"]


def test_server_start_is_used_by_the_next_verify_and_stop_stops_it(tmp_path):
    env = _env(tmp_path / "home")
    started = _apigen(env, "server", "start", "--no-ui")
    assert started.returncode == 0 and "started" in started.stdout, started.stderr[-2000:]
    info = local_server.recorded(tmp_path / "home")
    assert info is not None and local_server.healthy(info.api_url)
    try:
        status = _apigen(env, "server", "status")
        assert status.returncode == 0 and info.api_url in status.stdout
        again = _apigen(env, "server", "start")
        assert again.returncode == 0 and "already running" in again.stdout and f"pid {info.pid}" in again.stdout

        result = _apigen(env, "verify", str(XLAM), "--judge-model", "none", "--out", str(tmp_path / "v.jsonl"))
        assert result.returncode == 0, result.stderr[-3000:]
        assert "apigen's server" in result.stderr
        runs = _flow_runs(info.api_url)  # the run was recorded by the background server, not a temporary one
        assert [(_flow_name(info.api_url, r["flow_id"]), r["state_type"]) for r in runs] == [
            ("verify-dataset", "COMPLETED")]
        assert len((tmp_path / "v.jsonl").read_text().splitlines()) == 15
        assert f"run: {info.ui_url}/runs/flow-run/{runs[0]['id']}" in result.stdout  # the server outlives the run
    finally:
        stopped = _apigen(env, "server", "stop")
    assert stopped.returncode == 0 and f"pid {info.pid}" in stopped.stdout
    assert local_server._start_time(info.pid) != info.started, "the server process is still running"
    assert not local_server.healthy(info.api_url, timeout_s=1)
    assert not (tmp_path / "home" / local_server.STATE_FILE).exists()
    status = _apigen(env, "server", "status")
    assert status.returncode == 1 and "no apigen Prefect server is running" in status.stdout
    assert _apigen(env, "server", "stop").stdout.startswith("no apigen Prefect server was running")


@pytest.fixture()
def no_prefect_config(tmp_path, monkeypatch):
    """An empty PREFECT_HOME, no PREFECT_API_URL, and a working directory without prefect.toml."""
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def test_a_url_in_the_environment_or_the_active_profile_is_the_one_used(no_prefect_config, monkeypatch):
    assert local_server.configured_api_url() is None
    (no_prefect_config / "profiles.toml").write_text(
        'active = "team"\n[profiles.team]\nPREFECT_API_URL = "http://prefect.team:4200/api"\n'
        '[profiles.other]\nPREFECT_API_URL = "http://other:4200/api"\n')
    assert local_server.configured_api_url() == "http://prefect.team:4200/api"
    monkeypatch.setenv("PREFECT_PROFILE", "other")
    assert local_server.configured_api_url() == "http://other:4200/api"
    monkeypatch.setenv("PREFECT_API_URL", "http://env:4200/api")
    api = local_server.RunApi()
    assert (api.source, api.url, api.temporary) == ("configured", "http://env:4200/api", None)
    api.close()
    assert os.environ["PREFECT_API_URL"] == "http://env:4200/api"


def test_prefect_toml_in_the_working_directory_counts_as_configured(no_prefect_config):
    Path("prefect.toml").write_text('[api]\nurl = "http://toml:4200/api"\n')
    assert local_server.configured_api_url() == "http://toml:4200/api"


def test_without_a_server_a_run_gets_a_temporary_one_and_a_stale_record_is_ignored(no_prefect_config):
    (no_prefect_config / local_server.STATE_FILE).write_text(json.dumps(
        {"pid": 999999999, "started": 1, "host": "127.0.0.1", "port": 9, "home": str(no_prefect_config)}))
    assert local_server.running(no_prefect_config) is None
    api = local_server.RunApi()
    try:
        assert api.source == "temporary" and os.environ["PREFECT_API_URL"] == api.url
        assert api.temporary.process.poll() is None
    finally:
        api.close()
    assert api.temporary.process.poll() is not None, "the temporary server outlived the run"
    assert "PREFECT_API_URL" not in os.environ
