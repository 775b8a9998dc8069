"""Processes a sandboxed call starts are bounded, and none outlives the call (setsid or not)."""

import os
import signal
import tempfile

import pytest

from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool

FUNCTIONS = '''
import os
import time


def fork_bomb(attempts: int, hold_s: float) -> dict:
    """Fork until refused; every child forks once more; all of them then sleep."""
    read_end, write_end = os.pipe()
    children, refused = [], 0
    for _ in range(attempts):
        try:
            pid = os.fork()
        except OSError:
            refused += 1
            continue
        if pid == 0:
            try:
                grandchild = os.fork()
                if grandchild == 0:
                    time.sleep(hold_s)
                    os._exit(0)
            except OSError:
                grandchild = -1
            os.write(write_end, str(grandchild).rjust(10).encode())
            time.sleep(hold_s)
            os._exit(0)
        children.append(pid)
    grandchildren = [int(os.read(read_end, 10)) for _ in children]
    return {"children": children, "grandchildren": [g for g in grandchildren if g > 0], "refused": refused}


def detach(pid_file: str, then: str) -> int:
    """Leave a grandchild behind in a new session (setsid), then return, overrun or die."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.setsid()
        except OSError:
            pass
        grandchild = os.fork()
        if grandchild == 0:
            time.sleep(60)
            os._exit(0)
        os.write(write_end, str(grandchild).rjust(10).encode())
        os._exit(0)
    os.waitpid(child, 0)
    grandchild = int(os.read(read_end, 10))
    with open(pid_file, "w") as handle:
        handle.write(str(grandchild))
    if then == "overrun":
        time.sleep(60)
    if then == "die":
        os._exit(3)
    return grandchild
'''


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def kill_all(pids):
    """Clean up after a failing run: survivors must not outlive the test either."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture()
def functions(tmp_path):
    path = tmp_path / "adv_procs.py"
    path.write_text(FUNCTIONS)
    return str(path)


@pytest.fixture()
def shared_dir():
    """A directory every uid can write: the sandbox user leaves the pid of its detached child here."""
    path = tempfile.mkdtemp(prefix="apigen-adv-procs-")
    os.chmod(path, 0o777)
    yield path
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    os.rmdir(path)


def test_a_fork_bomb_is_bounded_at_50_and_nothing_survives_the_call(functions):
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=20)) as pool:
        outcome = pool.call(CallTarget("adv_procs", "fork_bomb", file=functions), {"attempts": 120, "hold_s": 30.0})
        assert outcome.ok, outcome
        spawned = outcome.result["children"] + outcome.result["grandchildren"]
        survivors = [pid for pid in spawned if alive(pid)]
        kill_all(survivors)
        assert 1 + len(spawned) <= 50 and outcome.result["refused"] > 0, (len(spawned), outcome.result["refused"])
        assert survivors == []
        assert pool.call(CallTarget("api_registry.library.math_basic", "factorial"), {"n": 5}).result == 120


@pytest.mark.parametrize("then", ["return", "overrun", "die"])
def test_a_setsid_child_does_not_survive_the_call(functions, shared_dir, then):
    pid_file = os.path.join(shared_dir, f"{then}.pid")
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=1.5)) as pool:
        outcome = pool.call(CallTarget("adv_procs", "detach", file=functions), {"pid_file": pid_file, "then": then})
        with open(pid_file) as handle:
            grandchild = int(handle.read())
        survived = alive(grandchild)
        kill_all([grandchild])
        assert outcome.code == {"return": None, "overrun": "timeout", "die": "worker_died"}[then], outcome
        assert not survived, f"the detached grandchild {grandchild} outlived the call ({then})"
