"""Stage cache keys cover the whole batch a stage is given, so equal samples never share accounting.

Found on a real model: a seeded llama-server answered the same first request of two runs (n=8 and
n=4) identically; the second run's stage tasks were served the first run's cached batches and its
summary reported the first run's request count and pairs not returned.
"""

from apigen.batch import BatchResult
from apigen.config import ExecutionSettings, LLMConfig
from apigen.models import Provenance, Sample, Style
from tasks.caching import _execution_key, _format_key, _semantic_key


def _batch(**fields) -> BatchResult:
    prov = Provenance(style=Style.SIMPLE, category="c", generator_model="m", prompt_version="p", seed=0,
                      request_index=0, pair_index=0)
    sample = Sample(key="0-0-0", query="What is 2 + 2?", tools=[], answers=[], provenance=prov)
    return BatchResult(index=0, samples=(sample,), **fields)


def test_equal_samples_with_other_accounting_get_other_keys():
    base = _batch(llm={"generate": {"requests": 1, "retries": 0, "failures": {}}})
    others = [_batch(llm={"generate": {"requests": 2, "retries": 0, "failures": {}}}),
              _batch(llm=base.llm, not_returned={"truncated": 4}),
              _batch(llm=base.llm, failed_requests=({"request_index": 1, "pairs": 4, "error": "x"},))]
    judge, settings = LLMConfig(model="m"), ExecutionSettings()
    for key in (lambda b: _format_key(None, {"batch": b}),
                lambda b: _execution_key(None, {"batch": b, "settings": settings}),
                lambda b: _semantic_key(None, {"batch": b, "judge": judge})):
        assert key(base) == key(_batch(llm=dict(base.llm)))  # content-based: equal batches, equal keys
        assert all(key(base) != key(other) for other in others)


def test_keys_follow_sample_content_including_text_that_is_not_utf8():
    """A reply may decode to a lone surrogate (``"\\ud800"`` in its JSON): the batch still gets a key,
    and another query gives another key."""
    judge = LLMConfig(model="m")
    base = _batch()
    odd = BatchResult(index=0, samples=(base.samples[0].model_copy(update={"query": "What is \ud800?"}),))
    other = BatchResult(index=0, samples=(base.samples[0].model_copy(update={"query": "What is 3 + 3?"}),))
    keys = [_semantic_key(None, {"batch": b, "judge": judge}) for b in (base, odd, other)]
    assert len(set(keys)) == 3
    assert keys[1] == _semantic_key(None, {"batch": BatchResult(index=0, samples=odd.samples), "judge": judge})
