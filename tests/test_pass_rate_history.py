"""Pass rates across runs: each run's record and the history artifact, read back from a real server."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import pytest

from apigen.config import LLMConfig, RunConfig
from apigen.pass_rate_history import HISTORY_KEY, RECORD_KEY, history_markdown, run_record, sparkline, sparkline_svg
from apigen.sim.server import SimConfig, SimServer


def _summary(rates: dict[str, float | None], verified: int = 3) -> dict:
    return {"generated": 10, "requested_pairs": 12, "verified": verified, "generator_model": "openai/m",
            "prompt_version": "generate:3", "stages": {s: {"pass_rate": r} for s, r in rates.items()}}


def test_sparkline_maps_rates_to_bars_on_the_runs_own_range():
    assert sparkline([0.0, 0.5, 1.0, None, 0.99]) == "▁▅█ █"
    assert sparkline([0.91, 0.97, 0.95]) == "▁█▆"  # a few points apart still show
    assert sparkline([0.8, 0.8]) == "██" and sparkline([None]) == " "


def test_sparkline_svg_is_a_data_image_with_one_point_per_known_rate():
    image = sparkline_svg([0.9, None, 0.6, 0.75])
    alt, uri = re.fullmatch(r"!\[(.*)\]\((data:image/svg\+xml;base64,[A-Za-z0-9+/=]+)\)", image).groups()
    assert alt == "█ ▁▅"
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    points = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', svg).group(1).split()]
    assert len(points) == 3 and points[0][0] < points[1][0] < points[2][0]
    ys = [y for _, y in points]
    assert ys[0] < ys[2] < ys[1]  # higher rate, higher on the chart (smaller y)
    assert "<script" not in svg and sparkline_svg([None]) == "-"


def test_history_markdown_lists_runs_newest_first_with_trends():
    older = run_record(_summary({"format": 0.9, "execution": 0.8, "semantic": 0.5}), "old-run", "2026-11-01T10:00:00+00:00")
    newer = run_record(_summary({"format": 1.0, "execution": None, "semantic": 0.75}, verified=6), "new-run",
                       "2026-11-02T10:00:00+00:00")
    text = history_markdown([newer, older], "flow generate-dataset")
    assert "last 2 runs (flow generate-dataset)" in text
    assert re.search(r"\| format \| !\[▁█\]\(data:image/svg\+xml;base64,[^)]+\) \| 100.0% \| 90.0% \| 100.0% \|", text)
    assert re.search(r"\| execution \| !\[█\]\(data:image/svg\+xml;base64,[^)]+\) \| - \| 80.0% \| 80.0% \|", text)
    rows = [line for line in text.splitlines() if line.startswith("| 2026-")]
    assert rows[0].startswith("| 2026-11-02 10:00:00 | new-run | openai/m | generate:3 | 12 | 6 |")
    assert rows[1].endswith("| 90.0% | 80.0% | 50.0% |")
    assert "No earlier run" in history_markdown([], "flow x")


@pytest.mark.usefixtures("prefect_server")
def test_history_of_the_third_run_lists_three_runs_with_their_rates(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from flows.generate_dataset import generate_dataset

    summaries = []
    for i, flaw_rate in enumerate((0.0, 0.3, 0.6)):
        with SimServer(SimConfig(seed=5, flaw_rate=flaw_rate)) as server:
            llm = LLMConfig(model="openai/apigen-sim", api_base=server.api_base, simulated=True)
            summaries.append(generate_dataset(RunConfig(n=24, generator=llm, judge=llm, seed=5 + i, batch_size=12,
                                                        out=str(tmp_path / f"out{i}"),
                                                        result_storage=str(tmp_path / "store"))))

    async def read(key: str, limit: int):
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                               sort=ArtifactSort.CREATED_DESC, limit=limit)

    history = asyncio.run(read(HISTORY_KEY, 1))[0]
    records = asyncio.run(read(RECORD_KEY, 3))
    assert len({r.flow_run_id for r in records}) == 3 and history.flow_run_id == records[0].flow_run_id
    rows = [json.loads(r.data)[0] if isinstance(r.data, str) else r.data[0] for r in records]  # newest first
    table = [line for line in history.data.splitlines() if line.startswith("| 20")]
    # Other tests' runs of the same flow may follow; this test's three are the newest three rows.
    for row, line, summary in zip(rows, table[:3], reversed(summaries)):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == row["run"] and cells[4] == str(summary["requested_pairs"]) and cells[5] == str(summary["verified"])
        assert cells[6:9] == [f"{100 * summary['stages'][s]['pass_rate']:.1f}%" for s in ("format", "execution", "semantic")]
    # the planted flaws make the pass rates fall run after run: the trend shows it
    format_rates = [s["stages"]["format"]["pass_rate"] for s in summaries]
    assert format_rates[0] > format_rates[2], format_rates
