"""Benchmark: how far the deterministic grounding rules agree with people on argument values.

    python benchmarks/bench_grounding_agreement.py [--old-ref REF]

tests/data/grounding_labels.jsonl holds argument values of real BFCL and xlam rows (plus constructed
placeholders, empty values and swapped values), each labelled by hand *derivable* or *not derivable*
from the query. For every row the rules see the row's whole answer and the outcome of the labelled
argument is read off their findings: ``fail`` (an error on that parameter), ``undecided`` (a
``value_undecided`` warning on it) or ``pass``. Printed for the current rules and for the rules of
``--old-ref`` (default: the last commit with the single-module ``apigen/verify/grounding.py``), which
knew only pass and fail. Agreement: derivable -> pass, not derivable -> fail; undecided is counted
apart (it is neither right nor wrong without a judge: the judge decides it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api_registry.spec import ToolSpec  # noqa: E402
from apigen.models import Finding, FunctionCall  # noqa: E402

LABELS = ROOT / "tests" / "data" / "grounding_labels.jsonl"
OUTCOMES = ("pass", "undecided", "fail")
Grader = Callable[[str, list, list], tuple[list[Finding], list[Finding]]]  # (failures, undecided)


def load_labels(path: Path = LABELS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _about(finding: Finding, row: dict) -> bool:
    """The finding concerns the labelled argument (its call, its parameter or a value nested in it)."""
    if finding.call is not None and finding.call != row["call"]:
        return False
    return any(f"parameter {row['param'] + tail!r}"[:-1] in finding.message
               for tail in ("'", ".", "[")) or f"parameter '{row['param']}'" in finding.message


def outcome(row: dict, grader: Grader) -> str:
    tools = [ToolSpec(**t) for t in row["tools"]]
    calls = [FunctionCall(name=c["name"], arguments=c["arguments"]) for c in row["calls"]]
    failures, undecided = grader(row["query"], tools, calls)
    if any(_about(f, row) for f in failures):
        return "fail"
    if any(_about(f, row) for f in undecided):
        return "undecided"
    return "pass"


def confusion(rows: list[dict], grader: Grader) -> dict[str, Counter]:
    table = {"derivable": Counter(), "not_derivable": Counter()}
    for row in rows:
        table[row["label"]][outcome(row, grader)] += 1
    return table


def agreement(table: dict[str, Counter]) -> dict[str, float]:
    """Share of rows the rules got right (derivable passed, not derivable failed), of all rows and of
    the rows they decided (undecided left out); and the share they left undecided."""
    total = sum(sum(c.values()) for c in table.values())
    right = table["derivable"]["pass"] + table["not_derivable"]["fail"]
    undecided = sum(c["undecided"] for c in table.values())
    decided = total - undecided
    return {"rows": total, "agree": right / total, "agree_decided": right / decided if decided else 0.0,
            "undecided": undecided / total,
            "wrong_fail": table["derivable"]["fail"] / max(sum(table["derivable"].values()), 1),
            "wrong_pass": table["not_derivable"]["pass"] / max(sum(table["not_derivable"].values()), 1)}


def new_grader() -> Grader:
    from apigen.verify.rules import grade

    def run(query, tools, calls):
        result = grade(query, tools, calls)
        return result.failures, result.undecided
    return run


def old_ref() -> str:
    """The last commit whose apigen/verify/grounding.py is the single 800-line module."""
    log = subprocess.run(["git", "log", "--format=%H", "--", "apigen/verify/grounding.py"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    for commit in log:
        text = subprocess.run(["git", "show", f"{commit}:apigen/verify/grounding.py"], cwd=ROOT,
                              capture_output=True, text=True).stdout
        if "def check_grounding" in text and "RULES: tuple[Rule, ...] = (" in text:
            return commit
    raise SystemExit("no single-module grounding.py in the history")


def old_grader(ref: str) -> Grader:
    """The rules of ``ref`` (imported from a temporary copy of its grounding.py): pass or fail only."""
    text = subprocess.run(["git", "show", f"{ref}:apigen/verify/grounding.py"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_grounding.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("old_grounding", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_grounding"] = module
    spec.loader.exec_module(module)
    return lambda query, tools, calls: (module.check_grounding(query, tools, calls), [])


def bfcl_ground_truths() -> list[tuple[str, list[ToolSpec], list[FunctionCall]]]:
    """Every BFCL ground truth (first acceptable value of each parameter; optional ones left out when
    omitting them is allowed): answers people wrote, so a rule failing one is (nearly always) wrong.
    Not used to tune the rules beyond the labelled rows drawn from them: a held-out view."""
    bfcl = ROOT / "tests" / "data" / "bfcl"
    out = []
    for category in ("simple_python", "multiple", "parallel", "parallel_multiple"):
        questions = {json.loads(line)["id"]: json.loads(line) for line in (bfcl / f"BFCL_v4_{category}.json").open()}
        for line in (bfcl / "possible_answer" / f"BFCL_v4_{category}.json").open():
            answer = json.loads(line)
            row = questions[answer["id"]]
            calls = []
            for truth in answer["ground_truth"]:
                (name, args), = truth.items()
                calls.append(FunctionCall(name=name, arguments={k: _first(v) for k, v in args.items() if _first(v) is not None}))
            out.append((row["question"][0][-1]["content"], [ToolSpec(**t) for t in row["function"]], calls))
    return out


def _first(values):
    if isinstance(values, dict):
        return {k: _first(v) for k, v in values.items() if _first(v) is not None}
    if not isinstance(values, list):
        return values
    return next((_first(v) if isinstance(v, dict) else v for v in values if v != ""), None)


def ground_truth_rates(grader: Grader) -> tuple[int, int, int]:
    """(rows, rows with a failure, rows with an undecided value) over every BFCL ground truth."""
    rows = bfcl_ground_truths()
    graded = [grader(q, tools, calls) for q, tools, calls in rows]
    return len(rows), sum(bool(f) for f, _ in graded), sum(bool(u) and not f for f, u in graded)


def _print(name: str, table: dict[str, Counter]) -> None:
    print(f"\n{name}")
    print(f"  {'label':<15}" + "".join(f"{o:>11}" for o in OUTCOMES))
    for label, counts in table.items():
        print(f"  {label:<15}" + "".join(f"{counts[o]:>11}" for o in OUTCOMES))
    a = agreement(table)
    print(f"  agreement {a['agree']:.1%} of {a['rows']} rows; {a['agree_decided']:.1%} of the rows decided; "
          f"undecided {a['undecided']:.1%}; derivable failed {a['wrong_fail']:.1%}; "
          f"not derivable passed {a['wrong_pass']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-ref", default=None, help="git ref of the old rules (default: found in the history)")
    parser.add_argument("--misses", action="store_true", help="list the rows the new rules get wrong")
    args = parser.parse_args()
    rows = load_labels()
    kinds = Counter((r["label"], r["constructed"]) for r in rows)
    print(f"{len(rows)} labelled values: " + ", ".join(f"{k[0]}{' (constructed)' if k[1] else ''}: {n}"
                                                      for k, n in sorted(kinds.items())))
    ref = args.old_ref or old_ref()
    old, new = old_grader(ref), new_grader()
    for name, grader in ((f"old rules ({ref[:10]})", old), ("new rules (apigen.verify.rules)", new)):
        _print(name, confusion(rows, grader))
        total, failed, undecided = ground_truth_rates(grader)
        print(f"  held out: {failed}/{total} BFCL ground-truth answers failed ({failed / total:.1%}), "
              f"{undecided} more undecided ({undecided / total:.1%})")
    if args.misses:
        for row in rows:
            got = outcome(row, new)
            if (row["label"], got) in (("derivable", "fail"), ("not_derivable", "pass"), ("derivable", "undecided")):
                print(f"  [{row['id']}] {row['label']} -> {got}: {row['kind']}: {row['param']}={json.dumps(row['value'])[:60]} | {row['reason'][:90]}")


if __name__ == "__main__":
    main()
