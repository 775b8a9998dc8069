"""The sandbox pool: keyword calls in worker processes, timeouts, memory limits, no network."""

import time

import pytest

from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool

FACTORIAL = CallTarget("api_registry.library.math_basic", "factorial")


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(size=2, limits=SandboxLimits(timeout_s=1.0, memory_mb=512)) as pool:
        yield pool


def test_runs_registered_function_by_keyword(pool):
    assert pool.call(FACTORIAL, {"n": 5}).result == 120


def test_exception_is_a_clean_failure(pool):
    outcome = pool.call(FACTORIAL, {"n": -1})
    assert not outcome.ok and outcome.code == "execution_error" and "ValueError" in outcome.message


def test_infinite_loop_is_stopped_and_pool_keeps_serving(pool, tmp_path):
    module = tmp_path / "spin.py"
    module.write_text("def spin():\n    while True:\n        pass\n")
    started = time.monotonic()
    outcome = pool.call(CallTarget("spin_mod", "spin", file=str(module)), {})
    assert outcome.code == "timeout" and time.monotonic() - started < 1.0 + 1.0
    assert pool.call(FACTORIAL, {"n": 4}).result == 24


def test_huge_allocation_is_refused(pool, tmp_path):
    module = tmp_path / "hog.py"
    module.write_text("def hog():\n    return len(bytearray(4 * 1024 ** 3))\n")
    outcome = pool.call(CallTarget("hog_mod", "hog", file=str(module)), {})
    assert not outcome.ok and outcome.code == "memory_limit"
    assert pool.call(FACTORIAL, {"n": 3}).result == 6


def test_network_is_blocked(pool):
    outcome = pool.call(CallTarget("socket", "create_connection"), {"address": ["127.0.0.1", 9]})
    assert not outcome.ok and outcome.code == "network_blocked"


def test_dead_worker_is_replaced(pool, tmp_path):
    module = tmp_path / "die.py"
    module.write_text("import os\ndef die():\n    os._exit(3)\n")
    outcome = pool.call(CallTarget("die_mod", "die", file=str(module)), {})
    assert outcome.code == "worker_died"
    assert pool.call(FACTORIAL, {"n": 2}).result == 2


def test_non_json_result_is_reported(pool):
    outcome = pool.call(CallTarget("builtins", "bytearray"), {})
    assert outcome.code == "result_not_json"
