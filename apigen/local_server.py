"""The Prefect API server a run talks to: a configured one, apigen's reusable one, or one per run.

Without ``PREFECT_API_URL``, Prefect starts a temporary server on the first API call, after the CLI
has imported everything, and imports the whole server application (FastAPI, database models: ~5 s
of CPU) into the CLI process just to launch it as a subprocess. apigen instead launches the same
server process as soon as the run's command line is checked, so it starts while the CLI imports
and prepares, and points Prefect at it through ``PREFECT_API_URL``.

``apigen server start`` leaves such a server running in the background, its address recorded in
``$PREFECT_HOME/apigen-server.json``; later runs with the same ``PREFECT_HOME`` find it and start no
server at all. A Prefect API URL the user configured (environment, active profile, prefect.toml,
pyproject.toml) always wins over both.

A new PREFECT_HOME costs the server ~200 database migrations (5-8 s of CPU). The first server that
creates a database copies it, migrated and still empty, to ``~/.cache/apigen/`` (one file per Prefect
version); a server for another new PREFECT_HOME starts from that copy. Only with Prefect's default
SQLite database; ``APIGEN_NO_DB_TEMPLATE=1`` turns it off.

Plain module (no Prefect import): it runs before Prefect is imported.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from apigen.prefect_server_process import APP

STATE_FILE = "apigen-server.json"
LOG_FILE = "apigen-server.log"
STARTUP_TIMEOUT_S = 180.0  # a fresh PREFECT_HOME runs ~200 database migrations; slow on a busy 2-core box


class ServerError(Exception):
    """The server could not be started or stopped; the message says why."""


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()


def configured_api_url() -> str | None:
    """A Prefect API URL the user configured, read the way Prefect does but without importing it
    (environment, active profile, ./prefect.toml, ./pyproject.toml); None when there is none."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    url = _active_profile().get("PREFECT_API_URL")
    url = url or _toml(Path("prefect.toml")).get("api", {}).get("url")
    return url or _toml(Path("pyproject.toml")).get("tool", {}).get("prefect", {}).get("api", {}).get("url")


def _active_profile() -> dict:
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or prefect_home() / "profiles.toml").expanduser()
    data = _toml(profiles)
    return data.get("profiles", {}).get(os.environ.get("PREFECT_PROFILE") or data.get("active", ""), {})


def _toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _template_path() -> Path | None:
    """The cached empty database for the installed Prefect, or None when the database is not the
    default SQLite file under PREFECT_HOME (or the cache is turned off)."""
    if os.environ.get("APIGEN_NO_DB_TEMPLATE"):
        return None
    if any("DATABASE" in key for key in [*os.environ, *_active_profile()] if key.startswith("PREFECT_")):
        return None
    try:
        version = importlib.metadata.version("prefect")
    except importlib.metadata.PackageNotFoundError:
        return None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "apigen"
    return cache / f"prefect-{version}-empty.db"


def seed_database(home: Path) -> bool:
    """Give a PREFECT_HOME without a database the cached empty one; whether it did."""
    database, template = home / "prefect.db", _template_path()
    if template is None or database.exists() or not template.is_file():
        return False
    home.mkdir(parents=True, exist_ok=True)
    partial = home / f".prefect.db.{os.getpid()}.partial"
    shutil.copyfile(template, partial)
    try:
        os.link(partial, database)  # fails if a database appeared meanwhile: that one is kept
    except OSError:
        return False
    finally:
        partial.unlink(missing_ok=True)
    return True


def save_template(home: Path) -> None:
    """Keep a copy of the database a server has just created (migrated, no runs yet) for the next
    new PREFECT_HOME; SQLite's online backup, so the copy is consistent while the server runs."""
    template = _template_path()
    if template is None or template.exists() or not (home / "prefect.db").is_file():
        return
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_name(f"{template.name}.{os.getpid()}.partial")
    try:
        with sqlite3.connect(f"file:{home / 'prefect.db'}?mode=ro", uri=True, timeout=5) as source, \
                sqlite3.connect(partial) as copy:
            source.backup(copy)
        os.replace(partial, template)
    except (OSError, sqlite3.Error):  # only a speed-up: a failure costs the next new home its migrations
        partial.unlink(missing_ok=True)


def healthy(api_url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout_s) as response:
            return response.status == 200
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "apigen.prefect_server_process", "--factory", APP, "--host", host, "--port", str(port),
            "--log-level", "error", "--lifespan", "on"]


def _server_env(ui: bool, ephemeral: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"PREFECT_UI_ENABLED": "1" if ui else "0", "PREFECT__SERVER_FINAL": "1"})
    if ephemeral:  # the services Prefect's own temporary server runs, no more; quiet unless asked
        env["PREFECT__SERVER_EPHEMERAL"] = "1"
        env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    return env


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks (tells a recycled pid apart); None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        if not os.path.isdir("/proc/self"):  # no /proc: fall back to "a process with this pid exists"
            try:
                os.kill(pid, 0)
                return 0
            except OSError:
                return None
        return None
    return None if fields[0] == b"Z" else int(fields[19])


def wait_healthy(process: subprocess.Popen, api_url: str, timeout_s: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not healthy(api_url, timeout_s=1.0):
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:] if log and log.exists() else ""
            raise ServerError(f"the Prefect server exited with code {process.returncode}. {tail}".strip())
        if time.monotonic() > deadline:
            raise ServerError(f"the Prefect server did not answer at {api_url} within {timeout_s:.0f} s")
        time.sleep(0.05)


class TemporaryServer:
    """A Prefect server for one run: launched at once, waited for only when the API is first needed,
    stopped when the run ends (the orphan reaper stops it after a ``kill -9``)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        home = prefect_home()
        self._new_database = not (home / "prefect.db").exists() and not seed_database(home)
        self._host = host
        self._ready = False
        self._spawn()

    def _spawn(self) -> None:
        self.port = free_port(self._host)
        self.api_url = f"http://{self._host}:{self.port}/api"
        self.process = subprocess.Popen(_command(self._host, self.port), env=_server_env(ui=False, ephemeral=True),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Block until the server answers. If it exits first (another process took its port between
        choosing it and binding it), it is started again on another port: ``api_url`` changes."""
        for attempt in range(3):
            if self._ready:
                return
            try:
                wait_healthy(self.process, self.api_url, timeout_s)
            except ServerError:
                if self.process.poll() is None or attempt == 2:
                    raise
                self._spawn()
                continue
            self._ready = True
            if self._new_database:
                save_template(prefect_home())

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM and wait up to ``grace_s``; past that the process is left to finish on its own
        (the orphan reaper kills it if it does not)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass


@dataclass(frozen=True)
class ServerInfo:
    """What ``$PREFECT_HOME/apigen-server.json`` records about the background server."""

    pid: int
    started: int  # process start time in clock ticks
    host: str
    port: int
    home: str

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _state_path(home: Path) -> Path:
    return home / STATE_FILE


def recorded(home: Path | None = None) -> ServerInfo | None:
    """The background server recorded under ``home`` if its process is still the one recorded."""
    path = _state_path(home or prefect_home())
    try:
        info = ServerInfo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return info if _start_time(info.pid) == info.started else None


def running(home: Path | None = None) -> ServerInfo | None:
    """The background server under ``home`` if it is up and answering."""
    info = recorded(home)
    return info if info is not None and healthy(info.api_url, timeout_s=2.0) else None


def start_background(home: Path | None = None, host: str = "127.0.0.1", port: int | None = None, ui: bool = True,
                     timeout_s: float = STARTUP_TIMEOUT_S) -> tuple[ServerInfo, bool]:
    """Start the background server under ``home`` unless one is up; (info, started_now)."""
    home = home or prefect_home()
    if (info := running(home)) is not None:
        return info, False
    if recorded(home) is not None:
        raise ServerError(f"a server recorded in {_state_path(home)} is running but not answering; "
                          "run `apigen server stop` first")
    home.mkdir(parents=True, exist_ok=True)
    new_database = not (home / "prefect.db").exists() and not seed_database(home)
    port = port or free_port(host)
    log_path = home / LOG_FILE
    with log_path.open("ab") as log:
        process = subprocess.Popen(_command(host, port), env={**_server_env(ui=ui, ephemeral=False),
                                                               "PREFECT_HOME": str(home)},
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    try:
        wait_healthy(process, f"http://{host}:{port}/api", timeout_s, log_path)
    except ServerError:
        _terminate(process.pid, _start_time(process.pid))
        raise
    if new_database:
        save_template(home)
    info = ServerInfo(pid=process.pid, started=_start_time(process.pid) or 0, host=host, port=port, home=str(home))
    _state_path(home).write_text(json.dumps(asdict(info)))
    return info, True


def stop_background(home: Path | None = None, timeout_s: float = 20.0) -> ServerInfo | None:
    """Stop the background server under ``home``; the one stopped, or None if none was running."""
    home = home or prefect_home()
    info = recorded(home)
    if info is not None:
        _terminate(info.pid, info.started, timeout_s)
    _state_path(home).unlink(missing_ok=True)
    return info


def _terminate(pid: int, started: int | None, timeout_s: float = 20.0) -> None:
    if started is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _start_time(pid) == started:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


def _refresh_prefect_settings() -> None:
    """Prefect reads its settings once, at import; if it is already imported, re-read them."""
    context = sys.modules.get("prefect.context")
    if context is not None:
        context.refresh_global_settings_context()


class RunApi:
    """The Prefect API of one CLI run, chosen at its start (before Prefect is imported): the configured
    URL, else apigen's background server under PREFECT_HOME, else a temporary server launched now."""

    def __init__(self) -> None:
        self.temporary: TemporaryServer | None = None
        self._previous = os.environ.get("PREFECT_API_URL")
        configured = configured_api_url()
        if configured:
            self.url, self.source = configured, "configured"
            return
        info = running()
        if info is not None:
            self.url, self.source = info.api_url, "apigen server"
        else:
            self.temporary = TemporaryServer()
            self.url, self.source = self.temporary.api_url, "temporary"
        os.environ["PREFECT_API_URL"] = self.url
        _refresh_prefect_settings()

    def ready(self) -> None:
        """Block until the API answers (a temporary server may still be starting)."""
        if self.temporary is not None:
            self.temporary.wait_ready()
            if self.temporary.api_url != self.url:  # restarted on another port
                self.url = os.environ["PREFECT_API_URL"] = self.temporary.api_url
                _refresh_prefect_settings()

    def close(self) -> None:
        if self.source == "configured":
            return
        if self._previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = self._previous
        _refresh_prefect_settings()
        if self.temporary is not None:
            self.temporary.stop()
