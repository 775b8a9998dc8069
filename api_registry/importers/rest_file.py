"""Import a user's REST API definitions: tool docs that also say how to call the endpoint.

A JSON list (or JSON Lines) of ``{name, description, parameters, category?, rest: {method,
url_template, query_params?, body_params?, headers?, credentials?, auth?, timeout_s?}}``.
Credentials are only ever *named* here (``"credentials": "weather"``); the secrets live in an
``ApiCredentials`` block and are looked up at call time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from api_registry.importers import ImportResult, SpecCollector, as_paths, describe_error, read_records
from api_registry.rest import RestApi

SOURCE = "rest"


def import_rest_file(*paths: str | Path) -> ImportResult:
    collector = SpecCollector(strict=True)
    for path in as_paths(paths):
        for index, entry in read_records(path, collector):
            name = entry.get("name") if isinstance(entry, dict) else None
            where = f"#{index} {name}" if name else f"#{index}"
            if not isinstance(entry, dict) or not isinstance(entry.get("rest"), dict):
                collector.error(path.name, where, "an entry needs a 'rest' object saying how to call it")
                continue
            fields = {k: v for k, v in entry.items() if k != "rest"}
            spec = collector.build(path.name, where, **{"source": SOURCE, **fields})
            if spec is None:
                continue
            try:
                api = RestApi(name=spec.name, **entry["rest"])
            except (ValidationError, ValueError, TypeError) as exc:
                collector.error(path.name, where, f"rest: {describe_error(exc)}")
                continue
            collector.add(spec, path.name, where, rest=api)
    return collector.result
