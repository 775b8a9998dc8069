"""The dataset card (``<out>/README.md``) that makes the Hugging Face Hub and ``datasets.load_dataset(out)``
read the output right: its YAML ``configs`` make the verified rows the default config (split ``train``),
and the rejected rows a config of their own, so nobody trains on rejected rows by loading the folder.
(Without it, ``load_dataset`` merges every Parquet file under ``out/`` into one ``train`` split.)

The text is rendered from the run's summary dict; nested dicts of numbers are rendered generically, so
summary keys added later (dedup, contamination, diversity, ...) show up without changes here.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

# config name -> folder; "default" is what load_dataset(out) returns. Only Parquet folders: `datasets`
# picks one builder for all of a repo's configs (from the first config's files), so a JSON Lines config
# beside Parquet ones fails to load; the openai/sharegpt folders are loaded with the "json" builder.
CONFIG_FOLDERS = {"default": "verified", "rejected": "rejected"}
# Where a tool's documentation came from (ToolSpec.source) -> its licence, when the project knows it.
# Imported tools (``xlam``, ``toolbench``, ``rest``, ``module:...``) come from the user's files, whose
# origin only the user knows.
KNOWN_LICENCES = {"python": "Apache-2.0 (apigen's bundled API library)"}
UNKNOWN_LICENCE = "imported from the user's files: the licence of their origin applies; the publisher must state it"
SECTIONS = (("stages", "Counts per stage"), ("by_style", "Per style"), ("by_category", "Per category"),
            ("by_generator_model", "Per generator model"), ("dedup", "Deduplication"),
            ("contamination", "Decontamination"), ("diversity", "Diversity"))


def front_matter() -> str:
    """No ``license:`` key: what an LLM wrote from documentation is the publisher's to license."""
    lines = ["---", "tags:", "- function-calling", "- tool-use", "- synthetic", "- apigen", "configs:"]
    for name, folder in CONFIG_FOLDERS.items():
        lines += [f"- config_name: {name}", "  data_files:", "  - split: train", f"    path: {folder}/*.parquet"]
        if name == "default":
            lines.append("  default: true")
    return "\n".join(lines + ["---", ""])


def _cell(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(data: Mapping[str, Any]) -> list[str]:
    """A dict of dicts as a table (rows x the union of inner keys); other values as a key/value list."""
    if data and all(isinstance(v, Mapping) for v in data.values()):
        columns = list(dict.fromkeys(k for v in data.values() for k in v))
        lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        for key, inner in data.items():
            lines.append(f"| {_cell(key)} | " + " | ".join(_cell(inner.get(c, "")) for c in columns) + " |")
        return lines
    return [f"- {_cell(k)}: {_cell(v)}" for k, v in data.items()]


def licence_lines(tool_sources: Mapping[str, int]) -> list[str]:
    """A line per source of the tools' documentation, with its licence when known."""
    lines = []
    for source, count in sorted(tool_sources.items()):
        licence = KNOWN_LICENCES.get(source)
        lines.append(f"- `{source}` ({count} tool uses): " + (licence or UNKNOWN_LICENCE))
    if not lines:
        lines = ["- no tool sources recorded: the licence of the APIs' documentation is the publisher's to state"]
    return lines


def render(summary: Mapping[str, Any], formats: Iterable[str] = ("xlam",),
           tool_sources: Mapping[str, int] | None = None) -> str:
    """The card's text: YAML front matter, how to load, the run's figures."""
    formats = tuple(formats)
    licence_text = licence_lines(tool_sources or {})
    lines = [front_matter(), "# Function-calling dataset generated with apigen", "",
             "Query/answer pairs written by an LLM and verified in three stages (format, execution, semantic), "
             "the APIGen way. `verified/` holds the rows that passed every stage, in the layout of "
             "xlam-function-calling-60k (`query`, `id`, `answers`, `tools`, then provenance and "
             "`execution_results`); `rejected/` holds the others with the stage and codes that rejected them: "
             "error-analysis data, not training data.", "",
             "## Loading", "", "```python", "from datasets import load_dataset",
             "verified = load_dataset(\"<this folder or repo>\")[\"train\"]            # verified rows only",
             "rejected = load_dataset(\"<this folder or repo>\", \"rejected\")[\"train\"]"]
    lines += [f"{name} = load_dataset(\"json\", data_files=\"<this folder>/{name}/*.jsonl\")[\"train\"]"
              for name in ("openai", "sharegpt") if name in formats]
    lines += ["```", ""]
    if set(formats) & {"openai", "sharegpt"}:
        lines += ["The JSON Lines folders below hold the verified rows only and are not configs of this card: "
                  "`datasets` reads all configs of a dataset with one builder (here Parquet), so load them with the "
                  "`json` builder as above.", ""]
    if "openai" in formats:
        lines += ["`openai/`: `messages` (user, assistant `tool_calls`, one `tool` message per call) and `tools` "
                  "in OpenAI's function-tool form, for `apply_chat_template(messages, tools=tools)`.", ""]
    if "sharegpt" in formats:
        lines += ["`sharegpt/`: `conversations` (human, function_call) and `tools` as a JSON string, as "
                  "LLaMA-Factory reads it (`formatting: sharegpt`, columns `messages: conversations`, "
                  "`tools: tools`).", ""]
    lines += ["## Run", ""]
    for key, label in (("generated", "pairs generated"), ("verified", "verified"), ("rejected", "rejected"),
                       ("undecided", "undecided (judge unreachable; exported with the rejected rows)"),
                       ("generator_model", "generator model"), ("judge_model", "judge model"),
                       ("simulated", "simulated LLM"), ("seed", "seed"), ("prompt_version", "prompt version")):
        if key in summary:
            lines.append(f"- {label}: {_cell(summary[key])}")
    for key, label in SECTIONS:
        value = summary.get(key)
        if isinstance(value, Mapping) and value:
            lines += ["", f"## {label}", "", *_table(value)]
    lines += ["", "## Licence of the APIs' documentation", "", *licence_text, ""]
    return "\n".join(lines)
