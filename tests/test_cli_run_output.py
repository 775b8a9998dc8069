"""What a run tells its user, against the real Prefect server: the run's page in the UI, a verify headline
that does not count a skipped stage as passed, progress lines without a TTY, and the README's
block-saving script without the optional variables."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from apigen.cli import main

ROOT = Path(__file__).resolve().parents[1]
XLAM15 = ROOT / "tests" / "data" / "xlam" / "xlam_sample_15.jsonl"
RUN_URL = re.compile(r"^run: (\S+)/runs/flow-run/([0-9a-f-]{36})$", re.M)

pytestmark = pytest.mark.usefixtures("prefect_server")


def _flow_run(run_id: str):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(uuid.UUID(run_id))
        return flow_run, client.read_flow(flow_run.flow_id).name


def test_generate_ends_with_the_runs_page_in_the_ui(prefect_server, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_UI_URL", raising=False)
    assert main(["generate", "--simulate", "--n", "8", "--batch-size", "4", "--out", str(tmp_path / "o")]) == 0
    match = RUN_URL.search(capsys.readouterr().out)
    assert match, "no run URL printed"
    assert match.group(1) == prefect_server[0].removesuffix("/api")
    flow_run, flow = _flow_run(match.group(2))
    assert flow == "generate-dataset" and flow_run.state.is_completed()


def test_prefect_ui_url_wins_for_the_link(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_UI_URL", "https://prefect.example.org/")
    assert main(["verify", str(XLAM15), "--stages", "format", "--out", str(tmp_path / "v.jsonl")]) == 0
    match = RUN_URL.search(capsys.readouterr().out)
    assert match and match.group(1) == "https://prefect.example.org"
    assert _flow_run(match.group(2))[1] == "verify-dataset"


def test_verify_without_implementations_says_execution_was_skipped(capsys, tmp_path):
    out = tmp_path / "v.jsonl"
    assert main(["verify", str(XLAM15), "--judge-model", "none", "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert ("verified 15 rows: 0 passed every stage asked, 15 passed format and semantic with execution skipped "
            "(no implementation: pass --functions), 0 failed") in printed
    assert "execution was skipped for 15 rows" in printed and "--functions FILE.py" in printed
    summary = json.loads((tmp_path / "v.summary.json").read_text())
    assert summary["passed_with_skipped"] == {"execution": 15} and summary["passed"] == 15


def test_verify_counts_rows_that_ran_every_stage_apart(capsys, tmp_path):
    functions = tmp_path / "impl.py"
    functions.write_text('def live_giveaways_by_type(type: str = "game"):\n    return [{"title": f"{type} giveaway"}]\n\n'
                         'def time_zone_api(q: str):\n    return {"location": q, "tz": "UTC"}\n')
    assert main(["verify", str(XLAM15), "--judge-model", "none", "--functions", str(functions),
                 "--out", str(tmp_path / "v.jsonl")]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert ("verified 15 rows: 2 passed every stage asked, 13 passed format and semantic with execution skipped "
            "(no implementation: pass --functions), 0 failed") in printed
    assert "execution was skipped for 13 rows" in printed


def test_without_a_tty_progress_is_logged_as_lines_during_the_run(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sim = subprocess.Popen([sys.executable, "-m", "apigen.cli", "sim-llm", "--port", str(port), "--latency-ms", "400"],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert "serving" in sim.stdout.readline()
        run = subprocess.Popen([sys.executable, "-m", "apigen.cli", "generate", "--model", "openai/apigen-sim",
                                "--api-base", f"http://127.0.0.1:{port}/v1", "--n", "32", "--batch-size", "6",
                                "--concurrency", "2", "--out", str(tmp_path / "o")],
                               env={**os.environ, "APIGEN_LLM_API_KEY": "sim-key", "APIGEN_PROGRESS_INTERVAL_S": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = [(time.monotonic(), line) for line in run.stderr]  # read as the lines come
        run.wait(timeout=600)
        ended = time.monotonic()
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert run.returncode == 0, "".join(line for _, line in seen)[-3000:]
    progress = [(t, line) for t, line in seen if re.match(r"generate: \d+ of 4 batches \(\d+ of 32 pairs\)", line)]
    assert len(progress) >= 3, "".join(line for _, line in seen)
    assert ended - progress[0][0] > 2  # the first line came while the run still had seconds to go
    done = [int(re.match(r"generate: (\d+)", line).group(1)) for _, line in progress]
    assert done == sorted(done) and done[-1] >= 1 and re.search(r", \d+ s$", progress[-1][1])
    # batch size 6 at 4 pairs per request plans 2 requests (8 pairs) per batch: 4 batches, not ceil(32 / 6) = 6
    assert done[-1] == 4


def _readme_block_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Save the blocks the deployments name."):]
    return section.split("python - <<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]


def test_readme_block_script_skips_the_optional_blocks_without_their_variables(prefect_server):
    script = _readme_block_script()
    assert ".save(" in script
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "APIGEN_STORE_URL", "RAPIDAPI_KEY")}
    env.update({"PYTHONPATH": str(ROOT), "PREFECT_API_URL": prefect_server[0], "APIGEN_MODEL": "openai/readme-model",
                "APIGEN_LLM_API_KEY": "readme-key"})
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped apigen-store" in result.stdout and "skipped apigen-credentials" in result.stdout

    from blocks.llm import LLMEndpoint
    from blocks.store import DatasetStore

    assert LLMEndpoint.load("apigen-judge").model == "openai/readme-model"
    with pytest.raises(ValueError):
        DatasetStore.load("apigen-store")

    env.update({"AWS_ACCESS_KEY_ID": "AKIA-readme", "AWS_SECRET_ACCESS_KEY": "s3-secret", "RAPIDAPI_KEY": "rapid"})
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and "saved apigen-store" in result.stdout and "saved apigen-credentials" in result.stdout
    assert DatasetStore.load("apigen-store").url == "s3://my-bucket/apigen"


def test_verify_without_a_tty_logs_rows_checked_per_stage(tmp_path):
    result = subprocess.run([sys.executable, "-m", "apigen.cli", "verify", str(XLAM15), "--judge-model", "none",
                             "--batch-size", "5", "--out", str(tmp_path / "v.jsonl")],
                            env={**os.environ, "APIGEN_PROGRESS_INTERVAL_S": "0.2"}, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("format: ")]
    assert lines and re.match(r"format: 3 batches \(15 rows\); execution: 3 batches \(15 rows\); semantic: 3 batches "
                              r"\(15 rows\), \d+ s$", lines[-1]), result.stderr[-3000:]


def test_on_a_terminal_progress_stays_the_rich_bars(tmp_path):
    """stderr a pseudo-terminal: the bars are drawn and no plain progress lines are written."""
    import pty

    primary, secondary = pty.openpty()
    run = subprocess.Popen([sys.executable, "-m", "apigen.cli", "generate", "--simulate", "--n", "16", "--batch-size", "8",
                            "--out", str(tmp_path / "o")], env={**os.environ, "APIGEN_PROGRESS_INTERVAL_S": "0.2"},
                           stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed: the run ended
            break
        if not chunk:
            break
        drawn += chunk
    os.close(primary)
    assert run.wait(timeout=300) == 0, drawn.decode(errors="replace")[-3000:]
    text = drawn.decode(errors="replace")
    assert "━" in text and re.search(r"semantic\s.*\d+/16", text), text[-3000:]
    assert not re.search(r"generate: \d+ of \d+ batches", text)
