"""Untrusted rows checked by a later stage without the format stage (``verify --stages execution`` or
``semantic``): answers that are not calls are that row's rejection (``calls_unusable``), never a crash
of the chunk that takes the other rows down with it."""

from __future__ import annotations

import json
from pathlib import Path

from api_registry.sources import RegistrySources, load_registry
from apigen.chunk_checks import ChunkPlan, check_locally
from apigen.dataset_io import read_samples
from apigen.verify.execution import Signatures

XLAM = Path(__file__).parent.parent / "data" / "xlam" / "xlam_sample_15.jsonl"
BROKEN = ["null", '{"name": "f"}', '[{"name": 5}]', '["f"]', '[{"name": "f", "arguments": "[1]"}]',
          '[{"name": "f", "arguments": "{\\"a\\": NaN}"}]', '[{"name": "f", "arguments": 3}]']


def _rows(tmp_path: Path) -> list:
    good = [json.loads(line) for line in XLAM.read_text().splitlines()[:3]]
    bad = [{"id": 100 + i, "query": "q", "tools": "[]", "answers": answers} for i, answers in enumerate(BROKEN)]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in good + bad))
    return read_samples(path)


def test_execution_alone_rejects_rows_whose_answers_are_not_calls(tmp_path):
    registry = load_registry(RegistrySources())
    signatures = Signatures.of(registry.executable_names(), registry.get, registry.refusal)
    out = check_locally(_rows(tmp_path), ChunkPlan(stages=("execution",), signatures=signatures))
    broken = out[3:]
    assert [s.verdicts["execution"].status for s in broken] == ["failed"] * len(BROKEN)
    assert all(s.verdicts["execution"].errors[0].code == "calls_unusable" for s in broken)
    assert all("calls_unusable" not in json.dumps(s.verdicts["execution"].model_dump()) for s in out[:3])


def test_semantic_alone_rejects_them_too_and_judges_the_rest(tmp_path):
    out = check_locally(_rows(tmp_path), ChunkPlan(stages=("semantic",)))
    assert [s.verdicts["semantic"].errors[0].code for s in out[3:]] == ["calls_unusable"] * len(BROKEN)
    assert all(s.verdicts["semantic"].decided_by == "rules" for s in out[:3])
