"""Versioned prompt templates: generation, per-style instructions, the judge, and seed examples.

A template's version is its declared ``version`` plus a hash of its text, so editing a prompt
changes every cache key that depends on it and a resumed run never mixes outputs of two prompts.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROMPT_DIR = Path(__file__).parent
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


@dataclass(frozen=True)
class Template:
    name: str
    version: str  # "<declared>-<hash8>"
    text: str

    def render(self, **values: object) -> str:
        return self.text.format(**values)


@lru_cache(maxsize=None)
def load_template(name: str) -> Template:
    raw = (PROMPT_DIR / f"{name}.md").read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(raw)
    meta = dict(line.split(":", 1) for line in match.group(1).splitlines()) if match else {}
    body = raw[match.end():] if match else raw
    digest = hashlib.sha256(body.encode()).hexdigest()[:8]
    return Template(name=name, version=f"{meta.get('version', '0').strip()}-{digest}", text=body)


@lru_cache(maxsize=None)
def style_variants() -> dict[str, tuple[str, ...]]:
    """Instruction variants per style, from ``generate_styles.md`` (``## <style>`` headings)."""
    variants: dict[str, list[str]] = {}
    for block in re.split(r"^## ", load_template("generate_styles").text, flags=re.M)[1:]:
        style, _, text = block.partition("\n")
        variants.setdefault(style.strip(), []).append(text.strip())
    return {k: tuple(v) for k, v in variants.items()}


def prompt_version() -> str:
    """One version for everything the pipeline sends to an LLM; goes into cache keys and exports."""
    parts = [load_template(n).version for n in ("generate", "generate_styles", "judge", "judge_no_call")]
    return "p" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


@lru_cache(maxsize=None)
def seed_examples() -> tuple[dict, ...]:
    """The bundled few-shot pool (xlam rows with decoded ``tools`` and ``answers``)."""
    rows = []
    for line in (PROMPT_DIR / "seed_examples.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append({"query": row["query"], "tools": json.loads(row["tools"]),
                         "answers": json.loads(row["answers"])})
    return tuple(rows)
