"""Running on a Prefect server: ``prefect deploy`` from deployments/prefect.yaml, a process worker that
runs a deployment's flow run, and static checks of the worker image (docker/Dockerfile; no engine here).

The tests marked ``prefect`` use the session's real ``prefect server start`` (tests/conftest.py); every CLI
call is a subprocess that inherits PREFECT_API_URL from this process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PREFECT_FILE = "deployments/prefect.yaml"
DOCKERFILE = REPO / "docker" / "Dockerfile"
POOL = "apigen-process"
NIGHTLY = "generate-dataset/generate-nightly"
VERIFY = "verify-dataset/verify-adhoc"
XLAM_SAMPLE = REPO / "tests" / "data" / "xlam" / "xlam_sample_15.jsonl"
PROJECT_DIR_PLACEHOLDER = "{{ $APIGEN_PROJECT_DIR }}"


def _env(project_dir: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "APIGEN_PROJECT_DIR"}
    if project_dir is not None:
        env["APIGEN_PROJECT_DIR"] = project_dir
    return env


def _prefect(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """The ``prefect`` CLI of this interpreter, without prompts."""
    return subprocess.run([sys.executable, "-m", "prefect", "--no-prompt", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _create_pool() -> None:
    done = _prefect("work-pool", "create", POOL, "--type", "process", cwd=REPO, env=_env(None))
    assert done.returncode == 0 or "already exists" in done.stdout + done.stderr, done.stdout + done.stderr


def _deploy(project_dir: str | None) -> subprocess.CompletedProcess:
    """``prefect deploy --all --prefect-file deployments/prefect.yaml`` from the repository root."""
    done = _prefect("deploy", "--all", "--prefect-file", PREFECT_FILE, cwd=REPO, env=_env(project_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _read_deployment(name: str):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(name)


@pytest.fixture(scope="module")
def deployed(prefect_server):
    """The pool and both deployments, deployed the way the README says: APIGEN_PROJECT_DIR unset, so the
    pull step keeps the placeholder and each worker supplies its own project directory."""
    _create_pool()
    return _deploy(None)


@pytest.mark.prefect
def test_deploy_creates_both_deployments(deployed):
    from apigen.config import RunConfig

    nightly, verify = _read_deployment(NIGHTLY), _read_deployment(VERIFY)

    assert nightly.work_pool_name == POOL and verify.work_pool_name == POOL
    assert nightly.entrypoint == "flows/generate_dataset.py:generate_dataset"
    assert verify.entrypoint == "flows/verify_dataset.py:verify_dataset"

    assert len(nightly.schedules) == 1
    schedule = nightly.schedules[0]
    assert schedule.active and schedule.schedule.cron == "0 2 * * *" and schedule.schedule.timezone == "UTC"
    assert verify.schedules == []

    # the nightly parameters are a valid RunConfig that names blocks, never secrets
    config = RunConfig.model_validate(nightly.parameters["config"])
    assert config.generator.block == "apigen-generator" and config.judge.block == "apigen-judge"
    assert not re.search(r"api_key|secret|password|token", json.dumps(nightly.parameters), re.I)
    assert verify.parameters["judge"] is None and verify.parameters["stages"] == ["format", "execution", "semantic"]

    # no build/push; the pull step changes into the project directory the worker names at run time
    for deployment in (nightly, verify):
        assert deployment.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": PROJECT_DIR_PLACEHOLDER}}]


@pytest.mark.prefect
def test_project_dir_set_at_deploy_time_is_baked_in(deployed):
    """Prefect substitutes ``{{ $VAR }}`` at deploy time when VAR is set there: documented in prefect.yaml."""
    try:
        _deploy(str(REPO))
        step = _read_deployment(VERIFY).pull_steps[0]["prefect.deployments.steps.set_working_directory"]
        assert step["directory"] == str(REPO)
    finally:
        _deploy(None)
    assert _read_deployment(VERIFY).pull_steps[0]["prefect.deployments.steps.set_working_directory"] == {
        "directory": PROJECT_DIR_PLACEHOLDER}


@pytest.mark.prefect
def test_nightly_schedule_creates_scheduled_runs(deployed, prefect_server):
    """The server turns the cron into scheduled runs at 02:00 UTC (what the UI lists as upcoming)."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    api_url, _ = prefect_server
    nightly = _read_deployment(NIGHTLY)
    # the scheduler service's own code path, run now instead of on its loop; one plain request, no retries
    response = httpx.post(f"{api_url}/deployments/{nightly.id}/schedule", json={}, timeout=60)
    assert response.status_code < 300, response.text
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[nightly.id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))))
    assert runs
    for run in runs:
        start = run.expected_start_time.astimezone(dt.timezone.utc)
        assert (start.hour, start.minute) == (2, 0)


@pytest.mark.prefect
@pytest.mark.timeout(400)
def test_process_worker_runs_verify_deployment(deployed, tmp_path):
    """A worker started outside the repository runs a verify-adhoc flow run to Completed."""
    from prefect.client.orchestration import get_client

    _create_pool()  # idempotent
    verdicts = tmp_path / "verdicts.jsonl"
    verify = _read_deployment(VERIFY)
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(
            verify.id, parameters={"input": str(XLAM_SAMPLE), "stages": ["format"], "out": str(verdicts)})

    worker_dir = tmp_path / "worker"  # not the repository: the pull step must find the code
    worker_dir.mkdir()
    log = tmp_path / "worker.log"
    with open(log, "w") as handle:
        worker = subprocess.run([sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--run-once"],
                                cwd=worker_dir, env=_env(str(REPO)), stdout=handle, stderr=subprocess.STDOUT,
                                timeout=300)
    output = log.read_text()
    assert worker.returncode == 0, output[-4000:]

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run.id).state
    assert state is not None and state.is_completed(), f"{state}\n{output[-4000:]}"
    lines = verdicts.read_text().splitlines()
    assert len(lines) == 15
    assert all(json.loads(line) for line in lines)


# --- the worker image, checked statically ------------------------------------------------------------

def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of docker/Dockerfile, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    assert not pending, "Dockerfile ends inside a continued line"
    return out


def _declared_names(keyword: str, args: str) -> list[str]:
    if keyword == "ARG":
        return [args.split("=", 1)[0].strip()]
    tokens = shlex.split(args)
    if tokens and "=" not in tokens[0]:  # legacy form: ENV NAME value
        return [tokens[0]]
    return [token.split("=", 1)[0] for token in tokens]


def test_dockerfile_pins_prefect_3_8_8():
    froms = [args for keyword, args in _instructions() if keyword == "FROM"]
    assert froms and all(re.fullmatch(r"prefecthq/prefect:3\.8\.8-python3\.\d+( AS \w+)?", f, re.I) for f in froms)


def test_dockerfile_installs_the_project_and_starts_a_worker():
    instructions = _instructions()
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    assert any(re.search(r"\bpip install\b[^&;]*\s\.(\s|$)", run) for run in runs)
    envs = {name: args for keyword, args in instructions if keyword == "ENV"
            for name in _declared_names(keyword, args)}
    assert "APIGEN_PROJECT_DIR" in envs
    cmd = [json.loads(args) for keyword, args in instructions if keyword == "CMD"][-1]
    assert cmd[:3] == ["prefect", "worker", "start"] and cmd[cmd.index("--pool") + 1] == POOL
    for keyword, args in instructions:  # every COPY source exists in the build context (the repo root)
        if keyword == "COPY" and not args.startswith("--from"):
            for source in shlex.split(args)[:-1]:
                assert (REPO / source).exists(), source


def test_dockerfile_bakes_in_no_secret():
    for keyword, args in _instructions():
        if keyword in ("ENV", "ARG"):
            for name in _declared_names(keyword, args):
                assert not re.search(r"KEY|SECRET|TOKEN|PASSWORD", name, re.I), f"{keyword} {name}"


def test_dockerfile_does_not_run_as_root():
    instructions = _instructions()
    users = [index for index, (keyword, _) in enumerate(instructions) if keyword == "USER"]
    assert users, "no USER line"
    assert instructions[users[-1]][1].split(":")[0] not in ("root", "0")
    # nothing after the last USER switches back or installs as that user
    assert all(keyword in ("CMD", "ENTRYPOINT", "WORKDIR", "ENV", "LABEL", "EXPOSE", "HEALTHCHECK")
               for keyword, _ in instructions[users[-1] + 1:])


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "out", ".env"} <= ignored
    for keyword, args in _instructions():  # nothing the Dockerfile copies is ignored
        if keyword == "COPY":
            for source in shlex.split(args)[:-1]:
                assert source.rstrip("/").split("/")[0] not in ignored, source
