"""Make the Prefect UI screenshots in docs/screenshots/ from real runs, with headless Chromium.

What it does, in a temporary PREFECT_HOME (nothing outside it is touched):

1. starts ``prefect server start`` (API and UI) on a free port;
2. runs ``apigen generate --simulate`` twice against it (``--flaw-rate 0.1``, then ``0.3``, 200 pairs),
   then a third, slower run against ``apigen sim-llm --flaw-rate 0.5 --latency-ms 800`` (1,000 pairs,
   20 batches), so the pass-rate history has three runs with different rates;
3. while the third run goes on, as soon as the live ``apigen-stage-pass-rates`` table says a few
   batches are through every stage, screenshots it (``stage-pass-rates-live.png``);
4. after the third run: its run page (``run-page.png``: the graph and the Task Runs tab;
   ``run-page-artifacts.png``: the Artifacts tab), ``pass-rate-history.png`` and ``diversity.png``;
5. makes a throwaway markdown artifact with an inline ``<svg>``, a ``data:image/svg+xml`` image and a
   ``data:image/png`` image, screenshots it (``markdown-image-check.png``) and prints which of them
   the UI rendered (from the page's DOM; also in Prefect's new UI at ``/v2``, not saved here), to
   decide whether the history could draw SVG/PNG charts.

Chromium is driven through the DevTools protocol (``websockets``, a Prefect dependency): each page is
loaded, then the script waits until the page's text holds what the screenshot is meant to show.

Run from the repository root with the project's environment (Debian: ``apt-get install chromium``)::

    python docs/screenshots/make_screenshots.py            # writes docs/screenshots/*.png (~4 min on 2 cores)
    python docs/screenshots/make_screenshots.py --keep     # then leaves the server up (Ctrl-C stops it)

Options: ``--out DIR`` (default: this folder), ``--chromium PATH`` (default: ``chromium``). The caller's
PREFECT_API_URL and PREFECT_HOME are not used; the runs' logs stay in the temporary folder it prints.
Run names, times and ids differ from one run of the script to the next; the rates do not (fixed seeds).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1400, 1000
WIDE = (1600, 1000)  # an artifact page: the table's last column fits beside the details panel
APIGEN = [sys.executable, "-c", "import sys; from apigen.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception:  # noqa: BLE001 - not up yet
            value = None
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out waiting for {what}")


class Browser:
    """One headless Chromium tab, driven over the DevTools protocol."""

    def __init__(self, chromium: str, profile: Path):
        port = free_port()
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
             f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        pages = wait_for("chromium", lambda: [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json()
                                             if t["type"] == "page"], 30)
        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=64 * 2**20)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def shoot(self, url: str, path: Path, must_show: list[str], tab: str | None = None,
              size: tuple[int, int] = (WIDTH, HEIGHT), settle: float = 2.0):
        """Load ``url`` (and click its tab ``tab``), wait until the page's text holds every string of
        ``must_show``, then save a PNG of ``size``."""
        self.call("Emulation.setDeviceMetricsOverride", width=size[0], height=size[1], deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url="about:blank")  # so the last page's text cannot pass the check
        wait_for("a blank page", lambda: self.js("location.href") == "about:blank", 10)
        self.call("Page.navigate", url=url)
        if tab:  # the run page resets a ?tab= query to Logs while it loads: click the tab instead
            wait_for(f"tab {tab!r} on {url}", lambda: self.js(
                f"(() => {{ const t = [...document.querySelectorAll('li.p-tab')].find(e => e.innerText.trim() === {tab!r});"
                f" if (t) t.click(); return !!t }})()"), 60)
        missing = lambda: [s for s in must_show if s not in (self.js("document.body.innerText") or "")]  # noqa: E731
        wait_for(f"{must_show} on {url}", lambda: not missing(), 90)
        time.sleep(settle)  # charts and fonts
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"  {path.name}: {path.stat().st_size // 1024} KB  ({url})", flush=True)

    def close(self):
        self.ws.close()
        os.killpg(self.proc.pid, signal.SIGTERM)  # chromium and its helper processes
        self.proc.wait(10)


def tiny_png(values: list[float], width: int = 120, height: int = 30) -> bytes:
    """A sparkline as a PNG (pure Python): one dark-blue column of pixels per value slot."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            v = values[min(x * len(values) // width, len(values) - 1)]
            row += bytes((30, 64, 175)) if height - 1 - y <= v * (height - 1) else bytes((255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30" viewBox="0 0 120 30">'
       '<polyline fill="none" stroke="#1e40af" stroke-width="2" points="0,3 60,9 120,15"/></svg>')


def image_check_markdown() -> str:
    svg_uri = "data:image/svg+xml;base64," + base64.b64encode(SVG.encode()).decode()
    png_uri = "data:image/png;base64," + base64.b64encode(tiny_png([0.9, 0.7, 0.5])).decode()
    return "\n".join([
        "# Markdown image check", "",
        "## A. inline SVG element", "", SVG, "",
        "## B. image, data:image/svg+xml", "", f"![svg sparkline]({svg_uri})", "",
        "## C. image, data:image/png", "", f"![png sparkline]({png_uri})", "",
        "## D. unicode bars (what apigen-pass-rate-history uses)", "", "`▇▅▃`", "",
        "end of check"])


DOM_CHECK = """(() => {
  const out = {};
  out.svg_elements = [...document.querySelectorAll('svg polyline')].length;
  out.images = [...document.querySelectorAll('img')].map(i => ({alt: i.alt, src: (i.getAttribute('src') || '').slice(0, 30),
      loaded: i.complete && i.naturalWidth > 0, width: i.naturalWidth}));
  out.raw_svg_text = document.body.innerText.includes('<svg') || document.body.innerText.includes('polyline');
  return out;
})()"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--keep", action="store_true", help="leave the server up at the end until Ctrl-C")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    tmp = Path(tempfile.mkdtemp(prefix="apigen-shots-"))
    port, sim_port = free_port(), free_port()
    ui = f"http://127.0.0.1:{port}"
    api = f"{ui}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect-home"), "PREFECT_API_URL": api,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "true"}
    procs: list[subprocess.Popen] = []
    browser = None

    def start(cmd: list[str], log: str) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=open(tmp / log, "w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(proc)
        return proc

    def generate(name: str, *extra: str) -> subprocess.Popen:
        print(f"generate {name}: {' '.join(extra)}", flush=True)
        return start([*APIGEN, "generate", "--out", str(tmp / name), *extra], f"{name}.log")

    def finished(proc: subprocess.Popen, name: str) -> None:
        if proc.wait() != 0:
            raise SystemExit(f"{name} failed; see {tmp / (name + '.log')}")

    def latest(key: str, flow_run_id: str | None = None) -> dict | None:
        body = {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 1}
        if flow_run_id:
            body["artifacts"]["flow_run_id"] = {"any_": [flow_run_id]}
        found = httpx.post(f"{api}/artifacts/filter", json=body).json()
        return found[0] if found else None

    try:
        print(f"Prefect server on {ui} (PREFECT_HOME {tmp / 'prefect-home'})", flush=True)
        prefect = str(Path(sys.executable).parent / "prefect")
        start([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)], "server.log")
        wait_for("the Prefect API", lambda: httpx.get(f"{api}/health").status_code == 200, 180)
        wait_for("the Prefect UI", lambda: "<div id=\"app\"" in httpx.get(ui).text, 60)

        for name, rate in (("run1", "0.1"), ("run2", "0.3")):
            finished(generate(name, "--simulate", "--flaw-rate", rate, "--n", "200", "--seed", name[-1]), name)

        start([*APIGEN, "sim-llm", "--port", str(sim_port), "--flaw-rate", "0.5", "--latency-ms", "800",
               "--seed", "3"], "sim.log")
        wait_for("the simulated LLM", lambda: httpx.get(f"http://127.0.0.1:{sim_port}/v1/models").status_code == 200, 60)
        before = latest("apigen-stage-pass-rates")
        run3 = generate("run3", "--model", "openai/apigen-sim", "--api-base", f"http://127.0.0.1:{sim_port}/v1",
                        "--n", "1000", "--batch-size", "50", "--concurrency", "4", "--seed", "3")
        live = wait_for("run 3's pass-rate table", lambda: (lambda a: a if a and (not before or a["id"] != before["id"])
                                                            else None)(latest("apigen-stage-pass-rates")), 300)
        run_id = live["flow_run_id"]
        print(f"run 3 is flow run {run_id}", flush=True)

        def mid_run() -> dict | None:
            artifact = httpx.get(f"{api}/artifacts/{live['id']}").json()
            m = re.search(r"live: (\d+) of (\d+) batches", artifact.get("description") or "")
            return artifact if m and 3 <= int(m.group(1)) < int(m.group(2)) - 2 else None

        artifact = wait_for("a few batches through every stage", mid_run, 900, every=1.0)
        browser = Browser(args.chromium, tmp / "chromium")
        done = re.search(r"live: (\d+ of \d+ batches)", artifact["description"]).group(1)
        browser.shoot(f"{ui}/artifacts/artifact/{live['id']}", args.out / "stage-pass-rates-live.png",
                      ["apigen-stage-pass-rates", "semantic", "live:"], size=WIDE)
        state = httpx.get(f"{api}/flow_runs/{run_id}").json()["state_type"]
        print(f"  taken with {done} through every stage; run 3 was {state} after the screenshot", flush=True)

        finished(run3, "run3")
        history = wait_for("run 3's history", lambda: latest("apigen-pass-rate-history", run_id), 60)
        diversity = latest("apigen-diversity", run_id)
        run_name = httpx.get(f"{api}/flow_runs/{run_id}").json()["name"]
        run_page = f"{ui}/runs/flow-run/{run_id}"
        browser.shoot(run_page, args.out / "run-page.png", [run_name, "Completed", "semantic-batch-"],
                      tab="Task Runs", settle=4)
        browser.shoot(run_page, args.out / "run-page-artifacts.png", [run_name, "apigen-pass-rate-history",
                      "apigen-diversity", "apigen-progress"], tab="Artifacts", size=(WIDTH, 1300), settle=4)
        browser.shoot(f"{ui}/artifacts/artifact/{history['id']}", args.out / "pass-rate-history.png",
                      ["Pass rates across the last 3 runs"], size=WIDE)
        browser.shoot(f"{ui}/artifacts/artifact/{diversity['id']}", args.out / "diversity.png",
                      ["apigen-diversity", "distinct"], size=WIDE)

        check = httpx.post(f"{api}/artifacts/", json={"key": "markdown-image-check", "type": "markdown",
                                                       "data": image_check_markdown()}).json()
        browser.shoot(f"{ui}/artifacts/artifact/{check['id']}", args.out / "markdown-image-check.png",
                      ["Markdown image check", "end of check"])
        print("markdown image check, UI v1 (DOM):", json.dumps(browser.js(DOM_CHECK)), flush=True)
        browser.shoot(f"{ui}/v2/artifacts/artifact/{check['id']}", tmp / "markdown-image-check-v2.png",
                      ["Markdown image check", "end of check"])  # Prefect's new UI ("Switch to V2 UI")
        print("markdown image check, UI v2 (DOM):", json.dumps(browser.js(DOM_CHECK)), flush=True)
        if args.keep:
            print(f"server up at {ui}; Ctrl-C stops it", flush=True)
            signal.pause()
        return 0
    finally:
        if browser:
            browser.close()
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        print(f"logs: {tmp}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
