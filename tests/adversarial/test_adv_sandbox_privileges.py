"""The sandbox holds without privileges (no network, no parent /proc), and as root uses a dedicated uid.

The first two run a small driver script (a real SandboxPool) in a separate interpreter: as uid 65534
(privileges dropped by ``subprocess``, as ``setpriv`` would) for the unprivileged case, as root for
the dedicated-uid case. Both need an interpreter another uid can run; they skip only where there is
none. The default pool with the project's own interpreter (which other uids may not be able to read)
must hold too: its workers switch to the dedicated uid themselves; and a root without setuid falls
back to uid 0 without capabilities, saying why.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pyseccomp
import pytest

from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool

REPO = str(Path(__file__).resolve().parents[2])
SITE = os.path.dirname(pyseccomp.__file__)
NOBODY = 65534
SECRET = "SECRET-driver-env-4b1"

FUNCTIONS = '''
import os
import subprocess
import sys


def raw_connect(port: int) -> str:
    """Past any Python-level guard: the C socket module."""
    import _socket
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    sock.close()
    return "connected"


def child_connect(port: int) -> str:
    """From a program the function starts."""
    code = ("import _socket; s = _socket.socket(); s.settimeout(5); "
            f"s.connect(('127.0.0.1', {port})); print('connected')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    return (done.stdout + done.stderr).strip()[-300:]


def read_text(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def write_text(path: str, text: str) -> int:
    with open(path, "w") as handle:
        return handle.write(text)


def identity() -> dict:
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd()}
'''

DRIVER = '''
import json, os, sys
from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool

functions, calls = sys.argv[1], json.loads(sys.argv[2])
results = {"driver_uid": os.getuid()}
with SandboxPool(size=1, limits=SandboxLimits(timeout_s=20)) as pool:
    isolation = getattr(pool, "isolation", None)
    results["isolation"] = isolation.describe() if isolation is not None else None
    for label, name, arguments in calls:
        arguments = {k: v.replace("{parent}", str(os.getpid())) if isinstance(v, str) else v
                     for k, v in arguments.items()}
        outcome = pool.call(CallTarget("adv_priv", name, file=functions), arguments)
        results[label] = {"ok": outcome.ok, "code": outcome.code, "result": outcome.result, "message": outcome.message}
print(json.dumps(results))
'''


def _environment(home: str) -> dict:
    return {"PATH": os.environ.get("PATH", os.defpath), "HOME": home, "PYTHONPATH": f"{REPO}:{SITE}",
            "APIGEN_ADV_SECRET": SECRET, "LANG": "C.UTF-8"}


def _as_nobody() -> dict:
    """Popen arguments that drop root to uid/gid 65534 without supplementary groups (nothing if not root)."""
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}


def _interpreter_for_other_uids(home: str) -> str | None:
    """An interpreter of this Python version that an unprivileged uid can run, with this repo importable."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (sys.executable, shutil.which(f"python{version}"), f"/usr/bin/python{version}",
                      f"/usr/local/bin/python{version}"):
        if not candidate or not os.path.exists(candidate):
            continue
        code = ("import subprocess, sys; print('%d.%d' % sys.version_info[:2]); "  # the pool re-runs sys.executable
                "subprocess.run([sys.executable, '-c', 'import pyseccomp, api_registry.sandbox'], check=True)")
        try:
            probe = subprocess.run([candidate, "-c", code], capture_output=True, text=True, env=_environment(home),
                                   cwd=home, timeout=60, **_as_nobody())
        except OSError:  # this uid cannot even start it
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@pytest.fixture()
def workdir():
    """World-readable: the unprivileged driver reads its script and the functions file from here."""
    path = tempfile.mkdtemp(prefix="apigen-adv-priv-")
    os.chmod(path, 0o755)
    (Path(path) / "driver.py").write_text(DRIVER)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _drive(identity: dict, python: str, workdir: str, functions: str, calls: list) -> dict:
    done = subprocess.run([python, os.path.join(workdir, "driver.py"), functions, json.dumps(calls)],
                          capture_output=True, text=True, env=_environment(workdir), cwd=workdir, timeout=180,
                          **identity)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


class _Listener:
    """A loopback TCP server that counts the connections it accepts."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port, self.accepted, self.stop = self.server.getsockname()[1], 0, threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.server.close()


def test_an_unprivileged_sandbox_reaches_no_network_and_no_parent_proc(workdir):
    python = _interpreter_for_other_uids(workdir)
    if python is None:
        pytest.skip("no interpreter an unprivileged uid can run")
    functions = os.path.join(workdir, "adv_priv.py")
    Path(functions).write_text(FUNCTIONS)
    os.chmod(functions, 0o644)
    listener = _Listener()
    try:
        results = _drive(_as_nobody(), python, workdir, functions, [
            ["raw", "raw_connect", {"port": listener.port}],
            ["child", "child_connect", {"port": listener.port}],
            ["environ", "read_text", {"path": "/proc/{parent}/environ"}],
        ])
    finally:
        listener.close()
    assert results["driver_uid"] != 0
    assert listener.accepted == 0, results
    assert not results["raw"]["ok"] and results["raw"]["code"] == "network_blocked", results["raw"]
    assert "connected" not in results["child"]["result"].split() and "not permitted" in results["child"]["result"]
    assert SECRET not in json.dumps(results["environ"]) and not results["environ"]["ok"], results["environ"]
    assert "network: seccomp" in results["isolation"] and "parent /proc: not dumpable" in results["isolation"]


def test_as_root_each_worker_runs_under_a_dedicated_uid(workdir):
    if os.geteuid() != 0:
        pytest.skip("the dedicated uid is for pools that run as root")
    python = _interpreter_for_other_uids(workdir)
    if python is None:
        pytest.skip("no interpreter an unprivileged uid can run")
    private = tempfile.mkdtemp(prefix="apigen-adv-private-")  # 0700, root's: the functions file stays unreadable
    protected = os.path.join(workdir, "protected")  # root-owned 0755: readable, not writable, by others
    os.mkdir(protected, 0o755)
    try:
        functions = os.path.join(private, "adv_priv.py")
        Path(functions).write_text(FUNCTIONS)
        results = _drive({}, python, workdir, functions, [
            ["identity", "identity", {}],
            ["outside", "write_text", {"path": os.path.join(protected, "pwned.txt"), "text": "x"}],
            ["inside", "write_text", {"path": "note.txt", "text": "scratch is writable"}],
            ["environ", "read_text", {"path": "/proc/{parent}/environ"}],
        ])
    finally:
        shutil.rmtree(private, ignore_errors=True)
    identity = results["identity"]
    assert identity["ok"], identity
    uid = identity["result"]["uid"]
    assert uid not in (0, NOBODY) and identity["result"]["gid"] == uid and identity["result"]["groups"] == []
    assert f"uid: dedicated {uid}" in results["isolation"], results["isolation"]
    assert not os.path.exists(os.path.join(protected, "pwned.txt")) and not results["outside"]["ok"]
    assert "Permission denied" in results["outside"]["message"]
    assert results["inside"]["ok"], results["inside"]
    assert not results["environ"]["ok"] and SECRET not in json.dumps(results["environ"])


SWITCHED_FUNCTIONS = '''
import os
import signal
import subprocess
import sys


def write_text(path: str, text: str) -> int:
    with open(path, "w") as handle:
        return handle.write(text)


def read_text(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def kill(pid: int) -> str:
    os.kill(pid, signal.SIGKILL)
    return "killed"


def identity() -> dict:
    """Who the function runs as, and that the interpreter's own files still load (site-packages, a child)."""
    import numpy
    child = subprocess.run([sys.executable, "-c", "import numpy, os; print(os.getuid())"], capture_output=True,
                           text=True, timeout=60)
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "numpy": int(numpy.arange(4).sum()),
            "child": (child.stdout + child.stderr).strip()[-300:]}
'''


def test_as_root_the_default_pool_runs_its_workers_under_a_dedicated_uid(tmp_path, monkeypatch):
    """The project's own interpreter (under a 0700 /root here): no write, no signal, no parent environ."""
    if os.geteuid() != 0:
        pytest.skip("the dedicated uid is for pools that run as root")
    monkeypatch.setenv("APIGEN_ADV_SECRET", SECRET)
    protected = tmp_path / "protected"  # root-owned 0755 outside any scratch: readable, not writable, by others
    protected.mkdir(mode=0o755)
    functions = tmp_path / "adv_switch.py"
    functions.write_text(SWITCHED_FUNCTIONS)
    victim = subprocess.Popen(["sleep", "60"])  # a root process
    try:
        with SandboxPool(size=1, limits=SandboxLimits(timeout_s=30)) as pool:
            def call(name, **arguments):
                return pool.call(CallTarget("adv_switch", name, file=str(functions)), arguments)
            line = pool.isolation.describe()
            who = call("identity")
            outside = call("write_text", path=str(protected / "pwned.txt"), text="x")
            inside = call("write_text", path="note.txt", text="scratch is writable")
            signalled = call("kill", pid=victim.pid)
            environ = call("read_text", path=f"/proc/{os.getpid()}/environ")
            bundled = pool.call(CallTarget("api_registry.library.math_basic", "factorial"), {"n": 5})
        victim_alive = victim.poll() is None
    finally:
        victim.kill()
        victim.wait()
    assert who.ok, who
    uid = who.result["uid"]
    assert uid != 0 and who.result["gid"] == uid and who.result["groups"] == [], who.result
    assert who.result["numpy"] == 6 and who.result["child"] == str(uid), who.result
    assert f"uid: dedicated {uid}" in line, line
    assert not outside.ok and "Permission denied" in outside.message and not (protected / "pwned.txt").exists()
    assert inside.ok, inside
    assert not signalled.ok and "PermissionError" in signalled.message and victim_alive, signalled
    assert not environ.ok and SECRET not in f"{environ.result} {environ.message}", environ
    assert bundled.ok and bundled.result == 120, bundled


FALLBACK_DRIVER = '''
import json, os
from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool

with SandboxPool(size=1, limits=SandboxLimits(timeout_s=20)) as pool:
    outcome = pool.call(CallTarget("api_registry.library.math_basic", "factorial"), {"n": 5})
    print(json.dumps({"line": pool.isolation.describe(), "result": outcome.result}))
'''


def test_as_root_without_setuid_the_worker_keeps_uid_0_without_capabilities_and_says_why(tmp_path):
    """Where the pool may not change uids at all, the report names both failed modes."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv")
    done = subprocess.run(["setpriv", "--bounding-set", "-setuid,-setgid", sys.executable, "-c", FALLBACK_DRIVER],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["result"] == 120
    assert "uid: same as parent (0, all capabilities dropped; no dedicated uid: " in report["line"], report["line"]
    assert "the dedicated uid cannot run the worker" in report["line"] and "cannot switch" in report["line"]
