"""An endpoint that echoes the request headers (some proxies do) must not leak the key anywhere.

The key is given ONLY the README's first documented way, the provider's own variable
(``OPENAI_API_KEY``), in the environment of a real ``python -m apigen.cli`` process. A loopback server
echoes every request's headers, and the bare token, into its error bodies (400, 500) and into the
text of 200 replies. Then everything the run wrote is searched for the key: stdout, stderr, the
output directory (Parquet read back as text), persisted task results, the client's PREFECT_HOME, the
Prefect server's SQLite database and log, and ``verdicts.jsonl``.
"""

from __future__ import annotations

import base64
import zlib
import json
import os
import subprocess
import sys
from pathlib import Path

from echo_llm_server import ECHO_MARKER, KEY, MODEL, EchoServer

ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path, api_url: str | None, **extra: str) -> dict[str, str]:
    """The CLI's environment: the key only in OPENAI_API_KEY, no other key variable."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("APIGEN_LLM_API_KEY", "APIGEN_MODEL", "OPENAI_BASE_URL", "OPENAI_API_BASE", "PREFECT_API_URL")}
    env.update({"OPENAI_API_KEY": KEY, "PREFECT_HOME": str(home), "PYTHONPATH": str(ROOT), **extra})
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apigen.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _text_of(root: Path) -> str:
    """Every file under ``root`` as text, decoded where it is encoded: Parquet read back (its pages may be
    compressed), Prefect's persisted results unpacked (a base64 pickle inside JSON)."""
    import pyarrow.parquet as pq

    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
            continue
        data = path.read_bytes()
        parts.append(data.decode("utf-8", "replace"))
        try:
            record = json.loads(data)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("result"), str):
            parts.append(_unpacked(base64.b64decode(record["result"])))
    return "\n".join(parts)


def _unpacked(blob: bytes) -> str:
    """A persisted result's payload as text: a pickle, or (compressed results) zlib over base64 of one."""
    try:
        blob = base64.b64decode(zlib.decompress(blob))
    except zlib.error:
        pass
    return blob.decode("utf-8", "replace")


def _leaks(text: str) -> list[str]:
    """Where ``KEY`` occurs in ``text``, with some context (empty: no leak)."""
    hits, start = [], 0
    while (i := text.find(KEY, start)) >= 0:
        hits.append(text[max(0, i - 120): i + 40])
        start = i + 1
    return hits


def _assert_nowhere(**places: str) -> None:
    leaked = {name: _leaks(text)[:2] for name, text in places.items() if _leaks(text)}
    assert not leaked, f"the key leaked into: {json.dumps(leaked, indent=1)[:3000]}"


def _database_text(server_home: Path) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in server_home.glob("prefect.db*"))


# --- preflight: no Prefect needed, each run costs seconds ---------------------------------------------

def test_preflight_error_line_masks_an_echoed_env_key(tmp_path):
    """``GET /models`` answers with an echoing 400, so the completion probe decides; it gets an echoing
    400 too, and its error text becomes the one-line preflight error."""
    with EchoServer(models=400, chat=400) as server:
        result = _cli(["generate", "--model", f"openai/{MODEL}", "--api-base", server.api_base, "--n", "4",
                       "--out", str(tmp_path / "out")], _env(tmp_path / "home", None))
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"Bearer {KEY}" in server.authorizations, result.stderr[-2000:]  # the key was sent ...
    assert ECHO_MARKER in result.stderr, result.stderr[-2000:]              # ... and echoed
    _assert_nowhere(stdout=result.stdout, stderr=result.stderr, home=_text_of(tmp_path / "home"))


def test_hosted_provider_preflight_masks_an_echoed_env_key(tmp_path):
    """The README's first way: ``--model openai/...`` and OPENAI_API_KEY, no --api-base (litellm's
    own OPENAI_BASE_URL variable points the provider at the echo server)."""
    with EchoServer(chat=400) as server:
        result = _cli(["generate", "--model", f"openai/{MODEL}", "--n", "4", "--out", str(tmp_path / "out")],
                      _env(tmp_path / "home", None, OPENAI_BASE_URL=server.api_base))
    assert result.returncode == 2 and f"Bearer {KEY}" in server.authorizations, result.stderr[-2000:]
    assert ECHO_MARKER in result.stderr, result.stderr[-2000:]
    _assert_nowhere(stdout=result.stdout, stderr=result.stderr)


# --- full runs against a real Prefect server ------------------------------------------------------------

def test_generate_with_a_400_echo_fails_without_leaking_the_key(prefect_server, tmp_path):
    """A 400 is permanent: the run fails fast (exit 1); its error text is everywhere a failure goes."""
    api_url, server_home = prefect_server
    out, results, home = tmp_path / "out", tmp_path / "results", tmp_path / "home"
    with EchoServer(chat=400) as server:
        result = _cli(["generate", "--model", f"openai/{MODEL}", "--api-base", server.api_base, "--n", "4",
                       "--pairs-per-request", "2", "--out", str(out), "--result-storage", str(results), "-v"],
                      _env(home, api_url, PREFECT_LOGGING_LEVEL="DEBUG"))
    assert result.returncode == 1, result.stderr[-3000:]
    database = _database_text(Path(server_home))
    assert f"Bearer {KEY}" in server.authorizations and ECHO_MARKER in result.stderr
    assert ECHO_MARKER in database  # the failure's text reached the database (task state, logs)
    _assert_nowhere(stdout=result.stdout, stderr=result.stderr, home=_text_of(home),
                    out=_text_of(out) if out.exists() else "", results=_text_of(results) if results.exists() else "",
                    database=database, server_log=_text_of(Path(server_home)))


def test_generate_with_500_and_echoing_replies_stores_no_key(prefect_server, tmp_path):
    """One request gets 500s until it is given up (a failed request in summary.json, a warning in the
    logs); the other gets a 200 whose text is the echo (a rejected row keeping the raw reply)."""
    api_url, server_home = prefect_server
    out, results, home = tmp_path / "out", tmp_path / "results", tmp_path / "home"
    with EchoServer(chat="mixed") as server:
        result = _cli(["generate", "--model", f"openai/{MODEL}", "--api-base", server.api_base, "--n", "4",
                       "--pairs-per-request", "2", "--out", str(out), "--result-storage", str(results)],
                      _env(home, api_url))
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failed_requests"] == 1 and ECHO_MARKER in json.dumps(summary["failed_request_errors"])
    assert ECHO_MARKER in _text_of(out / "rejected")  # the echoing reply is kept as the raw text of a row
    assert ECHO_MARKER in _text_of(results)  # ... and in the persisted task results, read back
    assert f"Bearer {KEY}" in server.authorizations
    _assert_nowhere(stdout=result.stdout, stderr=result.stderr, home=_text_of(home), out=_text_of(out),
                    results=_text_of(results), database=_database_text(Path(server_home)))


def test_verify_with_an_echoing_judge_writes_no_key(prefect_server, tmp_path):
    """The judge fails (500, retried, given up) on one row, answers with the echo on another, passes
    the third: the judge's error text and its unusable reply are stored in verdicts.jsonl."""
    api_url, server_home = prefect_server
    tool = {"name": "get_weather", "description": "Weather forecast for a city.",
            "parameters": {"city": {"type": "str", "description": "city name"}}}
    rows = [{"id": i, "query": f"Weather in {city}?", "tools": [tool],
             "answers": [{"name": "get_weather", "arguments": {"city": city}}]}
            for i, city in enumerate(("Paris", "Rome", "Oslo"))]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    verdicts, home = tmp_path / "verdicts.jsonl", tmp_path / "home"
    with EchoServer(chat="judge") as server:
        result = _cli(["verify", str(data), "--stages", "format,semantic", "--judge-model", f"openai/{MODEL}",
                       "--judge-api-base", server.api_base, "--out", str(verdicts)], _env(home, api_url))
    assert result.returncode == 0, result.stderr[-3000:]
    written = verdicts.read_text()
    assert "judge_error" in written and "judge_unparseable" in written and ECHO_MARKER in written
    assert f"Bearer {KEY}" in server.authorizations
    _assert_nowhere(stdout=result.stdout, stderr=result.stderr, verdicts=written, home=_text_of(home),
                    summary=(tmp_path / "verdicts.summary.json").read_text(),
                    database=_database_text(Path(server_home)))
