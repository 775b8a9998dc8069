"""``apigen verify`` reads BFCL question files (answers from ``possible_answer/`` beside them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from apigen.bfcl_layout import calls_from_ground_truth
from apigen.dataset_io import iter_raw_chunks, read_samples

BFCL = Path(__file__).parent / "data" / "bfcl"


def test_question_rows_become_xlam_rows_with_the_ground_truth_as_answers():
    samples = read_samples(BFCL / "BFCL_v4_parallel.json")
    first = samples[0]
    assert len(samples) == 200 and first.row_id == "parallel_0"
    assert first.query.startswith("Play songs from the artists Taylor Swift and Maroon 5")
    assert [t.name for t in first.tools] == ["spotify.play"]
    assert first.answers == [{"name": "spotify.play", "arguments": {"artist": "Taylor Swift", "duration": 20}},
                             {"name": "spotify.play", "arguments": {"artist": "Maroon 5", "duration": 15}}]
    # the chunked reader of ``verify`` reads the same rows the same way
    chunked = [s for chunk in iter_raw_chunks(BFCL / "BFCL_v4_parallel.json", 64) for s in chunk.samples()]
    assert [(s.row_id, s.answers) for s in chunked] == [(s.row_id, s.answers) for s in samples]


def test_ground_truth_conversion_omits_optional_values_and_walks_dicts():
    truth = [{"f": {"a": [3, 4], "b": ["", 1], "c": [{"x": ["u"], "y": ["", 2]}]}}]
    assert calls_from_ground_truth(truth) == [{"name": "f", "arguments": {"a": 3, "c": {"x": "u"}}}]
    for malformed in ("f", [{"f": {"a": []}}], [{"f": 1}], [{"f": {}, "g": {}}], None):
        assert calls_from_ground_truth(malformed) is None


def test_irrelevance_rows_are_no_call_rows_and_a_question_without_answers_is_named(tmp_path):
    irrelevance = read_samples(BFCL / "BFCL_v4_irrelevance.json")
    assert len(irrelevance) == 240 and all(s.answers == [] for s in irrelevance)
    lonely = tmp_path / "BFCL_v4_multiple.json"
    shutil.copy(BFCL / "BFCL_v4_multiple.json", lonely)  # no possible_answer/ beside it
    (broken_dir := tmp_path / "with" / "possible_answer").mkdir(parents=True)
    shutil.copy(BFCL / "BFCL_v4_multiple.json", broken_dir.parent / "BFCL_v4_multiple.json")
    lines = (BFCL / "possible_answer" / "BFCL_v4_multiple.json").read_text().splitlines()
    (broken_dir / "BFCL_v4_multiple.json").write_text("\n".join(['{"id": "multiple_0", "ground_truth": 7}', "{oops",
                                                                 *lines[2:]]) + "\n")
    from apigen.stages import run_format

    for path, first_code in ((lonely, "missing_field"), (broken_dir.parent / "BFCL_v4_multiple.json", "missing_field")):
        checked = run_format(read_samples(path))
        assert checked[0].verdicts["format"].codes == [first_code], checked[0].verdicts["format"]
    with_answers = run_format(read_samples(broken_dir.parent / "BFCL_v4_multiple.json"))
    assert with_answers[2].verdicts["format"].status == "passed"  # the other rows keep their answers


@pytest.mark.usefixtures("prefect_server")
def test_verify_dedup_on_bfcl_multiple_finds_its_repeated_questions(tmp_path):
    from apigen.cli import main

    out = tmp_path / "v.jsonl"
    assert main(["verify", str(BFCL / "BFCL_v4_multiple.json"), "--stages", "format", "--dedup", "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    duplicates = {r["id"]: r["stages"]["dedup"]["errors"][0]["message"] for r in records
                  if r["stages"].get("dedup", {}).get("status") == "failed"}
    # BFCL's multiple set repeats questions 108-111 as 195-198
    assert sorted(duplicates) == [f"multiple_{i}" for i in range(195, 199)]
    assert all(f"'multiple_{i - 87}'" in duplicates[f"multiple_{i}"] for i in range(195, 199))
