"""A user's API named like a bundled function is the one that runs, with a warning naming both.

Before: the bundled ``factorial`` silently won; the user's rows were executed against our code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from api_registry.registry import Registry
from api_registry.sandbox import SandboxPool
from api_registry.sources import RegistrySources, load_registry
from apigen.models import FunctionCall
from apigen.verify.execution import CallExecutor
from helpers import send_json

BUNDLED = "factorial"
USER_FACTORIAL = '''
def factorial(n: int) -> dict:
    """Tags its input, so a test can tell whose implementation ran.

    Args:
        n: any integer.
    """
    return {"implementation": "user", "n": n}
'''
OTHER_USER_FACTORIAL = USER_FACTORIAL.replace('"user"', '"second user file"')


def test_bundled_name_is_assumed_by_the_users_function(tmp_path):
    assert BUNDLED in Registry.bundled().functions  # the clash is real
    first, second = tmp_path / "mine.py", tmp_path / "also_mine.py"
    first.write_text(USER_FACTORIAL)
    second.write_text(OTHER_USER_FACTORIAL)
    registry = load_registry(RegistrySources(functions=(str(first), str(second))))

    with SandboxPool(size=1) as pool:
        outcome = CallExecutor(pool, registry.target, registry.get).run(FunctionCall(name=BUNDLED, arguments={"n": 5}))
    assert outcome.ok, outcome
    assert outcome.result == {"implementation": "user", "n": 5}  # the user's, through the real sandbox

    replaced = [w for w in registry.warnings if w.entry == BUNDLED]
    assert len(replaced) == 1, registry.warnings
    assert str(first) in str(replaced[0]) and "api_registry.library.math_basic" in str(replaced[0])
    assert not any(e.entry == BUNDLED and e.source == str(first) for e in registry.errors)  # not a load error
    # two user entries with one name stay an error, and the first one wins
    assert [e.source for e in registry.errors if e.entry == BUNDLED] == [str(second)]


def test_registry_list_names_both_origins_of_a_replacement(tmp_path):
    functions = tmp_path / "mine.py"
    functions.write_text(USER_FACTORIAL)
    run = subprocess.run([sys.executable, "-m", "apigen.cli", "registry", "list", "--json", "--functions", str(functions)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    row = next(json.loads(line) for line in run.stdout.splitlines() if json.loads(line)["name"] == BUNDLED)
    assert row["source"] == f"module:{functions}"
    warning = next(line for line in run.stderr.splitlines() if "replaces the bundled" in line)
    assert warning.startswith("warning: ") and str(functions) in warning and "math_basic" in warning


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        send_json(self, 200, {"implementation": "rest", "path": self.path})

    def log_message(self, *args):
        pass


def test_bundled_name_is_assumed_by_the_users_rest_endpoint(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rest = tmp_path / "apis.json"
        rest.write_text(json.dumps([{"name": BUNDLED, "description": "Factorial, served over HTTP.",
                                     "parameters": {"type": "object", "properties": {"n": {"type": "integer",
                                                    "description": "a number"}}, "required": ["n"]},
                                     "rest": {"method": "GET", "url_template": f"http://127.0.0.1:{server.server_port}/f",
                                              "query_params": ["n"]}}]))
        registry = load_registry(RegistrySources(rest=(str(rest),)))
        with SandboxPool(size=1) as pool:
            outcome = CallExecutor(pool, registry.target, registry.get).run(FunctionCall(name=BUNDLED, arguments={"n": 5}))
    finally:
        server.shutdown()
    assert outcome.ok and outcome.result == {"implementation": "rest", "path": "/f?n=5"}, outcome
    assert BUNDLED not in registry.functions and BUNDLED in registry.rest
    assert any(w.entry == BUNDLED and "math_basic" in str(w) and str(rest) in str(w) for w in registry.warnings)
