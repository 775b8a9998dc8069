"""``apigen registry list`` and ``registry check`` (the API-filtering flow), REST keys from a Prefect block."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apigen.cli import main
from helpers import send_json

SECRET = "sk-test-REGISTRY-9876"


def test_registry_list_reports_the_bundled_library(capsys):
    assert main(["registry", "list"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    functions = int(head.split(" Python functions")[0].split()[-1])
    categories = int(head.split(" categories")[0].split()[-1])
    assert functions >= 150 and categories >= 21, head


def test_registry_list_json_has_one_object_per_api(capsys, tmp_path):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"type": "function", "function": {"name": "lookup_user", "description": "Find a user.",
                                  "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}}]))
    assert main(["registry", "list", "--json", "--tools", str(tools)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all({"name", "category", "source", "kind"} <= set(r) for r in rows)
    assert {"name": "lookup_user", "category": None, "source": "openai", "kind": "documented"} in rows
    assert sum(r["kind"] == "python" for r in rows) >= 150


def test_registry_list_names_bad_input_and_keeps_the_rest(capsys, tmp_path):
    broken = tmp_path / "broken_module.py"
    broken.write_text("import not_a_real_module_xyz\n")
    assert main(["registry", "list", "--json", "--functions", str(broken)]) == 0
    captured = capsys.readouterr()
    assert "broken_module.py" in captured.err and "failed to import" in captured.err
    assert len(captured.out.splitlines()) >= 150


class _Api(BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _Api.hits.append(self.path.split("?")[0])
        if self.headers.get("X-Api-Key") != SECRET:
            body, status = {"message": "Invalid API key"}, 401
        elif self.path.startswith("/weather"):
            body, status = {"city": "Paris", "temp_c": 21}, 200
        else:
            body, status = {"error": "boom"}, 500
        send_json(self, status, body)


@pytest.fixture()
def rest_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.usefixtures("prefect_server")
def test_registry_check_runs_every_api_with_keys_from_a_block(tmp_path, rest_server, monkeypatch):
    from blocks.credentials import ApiCredentials

    monkeypatch.setenv("APIGEN_CACHE_DIR", str(tmp_path / "cache"))
    _Api.hits.clear()
    ApiCredentials(sets={"weather": {"api_key": SECRET}}).save("test-weather-keys", overwrite=True)
    auth = {"credentials": "weather", "auth": "X-Api-Key", "timeout_s": 2}
    rest = tmp_path / "apis.json"
    rest.write_text(json.dumps([
        {"name": "current_weather", "description": "Current weather for a city.", "category": "weather",
         "parameters": {"city": {"type": "str", "description": "City", "default": "Paris"}},
         "rest": {"method": "GET", "url_template": f"{rest_server}/weather", "query_params": ["city"], **auth}},
        {"name": "broken_forecast", "description": "A forecast endpoint that fails.", "category": "weather",
         "parameters": {"city": {"type": "str", "description": "City", "default": "Paris"}},
         "rest": {"method": "GET", "url_template": f"{rest_server}/forecast", **auth}},
        {"name": "mystery_endpoint", "description": "", "category": "weather",
         "parameters": {"q": {"type": "str", "default": "x"}},
         "rest": {"method": "GET", "url_template": f"{rest_server}/weather", **auth}},
    ]))
    out = tmp_path / "report.json"
    assert main(["registry", "check", "--rest", str(rest), "--credentials-block", "test-weather-keys",
                 "--out", str(out)]) == 0
    text = out.read_text()
    report = json.loads(text)
    apis = {a["name"]: a for a in report["apis"]}
    assert apis["current_weather"]["usable"] and apis["current_weather"]["kind"] == "rest"
    assert apis["broken_forecast"]["error_code"] == "http_500" and not apis["broken_forecast"]["usable"]
    assert apis["mystery_endpoint"]["ok"] and not apis["mystery_endpoint"]["usable"]
    assert {"no_description", "undocumented_param:q"} <= set(apis["mystery_endpoint"]["doc_flags"])
    python = [a for a in report["apis"] if a["kind"] == "python"]
    assert len(python) >= 150 and all(a["usable"] for a in python), [a for a in python if not a["usable"]][:3]
    assert report["summary"]["usable"] == len(python) + 1
    assert SECRET not in text and SECRET not in (tmp_path / "report.md").read_text()
    cached_files = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    assert cached_files and SECRET not in cached_files

    # A re-run answers successful REST calls from the response cache: only the failing one is asked again.
    before = list(_Api.hits)
    assert main(["registry", "check", "--rest", str(rest), "--credentials-block", "test-weather-keys",
                 "--out", str(tmp_path / "again.json")]) == 0
    assert before.count("/weather") == 2 and _Api.hits[len(before):].count("/weather") == 0
    assert _Api.hits[len(before):].count("/forecast") >= 1
