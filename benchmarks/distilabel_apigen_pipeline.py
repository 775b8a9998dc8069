"""distilabel 1.5.3's APIGen pipeline, built as its docs show, against an OpenAI-compatible endpoint.

Runs inside the separate distilabel venv that ``bench_distilabel.py`` creates (never in the project's
venv). Input is a JSON file written by that script: ``rows`` (func_name, func_desc, tools as a JSON
string), ``seeds`` (xlam query/answers used as few-shot examples, as the docs' DataSampler does),
``libpath`` (a Python file exposing the functions, as ``APIGenExecutionChecker`` expects).
Prints one JSON line: seconds in ``pipeline.run`` (``run_s``) and row counts by outcome.

The docs' pipeline: [LoadDataFromDicts, DataSampler >> PrepareExamples] >> CombineOutputs >>
APIGenGenerator >> APIGenExecutionChecker >> APIGenSemanticChecker, one OpenAILLM for both tasks.
The generator runs without structured output (the docs use it with an endpoint whose client
enforces a schema; distilabel's OpenAILLM would need ``instructor`` and tool calls for that).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time


def build(spec: dict, base_url: str, concurrency: int, batch_size: int):
    from distilabel.models import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import CombineOutputs, DataSampler, LoadDataFromDicts
    from distilabel.steps.tasks import APIGenExecutionChecker, APIGenGenerator, APIGenSemanticChecker
    from distilabel.steps.tasks.apigen.utils import PrepareExamples

    rows = spec["rows"]
    with Pipeline(name="apigen-bench", cache_dir=spec["cache_dir"]) as pipeline:
        loader = LoadDataFromDicts(data=rows, batch_size=batch_size)
        sampler = DataSampler(data=spec["seeds"], size=2, samples=len(rows), batch_size=batch_size)
        prep_examples = PrepareExamples()
        combine = CombineOutputs()
        llm = OpenAILLM(model=spec["model"], base_url=base_url, api_key=spec["api_key"],
                        generation_kwargs={"temperature": 0.7, "max_new_tokens": 2048})
        # An LLM task sends every row of its input batch at once: input_batch_size is its concurrency.
        generator = APIGenGenerator(llm=llm, use_default_structured_output=False, input_batch_size=concurrency)
        execution = APIGenExecutionChecker(libpath=spec["libpath"], input_batch_size=batch_size)
        semantic = APIGenSemanticChecker(llm=llm, input_batch_size=concurrency)
        sampler >> prep_examples
        [loader, prep_examples] >> combine >> generator >> execution >> semantic
    return pipeline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="JSON file written by bench_distilabel.py")
    parser.add_argument("--base-url", required=True, help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8001/v1")
    parser.add_argument("--concurrency", type=int, default=8, help="input_batch_size of each LLM task")
    parser.add_argument("--batch-size", type=int, default=50, help="batch size of the loaders and the execution checker")
    parser.add_argument("--dump", help="also write the output rows here, as JSON lines")
    args = parser.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    with tempfile.TemporaryDirectory(prefix="distilabel-bench-") as cache_dir:
        spec["cache_dir"] = cache_dir
        pipeline = build(spec, args.base_url, args.concurrency, args.batch_size)
        start = time.perf_counter()
        distiset = pipeline.run(use_cache=False)
        wall = time.perf_counter() - start
    out = distiset["default"]["train"] if distiset else []
    generated = sum(1 for r in out if r.get("query"))
    executed = sum(1 for r in out if r.get("keep_row_after_execution_check") is True)
    verified = sum(1 for r in out if r.get("keep_row_after_execution_check") is True
                   and r.get("keep_row_after_semantic_check") is True)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, default=str) + "\n" for r in out)
    print(json.dumps({"run_s": round(wall, 2), "rows": len(out), "generated": generated,
                      "passed_execution": executed, "verified": verified}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
