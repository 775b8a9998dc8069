"""The isolation in force is reported (registry check, run log), and never more than what applied."""

import logging

from api_registry.check import check_apis, summarize_reports
from api_registry.registry import bundled_registry
from api_registry.sandbox import CallTarget, SandboxLimits, SandboxPool
from apigen.config import ExecutionSettings
from apigen.verify.execution import CallExecutor

FUNCTIONS = '''
import subprocess
import sys


def child_socket() -> str:
    done = subprocess.run([sys.executable, "-c", "import _socket; _socket.socket(); print('socket made')"],
                          capture_output=True, text=True, timeout=30)
    return (done.stdout + done.stderr).strip()[-200:]
'''


def test_registry_check_and_the_execution_task_report_the_isolation():
    registry = bundled_registry()
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=5)) as pool:
        reports = check_apis(registry, ["factorial"], CallExecutor(pool, registry.target, registry.get))
    summary = summarize_reports(reports)
    assert reports[0].ok and summary["sandbox"] == [pool.isolation.describe()]
    line = summary["sandbox"][0]
    assert line.startswith("sandbox isolation: network: ") and "uid: " in line and "processes: " in line

    from tasks.verify_execution import shared_executor

    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    logger = logging.getLogger("tasks.verify_execution")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        executor = shared_executor(ExecutionSettings(workers=1))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert executor.pool.isolation.describe() in [r.getMessage() for r in records]


def test_without_seccomp_the_report_says_python_guard_only(tmp_path, monkeypatch):
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "pyseccomp.py").write_text("raise ImportError('libseccomp is not installed here')\n")
    (tmp_path / "adv_report.py").write_text(FUNCTIONS)
    monkeypatch.syspath_prepend(str(shadow))  # the workers inherit the path, and so the broken binding
    with SandboxPool(size=1, limits=SandboxLimits(timeout_s=10)) as pool:
        line = pool.isolation.describe()
        outcome = pool.call(CallTarget("adv_report", "child_socket", file=str(tmp_path / "adv_report.py")), {})
    assert "network: python-guard-only" in line and "seccomp (" not in line
    assert "setsid not refused" in line
    assert outcome.result == "socket made"  # exactly what the report warns about
