"""Diversity figures of a run (``apigen.diversity``) and the per-category breakdown of its summary."""

from __future__ import annotations

from api_registry.spec import ToolSpec
from apigen.dashboard import diversity_markdown
from apigen.diversity import DiversityCounter, query_words
from apigen.models import Provenance, Sample, StageResult, Style
from apigen.summary import summarize

WEATHER = ToolSpec(name="get_weather", description="Current weather of a city.", category="weather",
                   parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
RATES = ToolSpec(name="exchange_rate", description="Rate between two currencies.", category="finance",
                 parameters={"type": "object", "properties": {"base": {"type": "string"}}, "required": ["base"]})
FORECAST = ToolSpec(name="forecast", description="Forecast of a city.", category="weather",
                    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})


def _sample(i: int, query: str, tools: list[ToolSpec], answers: list[dict], style: Style, verified: bool = True) -> Sample:
    prov = Provenance(style=style, category="+".join(sorted({t.category for t in tools})), generator_model="m",
                      prompt_version="p", seed=0, request_index=i, pair_index=0)
    status = "passed" if verified else "failed"
    verdicts = {"format": StageResult(stage="format", status="passed"),
                "execution": StageResult(stage="execution", status="passed"),
                "semantic": StageResult(stage="semantic", status=status)}
    return Sample(key=f"k{i}", query=query, tools=tools, answers=answers, provenance=prov, verdicts=verdicts)


SAMPLES = [
    _sample(0, "What is the weather in Paris?", [WEATHER], [{"name": "get_weather", "arguments": {"city": "Paris"}}],
            Style.SIMPLE),
    _sample(1, "What is the weather in Rome?", [WEATHER, RATES],
            [{"name": "get_weather", "arguments": {"city": "Rome"}}], Style.MULTIPLE),
    # rejected: its APIs count as offered, nothing else of it counts
    _sample(2, "Forecast for Oslo and the rate of NOK", [FORECAST, RATES],
            [{"name": "forecast", "arguments": {"city": "Oslo"}}], Style.PARALLEL_MULTIPLE, verified=False),
]


def test_diversity_figures_are_counted_over_verified_rows():
    d = DiversityCounter(apis_available=10).add(SAMPLES[:2]).add(SAMPLES[2:]).summary()
    assert d["verified_rows"] == 2
    assert d["apis"] == {"offered": 3, "used": 1, "available": 10, "used_of_offered": round(1 / 3, 4)}
    # "what is the weather in paris" / "... rome": 6 words each
    assert d["query_words"] == {"min": 6, "p10": 6, "median": 6, "p90": 6, "max": 6, "mean": 6.0}
    # 2-grams: 5 per query, 4 shared ("what is", "is the", "the weather", "weather in") -> 6 distinct of 10
    assert d["distinct_2"] == 0.6
    # 3-grams: 4 per query, 3 shared -> 5 distinct of 8
    assert d["distinct_3"] == round(5 / 8, 4)
    assert d["style_share"] == {"multiple": 0.5, "simple": 0.5}
    # the multi-category verified sample counts in weather and in finance, not as "finance+weather"
    assert d["by_category"] == {"weather": 2, "finance": 1}


def test_summary_category_breakdown_splits_multi_category_samples():
    summary = summarize(SAMPLES)
    assert set(summary["by_category"]) == {"weather", "finance"}
    assert summary["by_category"]["weather"] == {"verified": 2, "rejected": 1}
    assert summary["by_category"]["finance"] == {"verified": 1, "rejected": 1}


def test_query_words_ignore_punctuation_and_case():
    assert query_words("Hello, WORLD! 3.5 km?") == ["hello", "world", "3", "5", "km"]
    assert query_words(None) == []  # a row of an existing dataset may have no query text


def test_empty_run_and_markdown():
    empty = DiversityCounter().summary()
    assert empty["query_words"] is None and empty["distinct_2"] is None and empty["apis"]["used_of_offered"] is None
    text = diversity_markdown({"diversity": DiversityCounter(apis_available=10).add(SAMPLES).summary()})
    assert "1 called of 3 offered (10 in the registry)" in text
    assert "distinct-2: 60.0%" in text and "| weather | 2 |" in text
    assert "No diversity figures" in diversity_markdown({})
