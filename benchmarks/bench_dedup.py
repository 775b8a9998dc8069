"""Throughput, memory and accuracy of the dedup/decontamination filter (``apigen.dedup``), and the
figures of a dedup audit of real public sets.

Synthetic-but-realistic queries: real public queries (xlam, hammer_eval's API-Bank/Seal-Tools/
ToolAlpaca, glaive, ToolBench; not BFCL, the contamination set) recombined (a prefix of one query and
the suffix of another, numbers redrawn), with planted copies: 3% exact, 3% reworded (one word added
at the start, punctuation and case changed), 1% BFCL questions pasted into a sentence. Each size runs
in its own process (peak RSS is that run's). Prints rows/s (wall, and per CPU-second: steadier on a shared machine) of ``DatasetFilter.apply`` (dedup + the
bundled BFCL contamination index, as ``apigen generate`` runs it), the index build time, peak RSS,
recall on the planted copies, and the precision of the near-duplicate calls (exact Jaccard of word
3-grams of each flagged pair, and how many fall below the threshold).

``--audit``: ``DatasetFilter`` (dedup only, no benchmark set) over each real file in turn, as
``apigen verify --dedup`` applies it: rows, duplicates, near duplicates, seconds, examples.

    PYTHONPATH=. python benchmarks/bench_dedup.py [--sizes 10000 60000] [--audit]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
REAL_FILES = [SHARED / "xlam" / "xlam_sample_15.jsonl",
              *sorted((SHARED / "other" / "hammer_eval").glob("*.json")),
              SHARED / "toolbench" / "stabletoolbench" / "G1_instruction.json",
              *sorted((SHARED / "toolbench" / "instruction").glob("G*_query.json"))]
GLAIVE = SHARED / "other" / "glaive" / "glaive_toolcall_en_demo.json"


def real_queries() -> list[str]:
    from apigen.dedup.contamination import load_question_file

    queries = [q.query for path in REAL_FILES if path.is_file() for q in load_question_file(path).questions]
    if GLAIVE.is_file():
        rows = json.loads(GLAIVE.read_text())
        queries += [t["value"] for r in rows for t in r["conversations"][:1] if t.get("from") == "human"]
    return list(dict.fromkeys(q.strip() for q in queries if q.strip()))


def synthetic(n: int, seed: int = 0) -> tuple[list[tuple[str, list]], dict[int, str]]:
    """``n`` (query, answers) pairs and the planted copies: index -> "duplicate"/"near_duplicate"/"contaminated"."""
    from apigen.benchmark_sets import bundled_questions

    rng = random.Random(seed)
    pool = [q.split() for q in real_queries()]
    bfcl = [q["query"] for q in bundled_questions()]
    rows: list[tuple[str, list]] = []
    planted: dict[int, str] = {}
    for i in range(n):
        roll = rng.random()
        if rows and roll < 0.03:
            q, a = rows[rng.randrange(len(rows))]
            rows.append((q, a))
            planted[i] = "duplicate"
            continue
        if rows and roll < 0.06:
            q, a = rows[rng.randrange(len(rows))]
            if len(q.split()) >= 12:
                rows.append((rng.choice(["Please", "Hi", "Quick question:"]) + " " + q.upper().rstrip("?.") + "!",
                             [{"name": "other", "arguments": {}}]))
                planted[i] = "near_duplicate"
                continue
        if roll < 0.07:
            rows.append((f"For my homework: {rng.choice(bfcl)} Thanks a lot.", []))
            planted[i] = "contaminated"
            continue
        a, b = rng.choice(pool), rng.choice(pool)
        cut_a, cut_b = rng.randint(1, max(1, len(a) - 1)), rng.randint(0, max(0, len(b) - 1))
        words = a[:cut_a] + b[cut_b:]
        words = [str(rng.randint(1, 9999)) if re.fullmatch(r"\d+", w) else w for w in words]
        query = " ".join(words)
        rows.append((query, [{"name": f"api_{rng.randrange(400)}", "arguments": {"q": words[-1]}}]))
    return rows, planted


def run_one(n: int) -> dict:
    from collections import Counter

    from apigen.dedup.build import build_filter
    from apigen.dedup.normalize import word_ngrams, words
    from apigen.models import Provenance, Sample, StageResult, Style

    rows, planted = synthetic(n)
    prov = Provenance(style=Style.SIMPLE, category="c", generator_model="m", prompt_version="p", seed=0,
                      request_index=0, pair_index=0)
    passed = {s: StageResult(stage=s, status="passed") for s in ("format", "execution", "semantic")}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    filt = build_filter(dedup=True, bundled=True)
    build_s = time.perf_counter() - t0
    got: dict[int, tuple[str, str]] = {}
    wall = cpu = 0.0
    for start in range(0, n, 50):  # batches of 50, as a run's batches arrive; samples dropped once checked
        batch = [Sample(key=f"s-{i}", query=q, tools=[], answers=a, provenance=prov, verdicts=passed)
                 for i, (q, a) in enumerate(rows[start:start + 50], start=start)]
        t1, c1 = time.perf_counter(), time.process_time()
        out = filt.apply(batch)
        wall, cpu = wall + time.perf_counter() - t1, cpu + time.process_time() - c1
        for i, s in enumerate(out, start=start):
            if s.verdicts["dedup"].status == "failed":
                got[i] = (s.verdicts["dedup"].errors[0].code, s.verdicts["dedup"].errors[0].message)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    missed = Counter(kind for i, kind in planted.items() if i not in got)
    # precision of the near-duplicate calls: exact Jaccard of each flagged pair
    jaccards = []
    for i, (code, message) in got.items():
        if code == "near_duplicate":
            kept = int(re.search(r"that of sample s-(\d+)", message).group(1))
            x, y = set(word_ngrams(words(rows[i][0]), 3)), set(word_ngrams(words(rows[kept][0]), 3))
            jaccards.append(len(x & y) / len(x | y))
    return {"rows": n, "build_s": round(build_s, 2), "apply_s": round(wall, 2), "rows_per_s": round(n / wall),
            "rows_per_cpu_s": round(n / cpu), "load_avg": round(__import__("os").getloadavg()[0], 1),
            "peak_rss_mib": round(rss1 / 1024), "rss_growth_mib": round((rss1 - rss0) / 1024),
            "planted": dict(Counter(planted.values())), "planted_not_rejected": dict(missed),
            "rejected_not_planted": dict(Counter(code for i, (code, _) in got.items() if i not in planted)),
            "near_calls": len(jaccards), "near_exact_jaccard_below_threshold": sum(j < filt.threshold for j in jaccards),
            "stats": filt.stats()}


def audit() -> None:
    from apigen.dedup.build import build_filter
    from apigen.dedup.contamination import load_question_file
    from apigen.models import Sample, StageResult

    bfcl = sorted((SHARED / "bfcl").glob("BFCL_v4_*.json")) + sorted((SHARED / "bfcl" / "exec").rglob("question/*.json"))
    passed = {"format": StageResult(stage="format", status="passed")}
    for path in [*bfcl, *REAL_FILES]:
        qset = load_question_file(path)
        samples = [Sample(key=q.id, row_id=q.id, position={"index": i}, query=q.query, tools=[], answers=[],
                          verdicts=passed) for i, q in enumerate(qset.questions)]
        filt = build_filter(dedup=True, bundled=False, eligible=lambda s: s.passed)
        t = time.perf_counter()
        out = filt.apply(samples)
        took = time.perf_counter() - t
        stats = filt.stats()["dedup"]
        examples = [f"{s.row_id}: {s.verdicts['dedup'].errors[0].code} of {s.verdicts['dedup'].errors[0].message}"
                    for s in out if s.verdicts["dedup"].status == "failed"][:3]
        print(json.dumps({"file": str(path.relative_to(SHARED)), "rows": len(samples), "duplicates": stats["duplicates"],
                          "near_duplicates": stats["near_duplicates"], "seconds": round(took, 3),
                          "examples": examples}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 60_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--audit", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    if args.audit:
        audit()
        return
    for n in args.sizes:
        run = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        print(run.stdout.strip())


if __name__ == "__main__":
    main()
