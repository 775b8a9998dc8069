"""Deduplication (``apigen.dedup``): exact and near-duplicate pairs across a run, copies of few-shot
examples, the first occurrence kept, the dedup verdict in the export, the summary and ``apigen verify``."""

import json
from pathlib import Path

import pytest

from api_registry.spec import ToolSpec
from apigen.batch import BatchResult
from apigen.config import LLMConfig, RunConfig
from apigen.dedup.build import build_filter, seed_references
from apigen.dedup.dataset_filter import DatasetFilter
from apigen.dedup.exact import exact_key
from apigen.dedup.near import NearIndex, Signer
from apigen.dedup.normalize import normalize_query, word_ngrams, words
from apigen.models import Finding, Provenance, Sample, StageResult, Style
from apigen.stages import final_status
from apigen.summary import summarize
from helpers import read_dataset

DATA = Path(__file__).parent / "data"
XLAM = DATA / "xlam" / "xlam_sample_15.jsonl"
XLAM_ROWS = [json.loads(line) for line in XLAM.read_text().splitlines()]


def sample(key: str, query: str, answers, tools=(), fail: str | None = None) -> Sample:
    prov = Provenance(style=Style.SIMPLE, category="c", generator_model="m", prompt_version="p", seed=0,
                      request_index=0, pair_index=0)
    s = Sample(key=key, query=query, tools=list(tools), answers=answers, provenance=prov)
    for stage in ("format", "execution", "semantic"):
        if stage == fail:
            return s.with_verdict(StageResult(stage=stage, status="failed", errors=(Finding(code="boom", message="m"),)))
        s = s.with_verdict(StageResult(stage=stage, status="passed"))
    return s


def xlam(i: int, key: str | None = None, query: str | None = None) -> Sample:
    row = XLAM_ROWS[i]
    tools = [ToolSpec(**t) for t in json.loads(row["tools"])]
    return sample(key or f"x-{i}", row["query"] if query is None else query, json.loads(row["answers"]), tools)


def verdict(s: Sample) -> StageResult | None:
    return s.verdicts.get("dedup")


def jaccard3(a: str, b: str) -> float:
    x, y = set(word_ngrams(words(a), 3)), set(word_ngrams(words(b), 3))
    return len(x & y) / len(x | y)


def test_normalization_ignores_case_unicode_form_and_punctuation():
    assert normalize_query("What's the  WEATHER in Paris？") == normalize_query("what s the weather in paris") == \
        "what s the weather in paris"
    assert normalize_query("ﬁnd Ｔｈｅ café") == "find the café"  # NFKC: ligature and full-width letters
    assert word_ngrams(["a", "b"], 3) == ["a b"] and word_ngrams([], 3) == []


def test_exact_key_is_the_normalized_query_and_the_answers_as_data():
    a = exact_key("Fetch details for product 456789.", [{"name": "f", "arguments": {"a": 1, "b": 2}}])
    assert a == exact_key("fetch details for PRODUCT 456789", '[{"arguments": {"b": 2, "a": 1}, "name": "f"}]')
    assert a != exact_key("fetch details for product 456789", [{"name": "f", "arguments": {"a": 1, "b": 3}}])
    assert exact_key("q", "not json [") != exact_key("q", "not json")  # a raw string is compared as itself


def test_exact_duplicate_rejected_first_occurrence_kept():
    f = DatasetFilter()
    first, copy = xlam(5, "k-1"), xlam(5, "k-2", query=XLAM_ROWS[5]["query"].upper() + "!!")
    out = f.apply([first, xlam(6), copy])
    assert [verdict(s).status for s in out] == ["passed", "passed", "failed"]
    finding = verdict(out[2]).errors[0]
    assert finding.code == "duplicate" and "sample k-1" in finding.message
    assert final_status(out[2]) == "rejected" and out[2].rejected_at == "dedup" and final_status(out[0]) == "verified"


def test_reworded_copy_is_a_near_duplicate_a_different_query_on_the_same_tool_is_not():
    original = XLAM_ROWS[13]["query"]  # 'I need to order 3 cartons of milk and 2 loaves of bread from the Safeway ...'
    reworded = "Please, " + original.replace("Can you handle that?", "Can you handle this?")
    other = "I need to order 5 bags of rice and a dozen eggs from the Safeway in Mountain View, CA."
    assert jaccard3(original, reworded) >= 0.85 and jaccard3(original, other) < 0.3
    f = DatasetFilter(threshold=0.8)
    out = f.apply([xlam(13, "k-1"), xlam(13, "k-2", query=reworded), xlam(13, "k-3", query=other)])
    assert [verdict(s).status for s in out] == ["passed", "failed", "passed"]
    finding = verdict(out[1]).errors[0]
    assert finding.code == "near_duplicate" and "sample k-1" in finding.message and f"Jaccard {round(jaccard3(original, reworded), 3)} >= 0.8" in finding.message
    # the same query with other answers is a near duplicate (the query is what a model learns from)
    again = f.apply([sample("k-4", original, [{"name": "place_safeway_order", "arguments": {}}])])
    assert verdict(again[0]).errors[0].code == "near_duplicate"


def test_threshold_is_an_option():
    original = XLAM_ROWS[13]["query"]
    changed = original.replace("3 cartons of milk", "4 cartons of oat milk")
    j = jaccard3(original, changed)
    assert 0.5 < j < 0.75
    strict, loose = DatasetFilter(threshold=0.8), DatasetFilter(threshold=0.5)
    pair = [xlam(13, "k-1"), xlam(13, "k-2", query=changed)]
    assert verdict(strict.apply(pair)[1]).status == "passed"
    assert verdict(loose.apply(pair)[1]).errors[0].code == "near_duplicate"
    with pytest.raises(ValueError):
        NearIndex(Signer(), 0)


def test_copy_of_a_seed_example_is_caught():
    refs = seed_references()
    seeds = (Path(__file__).resolve().parents[1] / "prompts" / "seed_examples.jsonl").read_text().splitlines()
    assert len(refs) == len([line for line in seeds if line.strip()]) and refs[7].label == "seed example 7"
    f = DatasetFilter(references=refs)
    copied = sample("k-1", XLAM_ROWS[7]["query"] + " Thanks!", json.loads(XLAM_ROWS[7]["answers"]))
    exact = sample("k-2", XLAM_ROWS[2]["query"], json.loads(XLAM_ROWS[2]["answers"]))
    out = f.apply([copied, exact])
    assert verdict(out[0]).errors[0].code == "near_duplicate" and "seed example 7" in verdict(out[0]).errors[0].message
    assert verdict(out[1]).errors[0].code == "duplicate" and "seed example 2" in verdict(out[1]).errors[0].message


def test_examples_from_pool_is_a_reference_too(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text(json.dumps({"query": "Convert 100 US dollars to euros at today's rate.", "tools": "[]",
                                "answers": '[{"name": "convert", "arguments": {"amount": 100}}]'}) + "\n")
    refs = seed_references(str(pool))
    assert refs[-1].label == f"example 0 of {pool}"
    out = DatasetFilter(references=refs).apply([sample("k", "convert 100 us dollars to euros at today's rate",
                                                       [{"name": "convert", "arguments": {"amount": 100}}])])
    assert verdict(out[0]).errors[0].code == "duplicate"


def test_rejected_samples_are_not_indexed_and_get_no_dedup_verdict():
    f = DatasetFilter()
    out = f.apply([xlam(4, "k-1").model_copy(update={"verdicts": {}}), xlam(4, "k-0")])
    # the first has no verdicts at all (not verified): untouched; the second is the first occurrence
    assert "dedup" not in out[0].verdicts and verdict(out[1]).status == "passed"
    failed = sample("k-9", XLAM_ROWS[3]["query"], json.loads(XLAM_ROWS[3]["answers"]), fail="semantic")
    out = f.apply([failed, xlam(3, "k-10")])
    assert "dedup" not in out[0].verdicts and verdict(out[1]).status == "passed"
    assert f.stats()["dedup"]["checked"] == 2


def test_first_occurrence_kept_across_batches_in_run_order(tmp_path):
    """RunExport applies one filter for the whole run, in batch index order whatever order batches finish in."""
    from tasks.export import RunExport

    config = RunConfig(n=8, generator=LLMConfig(model="m", simulated=True), judge=LLMConfig(model="m", simulated=True),
                       out=str(tmp_path / "out"), bundled_decontamination=False)
    export = RunExport(config)
    batch0 = BatchResult(index=0, samples=(xlam(0, "b0-0"), xlam(1, "b0-1")))
    batch1 = BatchResult(index=1, samples=(xlam(0, "b1-0", query=XLAM_ROWS[0]["query"].lower()), xlam(2, "b1-1")))
    batch2 = BatchResult(index=2, samples=(xlam(1, "b2-0"), xlam(12, "b2-1")))
    for batch in (batch2, batch1, batch0):  # finished in reverse order
        export.add(batch)
    # the seed examples are these xlam rows: every one of them is a copy of a seed example
    result = export.finish()
    verified, rejected, summary = read_dataset(tmp_path / "out")
    assert verified == [] and len(rejected) == 6
    assert {r["rejected_stage"] for r in rejected} == {"dedup"}
    assert summary["dedup"]["duplicates"] == 6 and summary["stages"]["dedup"]["failed"] == 6
    assert result["summary"]["verified"] == 0

    export = RunExport(config.model_copy(update={"out": str(tmp_path / "out2")}))
    export.filter = DatasetFilter()  # no seed examples: what is left is the run's own duplicates
    for batch in (batch2, batch1, batch0):
        export.add(batch)
    export.finish()
    verified, rejected, summary = read_dataset(tmp_path / "out2")
    assert [r["query"] for r in verified] == [XLAM_ROWS[i]["query"] for i in (0, 1, 2, 12)]
    messages = {json.loads(r["errors"])[0]["message"] for r in rejected}
    assert messages == {"same query and answers as sample b0-0, kept", "same query and answers as sample b0-1, kept"}
    assert summary["stages"]["dedup"] == {"in": 6, "passed": 4, "failed": 2, "pass_rate": 0.6667,
                                          "errors": {"duplicate": 2}}
    assert summary["dedup"] == {"checked": 6, "duplicates": 2, "near_duplicates": 0, "duplicate_rate": 0.3333,
                                "near_duplicate_rate": 0.0, "threshold": 0.8, "reference_examples": 0}
    assert summary["generated"] == 6 and summary["verified"] == 4 and summary["rejected"] == 2


def test_summary_has_no_dedup_row_when_nothing_was_deduplicated():
    summary = summarize([xlam(0), xlam(1)])
    assert list(summary["stages"]) == ["format", "execution", "semantic"] and "dedup" not in summary


def test_off_means_no_filter_and_nothing_loaded():
    assert build_filter(dedup=False, bundled=False) is None
    only_contamination = build_filter(dedup=False, bundled=True)
    out = only_contamination.apply([xlam(0, "a"), xlam(0, "b")])
    assert [verdict(s).status for s in out] == ["passed", "passed"]
    assert "dedup" not in only_contamination.stats() and "contamination" in only_contamination.stats()


def test_run_config_and_cli_options():
    from apigen.cli import UsageError, build_parser
    from apigen.cli.generate import config_from_args as _config_from_args

    args = build_parser().parse_args(["generate", "--simulate", "--no-dedup", "--near-dup-threshold", "0.7",
                                      "--no-bundled-decontamination", "--decontaminate", str(XLAM)])
    config = _config_from_args(args, None, "m", True)
    assert (config.dedup, config.near_dup_threshold, config.bundled_decontamination) == (False, 0.7, False)
    assert config.decontaminate == (str(XLAM.resolve()),)
    defaults = _config_from_args(build_parser().parse_args(["generate", "--simulate"]), None, "m", True)
    assert (defaults.dedup, defaults.near_dup_threshold, defaults.bundled_decontamination, defaults.decontaminate) == \
        (True, 0.8, True, ())
    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "--near-dup-threshold", "0"])
    with pytest.raises(UsageError, match="no such file"):
        _config_from_args(build_parser().parse_args(["generate", "--decontaminate", "nope.txt"]), None, "m", True)


@pytest.mark.usefixtures("prefect_server")
def test_verify_dedup_through_the_cli_on_real_rows(tmp_path):
    """xlam rows with two exact copies and a reworded copy: the first occurrences pass, the copies fail
    naming the kept row's id; chunks of 4 rows, so duplicates are found across chunks."""
    from apigen.cli import main

    rows = list(XLAM_ROWS)
    rows.append({**XLAM_ROWS[3], "id": 100})
    rows.append({**XLAM_ROWS[13], "id": 101, "query": "Please, " + XLAM_ROWS[13]["query"]})
    rows.append({**XLAM_ROWS[0], "id": 102, "query": XLAM_ROWS[0]["query"].upper()})
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # without --dedup the same file passes whole (and the verdicts have no dedup entry); run first, so that
    # its cached chunk results (verdict lines) must not stand in for the samples --dedup needs
    assert main(["verify", str(data), "--stages", "format", "--batch-size", "4", "--out", str(tmp_path / "w.jsonl")]) == 0
    plain = [json.loads(line) for line in (tmp_path / "w.jsonl").read_text().splitlines()]
    assert all(r["passed"] and "dedup" not in r["stages"] for r in plain)
    out = tmp_path / "v.jsonl"
    assert main(["verify", str(data), "--stages", "format", "--dedup", "--batch-size", "4", "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [r["id"] for r in rows]
    assert [r["passed"] for r in records] == [True] * 15 + [False] * 3
    assert all(r["stages"]["dedup"]["status"] == "passed" for r in records[:15])
    codes = [r["stages"]["dedup"]["errors"][0]["code"] for r in records[15:]]
    assert codes == ["duplicate", "near_duplicate", "duplicate"]
    assert "row id 3 (line 4)" in records[15]["stages"]["dedup"]["errors"][0]["message"]
    assert "row id 13 (line 14)" in records[16]["stages"]["dedup"]["errors"][0]["message"]
    summary = json.loads((tmp_path / "v.summary.json").read_text())
    assert summary["passed"] == 15 and summary["failed"] == 3
    assert summary["stages"]["dedup"] == {"in": 18, "passed": 15, "failed": 3, "pass_rate": 0.8333,
                                          "errors": {"duplicate": 2, "near_duplicate": 1}}
    assert summary["dedup"]["duplicates"] == 2 and summary["dedup"]["near_duplicates"] == 1
    assert summary["error_codes"] == {"duplicate": 2, "near_duplicate": 1}
