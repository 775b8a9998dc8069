"""The shipped automation (deployments/automations/) on a real Prefect server: a run whose pass rate
drops below the threshold triggers its notification, a clean run does not."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from apigen.config import LLMConfig, RunConfig
from apigen.dashboard import pass_rate_floor
from apigen.sim.server import SimConfig, SimServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deployments" / "automations"))
import install  # noqa: E402  (deployments/automations/install.py)


def test_pass_rate_floor_labels():
    assert [pass_rate_floor(r) for r in (0.0, 0.0999, 0.1, 0.79, 0.8, 0.999, 1.0, None)] == \
        ["0", "0", "10", "70", "80", "90", "100", None]


def test_definition_threshold_and_block():
    spec = install.definition("00000000-0000-0000-0000-0000000000aa", below=50)
    assert spec["trigger"]["match"][install.FLOOR_LABEL] == ["0", "10", "20", "30", "40"]
    assert spec["actions"][0]["block_document_id"] == "00000000-0000-0000-0000-0000000000aa"
    with pytest.raises(ValueError):
        install.definition("x", below=75)


class _Hook(ThreadingHTTPServer):
    """A loopback webhook that keeps what it is sent."""

    def __init__(self):
        self.received: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.received.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def _run(tmp_path, name: str, flaw_rate: float) -> dict:
    from flows.generate_dataset import generate_dataset

    with SimServer(SimConfig(seed=3, flaw_rate=flaw_rate)) as server:
        llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True)
        return generate_dataset(RunConfig(n=24, generator=llm, judge=llm, seed=3, batch_size=24,
                                          out=str(tmp_path / name), result_storage=str(tmp_path / "store")))


@pytest.mark.usefixtures("prefect_server")
def test_a_run_below_the_threshold_notifies_and_a_clean_run_does_not(tmp_path):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    hook = _Hook()
    CustomWebhookNotificationBlock(name="apigen-alerts", url=f"http://127.0.0.1:{hook.server_port}/hook",
                                   json_data={"subject": "{{subject}}", "body": "{{body}}"}).save(
        "apigen-alerts-test", overwrite=True)
    automation_id = install.install("custom-webhook/apigen-alerts-test", below=80)
    assert automation_id
    time.sleep(5)  # the server's trigger service picks up new automations asynchronously

    clean = _run(tmp_path, "clean", 0.0)
    assert all(clean["stages"][s]["pass_rate"] >= 0.8 for s in ("format", "semantic")), clean["stages"]
    flawed = _run(tmp_path, "flawed", 0.9)
    low = sorted(s for s in ("format", "semantic") if flawed["stages"][s]["pass_rate"] < 0.8)
    assert low, flawed["stages"]

    deadline = time.monotonic() + 120
    while len(hook.received) < len(low) and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(3)  # anything more that would come
    subjects = sorted(message["subject"] for message in hook.received)
    assert subjects == sorted(f"apigen: {s} pass rate {flawed['stages'][s]['pass_rate']}" for s in low), hook.received
    assert all("passed" in message["body"] and "top error codes" in message["body"] for message in hook.received)
    hook.shutdown()
