"""Bad input to ``apigen generate``: a clear message, exit code 2, and no output that looks complete."""

import subprocess
import sys

import pytest

from apigen.cli import main


def run(capsys, *args):
    code = main(["generate", *args])
    return code, capsys.readouterr().err


def test_unknown_style(capsys, tmp_path):
    code, err = run(capsys, "--simulate", "--styles", "simple", "chatty", "--out", str(tmp_path / "o"))
    assert code == 2 and "unknown style 'chatty'" in err and "parallel_multiple" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("n", ["-5", "0"])
def test_non_positive_n(capsys, tmp_path, n):
    code, err = run(capsys, "--simulate", "--n", n, "--out", str(tmp_path / "o"))
    assert code == 2 and "--n must be a positive number" in err
    assert not (tmp_path / "o").exists()


def test_unreachable_api_base(capsys, tmp_path, free_port):
    url = f"http://127.0.0.1:{free_port}/v1"
    code, err = run(capsys, "--model", "openai/some-model", "--api-base", url, "--out", str(tmp_path / "o"))
    assert code == 2 and f"generator endpoint {url}" in err and "unreachable" in err and "Fix:" in err
    assert not (tmp_path / "o").exists()


def test_no_model_configured_explains_how(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("APIGEN_MODEL", raising=False)
    code, err = run(capsys, "--out", str(tmp_path / "o"))
    assert code == 2 and "--model" in err and "APIGEN_MODEL" in err and "--simulate" in err


def test_out_is_a_file(capsys, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    code, err = run(capsys, "--simulate", "--out", str(target))
    assert code == 2 and "is not a directory" in err and target.read_text() == "keep me"


def test_bad_batch_size_names_the_field(capsys, tmp_path):
    code, err = run(capsys, "--simulate", "--batch-size", "0", "--out", str(tmp_path / "o"))
    assert code == 2 and "batch_size" in err


def test_console_script_reports_usage_errors():
    result = subprocess.run([sys.executable, "-m", "apigen.cli", "generate", "--n", "-1", "--simulate"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--n must be a positive number" in result.stderr


def test_main_job_runs_on_a_fresh_machine_without_a_prefect_server(tmp_path):
    """The README's main command, as a user runs it: no PREFECT_API_URL, so Prefect starts its own server."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    result = subprocess.run([sys.executable, "-m", "apigen.cli", "generate", "--simulate", "--n", "40",
                             "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "generated 40 pairs" in result.stdout and (tmp_path / "out" / "summary.json").exists()
    assert "runs/flow-run" not in result.stdout  # the temporary server is gone when the run ends: no link to it
