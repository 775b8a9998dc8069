"""The real pipeline against a real model: llama.cpp's llama-server with SmolLM2-135M-Instruct, no key.

Generation, the three stages and the Parquet export run exactly as for a user's self-hosted
endpoint. The model is tiny and weak; these tests assert what must hold for any model: every
requested pair is accounted for, constrained JSON keeps the format stage's pass rate high, and
misconfigurations stop the run in seconds with one line naming the endpoint, the cause and the fix.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from apigen.cli import main
from llama_server import needs_llama_server

pytestmark = [needs_llama_server, pytest.mark.prefect]


@pytest.fixture()
def no_keys(monkeypatch):
    for name in ("OPENAI_API_KEY", "APIGEN_LLM_API_KEY", "APIGEN_MODEL"):
        monkeypatch.delenv(name, raising=False)


def generate(capsys, *args):
    code = main(["generate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_self_hosted_endpoint_end_to_end_with_no_key(llama_server, prefect_server, no_keys, capsys, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = generate(capsys, "--model", llama_server.model, "--api-base", llama_server.api_base,
                                 "--n", "8", "--seed", "0", "--out", str(out))
    assert code == 0, err[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    # every pair asked for is a row, counted as not returned (with its reason), or lost with a failed request
    assert summary["requested_pairs"] == 8
    assert summary["requested_pairs"] == (summary["generated"] + summary["pairs_not_returned"]
                                          + summary["pairs_lost_to_failed_requests"])
    assert sum(summary["pairs_not_returned_by_reason"].values()) == summary["pairs_not_returned"]
    assert summary["generated"] == summary["verified"] + summary["rejected"]
    # structured output (a JSON schema built from the offered tools) keeps the format stage honest
    fmt = summary["stages"]["format"]
    assert fmt["in"] > 0 and fmt["pass_rate"] >= 0.8, fmt
    assert summary["generator_model"] == llama_server.model and not summary["simulated"]
    rows = pq.read_table(out / "rejected").to_pylist() + (
        pq.read_table(out / "verified").to_pylist() if (out / "verified").exists() else [])
    assert len(rows) == summary["generated"]
    assert {r["generator_model"] for r in rows} == {llama_server.model}
    assert "Per-stage pass rates" in stdout


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("apigen generate: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_wrong_port_exits_2_naming_the_endpoint(llama_server, no_keys, capsys, tmp_path, free_port):
    base = f"http://127.0.0.1:{free_port}/v1"
    code, _, err = generate(capsys, "--model", llama_server.model, "--api-base", base, "--out", str(tmp_path / "o"))
    line = _one_line_error(err)
    assert code == 2 and base in line and "unreachable" in line and "Fix:" in line
    assert not (tmp_path / "o").exists()


def test_wrong_model_name_exits_2_listing_what_is_served(llama_server, no_keys, capsys, tmp_path):
    code, _, err = generate(capsys, "--model", "openai/no-such-model", "--api-base", llama_server.api_base,
                            "--out", str(tmp_path / "o"))
    line = _one_line_error(err)
    assert code == 2 and "model not found" in line and "'no-such-model'" in line
    assert llama_server.alias in line and not (tmp_path / "o").exists()


def test_wrong_judge_model_exits_2_naming_the_judge(llama_server, no_keys, capsys, tmp_path):
    code, _, err = generate(capsys, "--model", llama_server.model, "--api-base", llama_server.api_base,
                            "--judge-model", "openai/judge-that-is-not-there", "--out", str(tmp_path / "o"))
    line = _one_line_error(err)
    assert code == 2 and line.split("error: ", 1)[1].startswith("judge endpoint") and "model not found" in line


@pytest.fixture(scope="module")
def keyed_server():
    """A second llama-server that demands a key."""
    from apigen.local_llm import LocalServer

    with LocalServer(parallel=1, ctx_size=2048, extra_args=("--api-key", "the-right-key")) as server:
        yield server


def test_a_refused_key_exits_2(keyed_server, no_keys, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("APIGEN_LLM_API_KEY", "sk-wrong-key-123")
    code, _, err = generate(capsys, "--model", keyed_server.model, "--api-base", keyed_server.api_base,
                            "--out", str(tmp_path / "o"))
    line = _one_line_error(err)
    assert code == 2 and "auth refused" in line and "sk-wrong-key-123" not in err


def test_no_key_for_a_server_that_needs_one_exits_2(keyed_server, no_keys, capsys, tmp_path):
    code, _, err = generate(capsys, "--model", keyed_server.model, "--api-base", keyed_server.api_base,
                            "--out", str(tmp_path / "o"))
    line = _one_line_error(err)
    assert code == 2 and "missing credentials" in line and "APIGEN_LLM_API_KEY" in line


def test_the_right_key_passes_preflight(keyed_server, no_keys, monkeypatch):
    from apigen.config import LLMConfig
    from apigen.preflight import preflight

    monkeypatch.setenv("APIGEN_LLM_API_KEY", "the-right-key")
    preflight("generator", LLMConfig(model=keyed_server.model, api_base=keyed_server.api_base).endpoint())


def test_the_providers_own_variable_passes_preflight(keyed_server, no_keys, monkeypatch):
    """The README's first way to give a key (OPENAI_API_KEY) works for a self-hosted server that needs it:
    the listing request carries the key the completion will carry."""
    from apigen.config import LLMConfig
    from apigen.preflight import preflight

    monkeypatch.setenv("OPENAI_API_KEY", "the-right-key")
    preflight("generator", LLMConfig(model=keyed_server.model, api_base=keyed_server.api_base).endpoint())


def test_no_key_for_a_hosted_provider_exits_2(no_keys, capsys, tmp_path):
    code, _, err = generate(capsys, "--model", "openai/gpt-4o-mini", "--out", str(tmp_path / "o"))
    line = _one_line_error(err)
    assert code == 2 and "missing credentials" in line and "no API key" in line
    assert "gpt-4o-mini" in line and not (tmp_path / "o").exists()


def test_local_serves_its_own_model_with_no_endpoint(prefect_server, no_keys, capsys, tmp_path):
    """``apigen generate --local``: llama.cpp on loopback as generator and judge, output marked with the model."""
    out = tmp_path / "local"
    code, _, err = generate(capsys, "--local", "--n", "4", "--styles", "simple", "--out", str(out))
    assert code == 0, err[-2000:]
    assert "local model" in err and "served by llama.cpp" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generator_model"] == summary["judge_model"] == "openai/smollm2-135m-instruct"
    assert summary["requested_pairs"] == 4 == (summary["generated"] + summary["pairs_not_returned"]
                                               + summary["pairs_lost_to_failed_requests"])
    assert not summary["simulated"]


def test_local_refuses_an_endpoint_of_its_own(no_keys, capsys, tmp_path):
    code, _, err = generate(capsys, "--local", "--api-base", "http://127.0.0.1:1/v1", "--out", str(tmp_path / "o"))
    assert code == 2 and "--local serves its own model" in _one_line_error(err)
