"""Decontamination (``apigen.dedup.contamination``): a query that overlaps a benchmark question (a
shared word 8-gram, or a near duplicate) is rejected ``contaminated`` naming the benchmark and test id;
the bundled BFCL v4 set and every kind of user file; the summary's figures."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from apigen.benchmark_sets import bundled_questions
from apigen.config import LLMConfig, RunConfig
from apigen.batch import BatchResult
from apigen.dataset_io import InputError
from apigen.dedup.build import build_filter
from apigen.dedup.contamination import ContaminationIndex, bundled_set, load_question_file
from apigen.dedup.dataset_filter import DatasetFilter
from apigen.dedup.near import Signer
from helpers import read_dataset
from test_dedup import XLAM, XLAM_ROWS, sample, verdict, xlam

DATA = Path(__file__).parent / "data"
BFCL_MULTIPLE = DATA / "bfcl" / "BFCL_v4_multiple.json"
BFCL = {q["id"]: q["query"] for q in bundled_questions()}


def finding(s):
    return verdict(s).errors[0]


@pytest.fixture(scope="module")
def bundled():
    return build_filter(dedup=False, bundled=True)


def test_bundled_set_is_the_1480_bfcl_v4_questions():
    qset = bundled_set()
    assert qset.name == "bfcl_v4" and len(qset.questions) == 1480
    assert qset.questions[0].id == "irrelevance_0"


def test_question_pasted_into_a_longer_query_is_caught_by_a_shared_8gram(bundled):
    question = BFCL["multiple_5"]  # 'What is the wind speed and temperature in location given by coordinates ...'
    query = "Hi there! For my sailing trip, " + question.lower().replace("?", "") + " and also tell me the humidity."
    out = bundled.apply([sample("k-1", query, [{"name": "f", "arguments": {}}])])
    f = finding(out[0])
    assert f.code == "contaminated" and "bfcl_v4 test question multiple_5" in f.message and "n-gram" in f.message
    assert bundled.stats()["contamination"]["by_benchmark"] == {"bfcl_v4": 1}


def test_stock_phrasing_shared_with_a_question_is_not_contamination_half_a_question_is(bundled):
    question = BFCL["parallel_141"]
    stock = "can you provide me with the list of"  # one of the question's 8-grams, and everyday phrasing
    assert stock in question.lower().replace(",", "")
    query = "Can you provide me with the list of open pharmacies near Lyon Part-Dieu station tonight?"
    words = question.split()
    half = "Hello. " + " ".join(words[:len(words) // 2 + 5]) + " ... and what about the weekend schedule?"
    out = bundled.apply([sample("k-1", query, []), sample("k-2", half, [])])
    assert verdict(out[0]).status == "passed"
    assert finding(out[1]).code == "contaminated" and "parallel_141" in finding(out[1]).message


def test_short_question_is_caught_as_a_near_duplicate():
    question = BFCL["irrelevance_28"]  # 'How many sides does a hexagon have?' (7 words: no 8-gram)
    index = ContaminationIndex([bundled_set()], Signer(), 0.8)
    hit = index.match("how many sides does a hexagon have".split(), Signer().sign("how many sides does a hexagon have".split()))
    assert hit.how == "near_duplicate" and hit.test_id == "irrelevance_28" and hit.jaccard >= 0.8
    f = DatasetFilter(dedup=False, contamination=index)
    out = f.apply([sample("k", question.upper(), [])])
    assert finding(out[0]).code == "contaminated" and "irrelevance_28" in finding(out[0]).message
    assert "word 3-gram Jaccard 1.0" in finding(out[0]).message


def test_clean_real_queries_are_not_contaminated(bundled):
    """xlam rows (another dataset's queries) share no 8-gram with BFCL and are not near duplicates of it."""
    out = bundled.apply([xlam(i) for i in range(15)])
    assert [verdict(s).status for s in out] == ["passed"] * 15


def test_related_query_on_the_same_topic_is_not_contaminated(bundled):
    # the same task as simple_python_0 ('Find the area of a triangle with a base of 10 units and height of 5 units.')
    # in other words and numbers: not a copy of the test question
    out = bundled.apply([sample("k", "Compute a triangle's area when its base measures 7 cm and its height 3 cm.", [])])
    assert verdict(out[0]).status == "passed"


def test_contamination_comes_before_dedup_and_a_contaminated_query_is_not_kept():
    f = build_filter(dedup=True, bundled=True)
    query = BFCL["simple_python_0"]
    out = f.apply([sample("k-1", query, []), sample("k-2", query, [])])
    assert [finding(s).code for s in out] == ["contaminated", "contaminated"]
    assert f.stats()["dedup"]["duplicates"] == 0 and f.stats()["contamination"]["rejected"] == 2


def test_bfcl_question_file(tmp_path):
    qset = load_question_file(BFCL_MULTIPLE)
    assert qset.name == "BFCL_v4_multiple" and len(qset.questions) == 200 and qset.questions[5].id == "multiple_5"
    f = build_filter(dedup=False, bundled=False, decontaminate=[str(BFCL_MULTIPLE)])
    out = f.apply([sample("k", "Please: " + qset.questions[5].query, [])])
    assert "BFCL_v4_multiple test question multiple_5" in finding(out[0]).message
    assert f.stats()["contamination"]["sets"] == [{"name": "BFCL_v4_multiple", "questions": 200}]


def test_xlam_layout_files_jsonl_json_and_parquet(tmp_path):
    as_json = tmp_path / "xlam_list.json"
    as_json.write_text(json.dumps(XLAM_ROWS))
    parquet = DATA / "xlam" / "xlam_arcee_subset_15rows.parquet"
    for path, name in ((XLAM, "xlam_sample_15"), (as_json, "xlam_list"), (parquet, "xlam_arcee_subset_15rows")):
        qset = load_question_file(path)
        assert qset.name == name and len(qset.questions) == 15
        f = build_filter(dedup=False, bundled=False, decontaminate=[str(path)])
        text = pq.read_table(parquet).to_pylist()[9]["query"] if path == parquet else XLAM_ROWS[9]["query"]
        out = f.apply([sample("k", text + " Thank you.", [])])
        assert f"{name} test question 9" in finding(out[0]).message


def test_text_file_names_the_line_and_bad_rows_are_skipped(tmp_path):
    text = tmp_path / "heldout.txt"
    text.write_text("\nWhat is the current exchange rate between the Swiss franc and the Japanese yen today?\n")
    f = build_filter(dedup=False, bundled=False, decontaminate=[str(text)])
    out = f.apply([sample("k", "what is the current exchange rate between the swiss franc and the japanese yen", []),
                   sample("k2", "What is the current weather in Zurich?", [])])
    assert "heldout test question 2" in finding(out[0]).message and verdict(out[1]).status == "passed"
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "question": [[{"role": "user", "content": "Find five restaurants near the old '
                      'harbour of Marseille open after ten"}]]}\n{not json\n{"id": "c"}\n"just a string"\n')
    qset = load_question_file(broken)
    assert [q.id for q in qset.questions] == ["a"] and qset.skipped == 3
    with pytest.raises(InputError):
        load_question_file(tmp_path / "missing.txt")


def test_run_summary_counts_contamination_by_benchmark(tmp_path):
    from tasks.export import RunExport

    text = tmp_path / "private_eval.txt"
    text.write_text("Schedule a dentist appointment for next Tuesday at half past four in the afternoon please\n")
    config = RunConfig(n=4, generator=LLMConfig(model="m", simulated=True), judge=LLMConfig(model="m", simulated=True),
                       out=str(tmp_path / "out"), decontaminate=(str(text),))
    export = RunExport(config)
    export.add(BatchResult(index=0, samples=(
        sample("b-0", BFCL["parallel_multiple_5"], []),
        sample("b-1", "Schedule a dentist appointment for next Tuesday at half past four in the afternoon", []),
        sample("b-2", "Book a table for two at an Italian restaurant in Lyon on Friday evening.", []),
        sample("b-3", BFCL["parallel_multiple_5"], [], fail="semantic"))))
    export.finish()
    verified, rejected, summary = read_dataset(tmp_path / "out")
    assert [r["query"] for r in verified] == ["Book a table for two at an Italian restaurant in Lyon on Friday evening."]
    assert summary["contamination"] == {
        "rejected": 2, "by_benchmark": {"bfcl_v4": 1, "private_eval": 1}, "ngram": 8, "min_share": 0.5,
        "sets": [{"name": "bfcl_v4", "questions": 1480}, {"name": "private_eval", "questions": 1}]}
    assert summary["stages"]["dedup"]["errors"] == {"contaminated": 2}
    stages = {(r["query"], r["rejected_stage"]): json.loads(r["errors"])[0] for r in rejected}
    assert "bfcl_v4 test question parallel_multiple_5" in stages[BFCL["parallel_multiple_5"], "dedup"]["message"]
    assert stages[BFCL["parallel_multiple_5"], "semantic"]["code"] == "boom"  # rejected earlier: not checked


@pytest.mark.usefixtures("prefect_server")
def test_verify_decontaminate_through_the_cli(tmp_path):
    from apigen.cli import main

    held_out = tmp_path / "held_out.jsonl"
    held_out.write_text(json.dumps({"id": "t-7", "query": XLAM_ROWS[11]["query"]}) + "\n")
    out = tmp_path / "v.jsonl"
    assert main(["verify", str(XLAM), "--stages", "format", "--decontaminate", str(held_out), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records if not r["passed"]] == [11]
    error = records[11]["stages"]["dedup"]["errors"][0]
    assert error["code"] == "contaminated" and "held_out test question t-7" in error["message"]
    summary = json.loads((tmp_path / "v.summary.json").read_text())
    assert summary["contamination"]["by_benchmark"] == {"held_out": 1} and "dedup" not in summary
