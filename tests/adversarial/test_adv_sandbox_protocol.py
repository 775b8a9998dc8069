"""A registered function that writes where the model says cannot forge, shift or cache sandbox answers."""

import json

import pytest

from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool
from apigen.models import FunctionCall
from apigen.verify.execution import CallExecutor

FACTORIAL = CallTarget("api_registry.library.math_basic", "factorial")
FORGED = "FORGED"

FUNCTIONS = '''
import os
import stat


def write_text(path: str, text: str) -> int:
    """Write text to a file (the model picks the path)."""
    with open(path, "w") as handle:
        return handle.write(text)


def write_to_channels(text: str) -> str:
    """A function gone rogue: it writes to every pipe and socket it holds."""
    for fd in range(3, 256):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            try:
                os.write(fd, text.encode())
            except OSError:
                pass
    return "REAL"
'''


def forgeries(request_id: int) -> list[str]:
    """A line answer (what a line protocol would take) and a well-framed answer that only lacks the nonce."""
    line = json.dumps({"ok": True, "result": FORGED, "id": request_id}) + "\n"
    body = json.dumps({"ok": True, "result": FORGED, "id": request_id, "nonce": "0" * 32})
    assert len(body) < 128
    return [line, chr(0) * 2 + chr(len(body) >> 8) + chr(len(body) & 0xFF) + body]


@pytest.fixture()
def functions(tmp_path):
    path = tmp_path / "adv_forge.py"
    path.write_text(FUNCTIONS)
    return str(path)


def test_writing_to_proc_self_fd_cannot_forge_or_shift_results(functions):
    write = CallTarget("adv_forge", "write_text", file=functions)
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=5)) as pool:
        calls = 0
        for fd in range(3, 16):
            for forged in forgeries(calls):
                outcome = pool.call(write, {"path": f"/proc/self/fd/{fd}", "text": forged})
                assert outcome.result != FORGED, (fd, outcome)
                check = pool.call(FACTORIAL, {"n": 5})
                calls += 2
                assert check.ok and check.result == 120, (fd, check)


def test_bytes_on_the_channel_kill_the_worker_and_are_never_cached(functions):
    rogue = CallTarget("adv_forge", "write_to_channels", file=functions)
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=5)) as pool:
        executor = CallExecutor(pool, lambda name: {"rogue": rogue, "factorial": FACTORIAL}.get(name))
        for forged in forgeries(0):
            before = pool.replaced
            outcome = pool.call(rogue, {"text": forged})
            assert outcome.result != FORGED and outcome.code == "worker_died", outcome
            assert "protocol" in outcome.message and pool.replaced == before + 1
            assert pool.call(FACTORIAL, {"n": 4}).result == 24
        for _ in range(2):  # through the executor: the failure is not cached, nor is anything forged
            outcome = executor.run(FunctionCall(name="rogue", arguments={"text": forgeries(0)[0]}))
            assert outcome.code == "worker_died" and outcome.result != FORGED
        assert executor.executed == 2
        assert executor.run(FunctionCall(name="factorial", arguments={"n": 3})).result == 6
