"""apigen.gc_policy: the collector settings of a process apigen's CLI owns. Each case runs in its own
interpreter, since the settings are process-wide."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _python(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def test_the_cli_entry_point_owns_the_collector_and_a_library_caller_keeps_its_own():
    out = _python("""
        import atexit, gc, sys
        from apigen.gc_policy import RUN_THRESHOLDS
        from apigen.cli import main
        defaults = gc.get_threshold()
        assert main(["generate", "--n", "0", "--simulate"]) == 2  # a library call (a usage error): untouched
        print(gc.get_threshold() == defaults)
        atexit.register(lambda: print(gc.get_threshold() == RUN_THRESHOLDS))
        sys.argv = ["apigen", "--version"]
        main()  # the entry point: argparse exits, after the settings were applied
    """)
    lines = out.splitlines()
    assert lines[0] == "True" and lines[-1] == "True" and lines[1].startswith("apigen "), out


def test_cyclic_garbage_is_still_collected_without_an_explicit_collection():
    out = _python("""
        import gc, weakref
        from apigen import gc_policy
        gc_policy.own_process()
        gc_policy.freeze_loaded()
        frozen = gc.get_freeze_count()
        freed = []
        class Node:
            pass
        for i in range(300_000):  # six times the young generation's threshold, in cycles refcounting cannot free
            a, b = Node(), Node()
            a.other, b.other = b, a
            weakref.finalize(a, freed.append, 1)
            del a, b
        print(frozen > 0, len(freed))
    """)
    frozen, freed = out.split()
    assert frozen == "True"
    assert int(freed) > 200_000, out  # collected as the run goes; only the last young generation may remain


def test_freezing_is_a_no_op_in_a_process_apigen_does_not_own():
    assert _python("""
        import gc
        defaults = gc.get_threshold()
        from apigen import gc_policy
        gc_policy.freeze_loaded()
        print(gc.get_freeze_count(), gc.get_threshold() == defaults)
    """) == "0 True"
