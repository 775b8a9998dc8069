"""Sandboxed functions see an allow-listed environment, and cannot read the parent's through /proc."""

import os

import pytest

from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool

SECRETS = {"DATABASE_URL": "postgresql://apigen:SECRET-db-9f1@db/prefect",
           "PREFECT_API_AUTH_STRING": "admin:SECRET-auth-77c",
           "GITHUB_PAT": "github_pat_SECRET-5e2", "AWS_SESSION_TOKEN": "SECRET-aws-31d"}
ALLOWED = {"PATH", "LANG", "LANGUAGE", "TZ", "HOME", "TMPDIR", "PYTHONPATH", "PYTHONNOUSERSITE"}

FUNCTIONS = '''
import os


def environment() -> dict:
    """The environment the function runs with."""
    return dict(os.environ)


def where() -> dict:
    return {"cwd": os.getcwd(), "home": os.path.expanduser("~"), "ppid": os.getppid()}


def read_text(path: str) -> str:
    """Read a file (the model picks the path)."""
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")
'''


@pytest.fixture()
def pool(tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APIGEN_ADV_NAMED", "the user asked for this one")
    (tmp_path / "adv_env.py").write_text(FUNCTIONS)
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=5), env_names=("APIGEN_ADV_NAMED",)) as pool:
        pool.functions = str(tmp_path / "adv_env.py")
        yield pool


def _call(pool, name, **arguments):
    return pool.call(CallTarget("adv_env", name, file=pool.functions), arguments)


def test_workers_start_from_an_allow_list_environment(pool):
    env = _call(pool, "environment").result
    assert not any(secret in value for value in env.values() for secret in SECRETS.values())
    assert set(env) - {"APIGEN_ADV_NAMED"} <= ALLOWED | {n for n in env if n.startswith("LC_")}, sorted(env)
    assert env.get("APIGEN_ADV_NAMED") == "the user asked for this one"
    place = _call(pool, "where").result
    assert place["cwd"] == place["home"] == env["HOME"] == env["TMPDIR"] and place["ppid"] == os.getpid()
    assert os.stat(place["cwd"]).st_mode & 0o777 == 0o700


def test_the_parents_proc_entries_are_closed(pool):
    for entry in ("environ", f"task/{os.getpid()}/environ"):
        outcome = _call(pool, "read_text", path=f"/proc/{os.getpid()}/{entry}")
        text = f"{outcome.result} {outcome.message}"
        assert not any(secret in text for secret in SECRETS.values()), entry
        assert not outcome.ok and "Permission denied" in outcome.message, outcome
