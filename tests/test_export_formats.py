"""Export formats and the Hugging Face layout: openai rows through real chat templates, sharegpt rows by
LLaMA-Factory's converter rules, the dataset card's configs read by ``datasets.load_dataset``, ids unique
across verified and rejected, and ``execution_results`` kept."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from api_registry.spec import ToolSpec
from apigen import export
from apigen.config import LLMConfig, RunConfig
from apigen.exporters import card, openai_messages, parse_formats, sharegpt
from apigen.models import Finding, Provenance, Sample, StageResult, Style
from helpers import read_dataset

DATA = Path(__file__).parent / "data"
TEMPLATES = ("Qwen-Qwen2.5-7B-Instruct", "Mistral-Small-3.2-24B-Instruct-2506")
XLAM_COLUMNS = ["query", "id", "answers", "tools"]
WEATHER = ToolSpec(name="get_weather", description="Forecast for a city.", source="python",
                   parameters={"city": {"type": "str", "description": "City"},
                               "days": {"type": "int, optional", "description": "Days"}})
NEWS = ToolSpec(name="get_news", description="News on a topic.", parameters={"topic": {"type": "str", "description": "t"}})


def _sample(i: int, answers, results=None, fail: str | None = None) -> Sample:
    prov = Provenance(style=Style.PARALLEL if len(answers) > 1 else Style.SIMPLE, category="weather",
                      generator_model="m", prompt_version="p", seed=0, request_index=i, pair_index=0, simulated=True)
    s = Sample(key=f"0-{i}-0", query=f"query {i}: weather in Paris and Köln?", tools=[WEATHER, NEWS],
               answers=answers, provenance=prov)
    s = s.with_verdict(StageResult(stage="format", status="failed" if fail == "format" else "passed",
                                   errors=(Finding(code="bad", message="m"),) if fail == "format" else ()))
    if fail == "format":
        return s
    s = s.with_verdict(StageResult(stage="execution", status="passed", results=results))
    return s.with_verdict(StageResult(stage="semantic", status="passed"))


PARALLEL = _sample(0, [{"name": "get_weather", "arguments": {"city": "Paris"}},
                       {"name": "get_weather", "arguments": {"city": "Köln", "days": 2}}],
                   results=({"forecast": ["sun"]}, {"forecast": ["rain", "sun"]}))
NO_CALL = _sample(1, [], results=())  # a no-call row: the offered tools cannot serve the query


# --- LLaMA-Factory's sharegpt rules, ported (hiyouga/LLaMA-Factory, src/llamafactory/data/converter.py,
# SharegptDatasetConverter.__call__; formatter.py FunctionFormatter/ToolFormatter; commit
# ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30), for the glaive_toolcall dataset_info entry
# (formatting sharegpt, columns messages=conversations, tools=tools, default tags).
USER, ASSISTANT, OBSERVATION, FUNCTION = "human", "gpt", "observation", "function_call"


def llamafactory_accepts(example: dict) -> tuple[bool, str]:
    """What the converter does with one example: (kept, why not). Mirrors its checks, not its output."""
    messages = example["conversations"]
    accept_tags = ((USER, OBSERVATION), (ASSISTANT, FUNCTION))
    if messages and messages[0]["from"] == "system":
        messages = messages[1:]
    for turn_idx, message in enumerate(messages):
        if message["from"] not in accept_tags[turn_idx % 2]:
            return False, f"Invalid role tag at turn {turn_idx}"
        if not isinstance(message["value"], str):
            return False, "content is not a string"
    if len(messages) % 2 != 0:
        return False, "Invalid message count"
    for message in messages:
        if message["from"] == FUNCTION:  # FunctionFormatter._parse_functions: tc["name"], tc["arguments"]
            calls = json.loads(message["value"])
            calls = calls if isinstance(calls, list) else [calls]
            if not all(isinstance(c, dict) and "name" in c and "arguments" in c for c in calls):
                return False, "a function call without name or arguments"
    tools = json.loads(example["tools"])  # ToolFormatter.apply: a JSON string of a list
    for tool in tools:  # tool_utils: tool.get("function", ...) if type == "function" else tool; tool["name"]
        tool = tool.get("function", "") if tool.get("type") == "function" else tool
        if not isinstance(tool, dict) or "name" not in tool or not isinstance(tool.get("parameters", {}), dict):
            return False, "a tool without name or with parameters that are not an object"
    return True, ""


def _tokenizer(template: str):
    """A tiny word-level tokenizer carrying a real model's chat template: apply_chat_template runs the
    template as transformers does for that model (the vocabulary does not matter with tokenize=False)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    model = Tokenizer(models.WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>"))
    model.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=model, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    tokenizer.chat_template = (DATA / "chat_templates" / f"{template}.jinja").read_text()
    return tokenizer


def check_with_chat_templates(rows: list[dict]) -> int:
    """Every row rendered by each template; the text holds every tool's name, call name, arguments and result."""
    rendered = 0
    for template in TEMPLATES:
        tokenizer = _tokenizer(template)
        for row in rows:
            messages = openai_messages.for_chat_template(row["messages"])
            text = tokenizer.apply_chat_template(messages, tools=row["tools"], tokenize=False)
            for tool in row["tools"]:
                assert f'"name": {json.dumps(tool["function"]["name"])}' in text, (template, tool)
            for message in row["messages"]:
                for call in message.get("tool_calls") or ():
                    assert call["function"]["name"] in text
                    arguments = json.loads(call["function"]["arguments"])
                    assert json.dumps(arguments, ensure_ascii=False) in text, (template, arguments)
                if message["role"] in ("user", "tool") or (message["role"] == "assistant" and message["content"]):
                    assert message["content"] in text, (template, message)
            rendered += 1
    return rendered


# --- pure exporters ---------------------------------------------------------------------------------------

def test_openai_row_parallel_calls_and_no_call():
    row = openai_messages.row(PARALLEL, [{"forecast": ["sun"]}, {"forecast": ["rain", "sun"]}])
    user, assistant, *tools = row["messages"]
    assert user == {"role": "user", "content": PARALLEL.query}
    calls = assistant["tool_calls"]
    assert [c["type"] for c in calls] == ["function", "function"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Paris"}, {"city": "Köln", "days": 2}]
    assert all(isinstance(c["function"]["arguments"], str) for c in calls)
    ids = [c["id"] for c in calls]
    assert len(set(ids)) == 2 and all(len(i) == 9 and i.isalnum() for i in ids)
    unexecuted = openai_messages.row(PARALLEL, None)  # execution did not run: no invented tool output
    assert ids == [c["id"] for c in unexecuted["messages"][1]["tool_calls"]]  # deterministic
    assert [m["role"] for m in unexecuted["messages"]] == ["user", "assistant"]
    assert [(t["role"], t["tool_call_id"], json.loads(t["content"])) for t in tools] == [
        ("tool", ids[0], {"forecast": ["sun"]}), ("tool", ids[1], {"forecast": ["rain", "sun"]})]
    assert row["tools"][0] == {"type": "function", "function": {
        "name": "get_weather", "description": "Forecast for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City"},
                                                        "days": {"type": "integer", "description": "Days"}},
                       "required": ["city"]}}}
    plain = openai_messages.row(NO_CALL, [])
    assert plain["messages"] == [{"role": "user", "content": NO_CALL.query},
                                 {"role": "assistant", "content": openai_messages.NO_CALL_REPLY}]
    assert "get_weather" not in openai_messages.NO_CALL_REPLY and len(plain["tools"]) == 2


def test_hand_made_rows_pass_real_chat_templates():
    rows = [openai_messages.row(PARALLEL, [{"forecast": ["sun"]}, {"forecast": ["rain", "sun"]}]),
            openai_messages.row(PARALLEL, None), openai_messages.row(NO_CALL, [])]
    assert check_with_chat_templates(rows) == 3 * len(TEMPLATES)


def test_openai_rows_typecheck_as_openai_params():
    openai_types = pytest.importorskip("openai.types.chat")
    from pydantic import TypeAdapter

    row = openai_messages.row(PARALLEL, [1, 2])
    TypeAdapter(list[openai_types.ChatCompletionMessageParam]).validate_python(row["messages"])
    TypeAdapter(list[openai_types.ChatCompletionToolParam]).validate_python(row["tools"])


def test_sharegpt_rows_follow_llamafactory_and_the_glaive_sample():
    glaive = json.loads((DATA / "glaive" / "glaive_toolcall_en_demo_20.json").read_text())
    assert all(llamafactory_accepts(g)[0] for g in glaive)  # the port accepts the reference data
    assert not llamafactory_accepts({"conversations": [{"from": "human", "value": "q"}, {"from": "function_call",
                                     "value": "{}"}, {"from": "observation", "value": "1"}], "tools": "[]"})[0]
    parallel, plain = sharegpt.row(PARALLEL), sharegpt.row(NO_CALL)
    for row in (parallel, plain):
        assert llamafactory_accepts(row) == (True, "")
        assert set(row) == set(glaive[0]) and all(set(t) == {"from", "value"} for t in row["conversations"])
        assert {tuple(sorted(t)) for t in json.loads(row["tools"])} == {("description", "name", "parameters")}
    assert json.loads(parallel["conversations"][1]["value"]) == [
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "get_weather", "arguments": {"city": "Köln", "days": 2}}]
    assert plain["conversations"][1] == {"from": "gpt", "value": openai_messages.NO_CALL_REPLY}
    single = sharegpt.row(_sample(2, [{"name": "get_news", "arguments": {"topic": "rain"}}]))
    glaive_call = next(t for g in glaive for t in g["conversations"] if t["from"] == "function_call")
    assert set(json.loads(single["conversations"][1]["value"])) == set(json.loads(glaive_call["value"]))


def test_formats_option_values():
    assert parse_formats("openai,sharegpt") == ("xlam", "openai", "sharegpt")
    assert parse_formats(["sharegpt", "xlam", "sharegpt"]) == ("xlam", "sharegpt")
    llm = LLMConfig(model="m")
    assert RunConfig(generator=llm, judge=llm).formats == ("xlam",)
    with pytest.raises(ValueError, match="unknown format 'csv'; choose from xlam, openai, sharegpt"):
        RunConfig(generator=llm, judge=llm, formats="xlam,csv")


def test_unknown_format_is_a_usage_error(capsys, tmp_path):
    from apigen.cli import main

    code = main(["generate", "--simulate", "--format", "xlam,parquet2", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "unknown format 'parquet2'" in err and "xlam, openai, sharegpt" in err
    assert not (tmp_path / "o").exists()


def test_card_renders_unknown_summary_keys_and_configs():
    summary = {"generated": 3, "verified": 2, "rejected": 1, "generator_model": "openai/m", "judge_model": "openai/j",
               "stages": {"format": {"in": 3, "passed": 2, "failed": 1, "errors": {"bad": 1}}},
               "by_style": {"simple": {"verified": 1, "rejected": 1}, "parallel": {"verified": 1, "rejected": 0}},
               "dedup": {"duplicate": 4, "near_duplicate": {"rate": 0.02, "threshold": 0.8}},
               "contamination": {"bfcl_v4": {"matched": 2}}, "diversity": {"distinct_2": 0.71}}
    text = card.render(summary, ("xlam", "sharegpt"), {"python": 5, "xlam": 1})
    assert text.startswith("---\n") and "config_name: rejected" in text and "config_name: sharegpt" not in text
    assert 'load_dataset("json", data_files="<this folder>/sharegpt/*.jsonl")' in text and "/openai/" not in text
    for needle in ("## Deduplication", "near_duplicate", "0.8", "## Decontamination", "bfcl_v4", "## Diversity",
                   "openai/j", "| simple | 1 | 1 |", "Apache-2.0", "the publisher must state it"):
        assert needle in text, needle


def test_ids_unique_and_execution_results_kept(tmp_path):
    failed = _sample(3, "not calls", fail="format")
    export.write_dataset([NO_CALL, failed, PARALLEL], {"generated": 3}, tmp_path / "out",
                         formats=("xlam", "openai"))
    verified, rejected, _ = read_dataset(tmp_path / "out")
    assert [r["id"] for r in verified] == [0, 1] and [r["id"] for r in rejected] == [2]
    assert json.loads(verified[0]["execution_results"]) == [{"forecast": ["sun"]}, {"forecast": ["rain", "sun"]}]
    assert json.loads(verified[1]["execution_results"]) == [] and rejected[0]["execution_results"] is None
    assert pq.read_table(tmp_path / "out" / "verified").schema.names[:5] == [*XLAM_COLUMNS, "execution_results"]
    lines = (tmp_path / "out" / "openai" / "part-00000.jsonl").read_text().splitlines()
    assert [json.loads(line)["messages"][0]["content"] for line in lines] == [PARALLEL.query, NO_CALL.query]
    assert not (tmp_path / "out" / "sharegpt").exists() and (tmp_path / "out" / "README.md").is_file()


# --- a real simulated run ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_out(prefect_server, tmp_path_factory):
    from apigen.cli import main

    out = tmp_path_factory.mktemp("formats") / "out"
    assert main(["generate", "--simulate", "--n", "80", "--seed", "11", "--batch-size", "40",
                 "--format", "openai,sharegpt", "--out", str(out)]) == 0
    return out


def _jsonl(folder: Path) -> list[dict]:
    return [json.loads(line) for part in sorted(folder.glob("part-*.jsonl")) for line in part.read_text().splitlines()]


def test_run_writes_one_part_per_batch_per_format(run_out):
    verified, rejected, summary = read_dataset(run_out)
    assert summary["verified"] == len(verified) > 0 and len(rejected) > 0
    for fmt in ("openai", "sharegpt"):
        assert len(list((run_out / fmt).glob("part-*.jsonl"))) == 2  # 80 pairs in batches of 40
        assert len(_jsonl(run_out / fmt)) == len(verified)
    ids = [r["id"] for r in verified + rejected]
    assert sorted(ids) == list(range(summary["generated"]))
    for row in verified:
        calls, results = json.loads(row["answers"]), json.loads(row["execution_results"])
        assert len(results) == len(calls)


def test_run_openai_rows_pass_real_chat_templates(run_out):
    verified, _, _ = read_dataset(run_out)
    rows = _jsonl(run_out / "openai")
    for row, xlam in zip(rows, verified):  # same order as the verified Parquet rows
        assert row["messages"][0]["content"] == xlam["query"]
        results = json.loads(xlam["execution_results"])
        assert [json.loads(m["content"]) for m in row["messages"][2:]] == results
    rows.append(openai_messages.row(NO_CALL, []))
    assert check_with_chat_templates(rows) == len(rows) * len(TEMPLATES)


def test_run_sharegpt_rows_pass_llamafactory_rules(run_out):
    verified, _, _ = read_dataset(run_out)
    rows = _jsonl(run_out / "sharegpt")
    no_call = 0
    for row, xlam in zip(rows, verified):
        assert llamafactory_accepts(row) == (True, "")
        answer = row["conversations"][1]
        if json.loads(xlam["answers"]) == []:  # a no-call row: a plain reply, no function_call turn
            no_call += 1
            assert answer == {"from": "gpt", "value": openai_messages.NO_CALL_REPLY}
            continue
        value = json.loads(answer["value"])
        assert answer["from"] == "function_call" and (value if isinstance(value, list) else [value]) == json.loads(xlam["answers"])
    assert no_call == sum(r["style"] == "no_call" for r in verified) > 0


def test_load_dataset_reads_verified_by_default(run_out, tmp_path, monkeypatch):
    for name, value in {"HF_HOME": tmp_path / "hf", "HF_DATASETS_CACHE": tmp_path / "hf" / "datasets",
                        "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}.items():
        monkeypatch.setenv(name, str(value))
    import datasets

    verified, rejected, summary = read_dataset(run_out)
    default = datasets.load_dataset(str(run_out))
    assert list(default) == ["train"] and default["train"].num_rows == len(verified) == summary["verified"]
    assert default["train"].column_names[:5] == [*XLAM_COLUMNS, "execution_results"]
    bad = datasets.load_dataset(str(run_out), "rejected")["train"]
    assert bad.num_rows == len(rejected) and "rejected_stage" in bad.column_names
    assert not set(default["train"]["id"]) & set(bad["id"])
    for fmt in ("openai", "sharegpt"):  # as the card says: the json builder (one builder serves all configs)
        rows = datasets.load_dataset("json", data_files=str(run_out / fmt / "*.jsonl"))["train"]
        assert rows.num_rows == len(verified)
    text = (run_out / "README.md").read_text()
    assert f"- verified: {summary['verified']}" in text and "## Per category" in text
