"""Recovering pairs from messy LLM replies: real replies of a small model, and one test per case."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from apigen.reply_parsing import (MAX_ITEMS, MAX_TEXT, Fragment, ParsedReply, RecoveredPair, parse_calls,
                                  parse_pairs_reply)

REAL = Path(__file__).parent / "data" / "real_llm" / "qwen2.5-coder-1.5b_chat_completions.jsonl"
GENERATE = [row for row in map(json.loads, REAL.read_text(encoding="utf-8").splitlines()) if row["kind"] == "generate"]

# Pairs recovered from each of the 11 generate replies (all asked for 4), checked by hand.
EXPECTED_PAIRS = [
    4,  # 0: fenced list, one pair a line
    4,  # 1: fenced, pretty-printed list
    4,  # 2: fenced list with a nested list-of-lists argument
    1,  # 3: a valid list holding only 1 pair: the model produced fewer than asked
    4,  # 4: all on one line
    4,  # 5: pretty-printed list without a fence
    3,  # 6: list closed after the first pair, 3 objects follow; the 2nd of them closes "answers" with
        #    "]" while its call object is still open ("...}]}]}]"), so it is a fragment, not a pair
    4,  # 7: an extra "}" after every pair object: strict JSON fails, each object is whole
    4,  # 8: pretty-printed list
    4,  # 9: fenced list
    4,  # 10: list, one pair a line
]
EXPECTED_FRAGMENTS = {6: 1}


def pair(query: str = "q", name: str = "f", **arguments) -> dict:
    return {"query": query, "answers": [{"name": name, "arguments": arguments or {"a": 1}}]}


def dumps(value) -> str:
    return json.dumps(value)


def queries(parsed: ParsedReply) -> list:
    return [p.query for p in parsed.pairs]


def codes(parsed: ParsedReply) -> list[str]:
    return [f.code for f in parsed.fragments]


# -- real replies ----------------------------------------------------------------------------------

def test_fixture_holds_the_eleven_generate_replies():
    assert len(GENERATE) == len(EXPECTED_PAIRS) == 11
    for row in GENERATE:
        assert "Generate exactly 4 query/answer pairs" in row["request_messages"][-1]["content"]


@pytest.mark.parametrize("index", range(len(EXPECTED_PAIRS)))
def test_real_reply_pair_count(index):
    row = GENERATE[index]
    parsed = parse_pairs_reply(row["reply"], row["finish_reason"])
    assert len(parsed.pairs) == EXPECTED_PAIRS[index]
    assert len(parsed.fragments) == EXPECTED_FRAGMENTS.get(index, 0)
    assert all(f.code == "json_invalid" for f in parsed.fragments)
    assert not parsed.truncated and not parsed.empty
    for recovered in parsed.pairs:
        assert isinstance(recovered.query, str) and recovered.query
        assert isinstance(recovered.answers, list) and recovered.answers
        assert all(set(call) == {"name", "arguments"} for call in recovered.answers)
        assert json.loads(recovered.raw)["query"] == recovered.query


@pytest.mark.parametrize("index", range(len(EXPECTED_PAIRS)))
def test_real_reply_loses_no_visible_pair(index):
    """Every ``{"query": ...}`` object that decodes on its own is recovered, and every "query" key
    in the text is accounted for by a pair or a fragment."""
    text = GENERATE[index]["reply"]
    parsed = parse_pairs_reply(text, GENERATE[index]["finish_reason"])
    decoder = json.JSONDecoder()
    visible = []
    for match in re.finditer(r'\{\s*"query"', text):
        try:
            visible.append(decoder.raw_decode(text, match.start())[0])
        except json.JSONDecodeError:
            continue
    assert [(p.query, p.answers) for p in parsed.pairs] == [(v["query"], v["answers"]) for v in visible]
    assert len(parsed.pairs) + len(parsed.fragments) == len(re.findall(r'"query"\s*:', text))


def test_real_reply_with_early_closed_list_keeps_the_broken_object_as_a_fragment():
    parsed = parse_pairs_reply(GENERATE[6]["reply"], "stop")
    assert queries(parsed)[0].startswith("Convert the coordinates")
    assert queries(parsed)[1:] == ["Calculate the average rating of 'The Matrix' based on user reviews.",
                                   "Generate a QR code for the text 'Follow us on social media.'"]
    (fragment,) = parsed.fragments
    assert fragment.text.startswith('{"query": "Find the midpoint') and fragment.text.endswith("-74.006058}]}]}")
    assert "balanced_scan" in parsed.notes


def test_old_loss_is_gone_list_closed_after_the_first_pair():
    """``extract_json`` kept only ``[{...}]`` here and dropped the rest silently."""
    text = f"[{dumps(pair('a'))}],\n{dumps(pair('b'))}],\n{dumps(pair('c'))}]"
    assert queries(parse_pairs_reply(text)) == ["a", "b", "c"]


# -- 1. reasoning blocks ---------------------------------------------------------------------------

def test_think_block_is_removed_with_the_drafts_inside_it():
    text = f"<think>Maybe {dumps([pair('draft')])}?</think>\n{dumps([pair('final')])}"
    parsed = parse_pairs_reply(text)
    assert queries(parsed) == ["final"] and not parsed.fragments
    assert "think_block_removed" in parsed.notes


def test_closing_tag_without_opening_drops_what_precedes_it():
    parsed = parse_pairs_reply(f"thinking about {dumps(pair('draft'))}</think>{dumps([pair('final')])}")
    assert queries(parsed) == ["final"]


def test_reasoning_content_is_not_read():
    parsed = parse_pairs_reply(dumps([pair("a")]), reasoning=dumps([pair("r1"), pair("r2")]))
    assert queries(parsed) == ["a"]


@pytest.mark.parametrize("finish, code", [("length", "truncated"), ("stop", "json_invalid")])
def test_unclosed_think_block_yields_nothing_usable(finish, code):
    text = f"<think>Let me write {dumps(pair('draft'))} and then"
    parsed = parse_pairs_reply(text, finish)
    assert parsed.pairs == () and codes(parsed) == [code] and parsed.fragments[0].text == text
    assert parsed.truncated is (finish == "length") and not parsed.empty
    assert "think_unclosed" in parsed.notes


def test_unclosed_think_after_the_answer_keeps_the_answer():
    parsed = parse_pairs_reply(f"{dumps([pair('a')])}\n<think>on second thought")
    assert queries(parsed) == ["a"] and not parsed.fragments


def test_think_only_reply_is_empty():
    parsed = parse_pairs_reply("<think>hmm</think>\n  ", "length")
    assert parsed.empty and parsed.truncated and not parsed.pairs and not parsed.fragments


# -- 2. fences and prose ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    f"```json\n{dumps([pair('a'), pair('b')])}\n```",
    f'Sure! Here are "the pairs" you asked for:\n```\n{dumps([pair("a"), pair("b")])}\n```\nHope it helps.',
    f"Here you go [as asked]:\n{dumps([pair('a'), pair('b')])}\nEach \"query\" is natural.",
    f"```json\n{dumps([pair('a')])}\n```\nand\n```json\n{dumps([pair('b')])}\n```",
])
def test_fences_and_prose_around_json(text):
    parsed = parse_pairs_reply(text)
    assert queries(parsed) == ["a", "b"] and not parsed.fragments


# -- 3. expected shapes ----------------------------------------------------------------------------

def test_proper_list():
    parsed = parse_pairs_reply(dumps([pair("a"), pair("b")]))
    assert parsed.pairs == (RecoveredPair("a", [{"name": "f", "arguments": {"a": 1}}], dumps(pair("a"))),
                            RecoveredPair("b", [{"name": "f", "arguments": {"a": 1}}], dumps(pair("b"))))
    assert parsed.notes == ("json_list",)


@pytest.mark.parametrize("key", ["pairs", "data", "examples", "samples", "items", "results", "queries"])
def test_list_wrapped_in_an_object(key):
    parsed = parse_pairs_reply(dumps({key: [pair("a"), pair("b")]}))
    assert queries(parsed) == ["a", "b"] and "wrapped_list" in parsed.notes


def test_single_pair_object_instead_of_a_list():
    parsed = parse_pairs_reply(f"```json\n{json.dumps(pair('a'), indent=2)}\n```")
    assert queries(parsed) == ["a"] and "single_object" in parsed.notes


def test_list_items_that_are_not_pairs_are_accounted_for():
    parsed = parse_pairs_reply(dumps([pair("a"), {"question": "b", "answers": []}, "just text", 3]))
    assert queries(parsed) == ["a", None]  # an object in the list was meant as a pair: missing_query upstream
    assert codes(parsed) == ["json_invalid", "json_invalid"]
    assert [f.text for f in parsed.fragments] == ['"just text"', "3"]


@pytest.mark.parametrize("key", ["answer", "calls", "tool_calls"])
def test_answers_under_other_keys(key):
    parsed = parse_pairs_reply(dumps([{"query": "a", key: [{"name": "f", "arguments": {}}]}]))
    assert parsed.pairs[0].answers == [{"name": "f", "arguments": {}}]


def test_non_string_query_is_passed_through():
    parsed = parse_pairs_reply(dumps([{"query": ["a"], "answers": []}, {"query": None}]))
    assert queries(parsed) == [["a"], None] and parsed.pairs[1].answers is None


# -- 4. malformed lists ----------------------------------------------------------------------------

def test_extra_closing_brace_after_each_object():
    text = "[\n" + ",\n".join(dumps(pair(q)) + "}" for q in "abc") + "\n]"
    parsed = parse_pairs_reply(text)
    assert queries(parsed) == ["a", "b", "c"] and not parsed.fragments and "balanced_scan" in parsed.notes


def test_missing_commas_between_objects():
    text = "[" + "\n".join(dumps(pair(q)) for q in "abc") + "]"
    assert queries(parse_pairs_reply(text)) == ["a", "b", "c"]


def test_trailing_comma_and_wrapper_with_stray_brace():
    assert queries(parse_pairs_reply(f"[{dumps(pair('a'))},{dumps(pair('b'))},]")) == ["a", "b"]
    text = '{"pairs": [' + dumps(pair("a")) + "}, " + dumps(pair("b")) + "]}"
    assert queries(parse_pairs_reply(text)) == ["a", "b"]


def test_nested_query_objects_inside_a_pair_are_not_pairs():
    inner = {"query": "search", "answers": [{"name": "g", "arguments": {}}]}
    text = dumps([{"query": "a", "answers": [{"name": "search", "arguments": {"query": "shoes", "more": inner}}]}])
    parsed = parse_pairs_reply(text[:-1] + "}]")  # the stray "}" sends it to the scan
    assert queries(parsed) == ["a"] and "balanced_scan" in parsed.notes
    assert parsed.pairs[0].answers[0]["arguments"]["query"] == "shoes"


def test_broken_pair_is_one_fragment_and_its_query_arguments_are_not_pairs():
    broken = '{"query": "a", "answers": [{"name": "search", "arguments": {"query": "shoes"}}], oops}'
    parsed = parse_pairs_reply(f"[{broken}, {dumps(pair('b'))}]")
    assert queries(parsed) == ["b"]
    assert parsed.fragments == (Fragment(broken, "json_invalid"),)


def test_pair_missing_its_closing_brace_does_not_swallow_the_next_pairs():
    broken = '{"query": "a", "answers": [{"name": "f", "arguments": {}}]'
    parsed = parse_pairs_reply(f"[{broken},\n{dumps(pair('b'))},\n{dumps(pair('c'))}]")
    assert queries(parsed) == ["b", "c"]
    assert parsed.fragments == (Fragment(broken, "json_invalid"),)


def test_unquoted_or_braceless_attempts_become_fragments():
    parsed = parse_pairs_reply(f'[{dumps(pair("a"))}, "query": "b", "answers": []]')
    assert queries(parsed) == ["a"] and codes(parsed) == ["json_invalid"]
    assert '"query": "b"' in parsed.fragments[0].text
    parsed = parse_pairs_reply(f'[{dumps(pair("a"))}, {{"query": "b", "answers": [f(x=1)]}}]')
    assert queries(parsed) == ["a"] and parsed.fragments[0].text == '{"query": "b", "answers": [f(x=1)]}'


def test_odd_quote_or_raw_newline_damages_one_line_only():
    bad = '{"query": "Order a 12" pizza", "answers": [{"name": "order", "arguments": {"size": 12}}]}'
    parsed = parse_pairs_reply(f"[\n  {bad},\n  {dumps(pair('b'))},\n  {dumps(pair('c'))}\n]")
    assert queries(parsed) == ["b", "c"] and parsed.fragments == (Fragment(bad, "json_invalid"),)
    parsed = parse_pairs_reply('[{"query": "a\nb", "answers": []},\n {"query": "c", "answers": []}]')
    assert queries(parsed) == ["c"] and parsed.fragments == (Fragment('{"query": "a\nb", "answers": []}', "json_invalid"),)


def test_nan_is_not_json():
    parsed = parse_pairs_reply('[{"query": "a", "answers": [{"name": "f", "arguments": {"x": NaN}}]}]')
    assert parsed.pairs == () and codes(parsed) == ["json_invalid"]


# -- 5. length-cut replies -------------------------------------------------------------------------

def test_length_cut_keeps_complete_pairs_and_the_tail_as_truncated():
    text = f'```json\n[{dumps(pair("a"))},\n{dumps(pair("b"))},\n{{"query": "c", "answers": [{{"na'
    parsed = parse_pairs_reply(text, "length")
    assert queries(parsed) == ["a", "b"] and parsed.truncated
    assert parsed.fragments == (Fragment('{"query": "c", "answers": [{"na', "truncated"),)


def test_length_cut_before_the_query_key_is_complete():
    parsed = parse_pairs_reply(f'[{dumps(pair("a"))}, {{"que', "length")
    assert queries(parsed) == ["a"] and parsed.fragments == (Fragment('{"que', "truncated"),)


def test_length_cut_after_the_last_pair_leaves_no_fragment():
    parsed = parse_pairs_reply(f"[{dumps(pair('a'))}, {dumps(pair('b'))}]\n``", "length")
    assert queries(parsed) == ["a", "b"] and parsed.fragments == () and parsed.truncated


def test_cut_reply_without_length_is_json_invalid():
    parsed = parse_pairs_reply(f'[{dumps(pair("a"))}, {{"query": "c", "answers": [', "stop")
    assert queries(parsed) == ["a"] and codes(parsed) == ["json_invalid"] and not parsed.truncated


# -- 6. empty --------------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [None, "", "  \n\t"])
def test_empty_reply(content):
    assert parse_pairs_reply(content, "stop") == ParsedReply((), (), False, True, ())


# -- 7. native tool calls --------------------------------------------------------------------------

def tool_call(name: str, arguments) -> dict:
    return {"id": "call_1", "type": "function",
            "function": {"name": name, "arguments": arguments if isinstance(arguments, str) else dumps(arguments)}}


def test_tool_calls_without_a_query_are_one_no_query_fragment():
    calls = [tool_call("weather", {"city": "Paris"}), tool_call("search", {"query": "shoes"})]
    parsed = parse_pairs_reply(None, "tool_calls", tool_calls=calls)
    assert parsed.pairs == () and not parsed.empty and codes(parsed) == ["no_query"]
    assert json.loads(parsed.fragments[0].text) == [{"name": "weather", "arguments": {"city": "Paris"}},
                                                    {"name": "search", "arguments": {"query": "shoes"}}]
    assert "tool_calls" in parsed.notes


def test_tool_call_arguments_holding_pairs_are_pairs():
    calls = [tool_call("json", pair("a")), tool_call("json", {"pairs": [pair("b"), pair("c")]})]
    parsed = parse_pairs_reply("", "stop", tool_calls=calls)
    assert queries(parsed) == ["a", "b", "c"] and parsed.fragments == ()
    assert parsed.pairs[0].raw == dumps(pair("a"))


def test_tool_calls_beside_content():
    parsed = parse_pairs_reply("I will call the tool.", tool_calls=[tool_call("f", {"a": 1})])
    assert parsed.pairs == () and codes(parsed) == ["no_query"]
    parsed = parse_pairs_reply(dumps([pair("a")]), tool_calls=[tool_call("json", pair("b"))])
    assert sorted(queries(parsed)) == ["a", "b"]


@pytest.mark.parametrize("calls", [[None, "x", 3, {}, {"function": None}, {"function": {"arguments": "{"}}],
                                   "not a list", [{"function": {"name": "f", "arguments": {"query": "q"}}}]])
def test_odd_tool_calls_do_not_raise(calls):
    parsed = parse_pairs_reply(None, tool_calls=calls)
    assert parsed.pairs == ()


# -- 8. no JSON at all -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, finish, code", [
    ("I'm sorry, I can't help with that.", "stop", "json_invalid"),
    ("[]", "stop", "json_invalid"),
    ('{"passed": true}', None, "json_invalid"),
    ("Sure, here are the pai", "length", "truncated"),
    ("[{'query': 'python dict', 'answers': []}]", "stop", "json_invalid"),
])
def test_reply_without_pairs_is_one_fragment(text, finish, code):
    parsed = parse_pairs_reply(text, finish)
    assert parsed.pairs == () and parsed.fragments == (Fragment(text, code),) and not parsed.empty
    assert "no_pairs" in parsed.notes


# -- 9. answers: JSON strings, OpenAI shapes, Python call syntax -----------------------------------

@pytest.mark.parametrize("value, expected", [
    ('[{"name": "f", "arguments": {"a": 1}}]', [{"name": "f", "arguments": {"a": 1}}]),
    ({"name": "f", "arguments": {}}, [{"name": "f", "arguments": {}}]),
    ([{"name": "f", "arguments": '{"a": [1, 2]}'}], [{"name": "f", "arguments": {"a": [1, 2]}}]),
    ([{"name": "f", "arguments": "{not json"}], [{"name": "f", "arguments": "{not json"}]),
    ([{"name": "f", "arguments": "[1]"}], [{"name": "f", "arguments": "[1]"}]),
    ([{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": "x"}'}}],
     [{"name": "f", "arguments": {"a": "x"}}]),
    ('f(a=1, b="x")', [{"name": "f", "arguments": {"a": 1, "b": "x"}}]),
    ('[f(a=1), g(b=[1, 2])]', [{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {"b": [1, 2]}}]),
    ('(f(a=-2.5, b=None, c=True), g())', [{"name": "f", "arguments": {"a": -2.5, "b": None, "c": True}},
                                          {"name": "g", "arguments": {}}]),
    ('f(d={"k": (1, -2)})', [{"name": "f", "arguments": {"d": {"k": [1, -2]}}}]),
    (['f(a=1)', 'g(b="y")'], [{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {"b": "y"}}]),
    ("[]", []), (None, None), (3, 3), ("", ""), ('"f"', '"f"'), ([1, "x"], [1, "x"]),
])
def test_parse_calls(value, expected):
    assert parse_calls(value) == expected


@pytest.mark.parametrize("text", [
    "f(1)", "f(a=g())", "os.system(a='x')", "f(a=x)", "f(**k)", "f(a=1, a=2)", '__import__("os").system("ls")',
    "f(a=1e999)", "f(a={1: 2})", "f(a={**d})", "f(a=[i for i in range(9)])", "f(a=1+2)", "f(a=-True)",
    "f(a=b'x')", "f(a={1, 2})", "f(a=...)", "[f(a=1), 2]", "f(a=" + "[" * 300 + "]" * 300 + ")",
    "f(a=1", "lambda: 0", "f(a='\x00')",
])
def test_parse_calls_leaves_non_literal_python_unchanged(text):
    assert parse_calls(text) == text


def test_python_call_answers_in_a_pair():
    parsed = parse_pairs_reply(dumps([{"query": "a", "answers": "[f(city='Paris'), g(n=-3)]"}]))
    assert parsed.pairs[0].answers == [{"name": "f", "arguments": {"city": "Paris"}},
                                       {"name": "g", "arguments": {"n": -3}}]
    assert "python_calls" in parsed.notes


def test_arguments_as_json_strings_in_a_pair():
    text = dumps([{"query": "a", "answers": dumps([{"name": "f", "arguments": dumps({"x": 1})}])}])
    parsed = parse_pairs_reply(text)
    assert parsed.pairs[0].answers == [{"name": "f", "arguments": {"x": 1}}]
    assert {"answers_json_string", "arguments_json_string"} <= set(parsed.notes)


# -- 10. hostile input -----------------------------------------------------------------------------

HUGE = "x" * 1_000_000

HOSTILE = {
    "deep_lists": "[" * 100_000,
    "deep_closed_lists": "[" * 100_000 + "]" * 100_000,
    "deep_objects": "{" * 100_000,
    "deep_query_keys": '{"query": ' * 50_000,
    "deep_closed_query": '{"query": ' * 20_000 + "1" + "}" * 20_000,
    "deep_broken_query": '[{"query": ' * 5_000 + "x" + "}]" * 5_000,
    "quotes": '"' * 100_000,
    "unbalanced_quotes": '[{"query": "a, "answers": [}]' * 2_000,
    "closers": "}]" * 100_000,
    "backslashes": '[{"query": "' + "\\" * 100_001,
    "huge_string": dumps([{"query": HUGE, "answers": []}]),
    "huge_unclosed_string": '[{"query": "' + HUGE,
    "huge_prose": HUGE,
    "nul_bytes": '[{"query": "a\x00b", "answers": []}, {"query": "c", "answers": []}]\x00\x00',
    "surrogates": '[{"query": "\ud800\udfff\ud800", "answers": []}]\udc80',
    "escaped_surrogate": '[{"query": "\\ud800", "answers": []}]',
    "think_tags": "<think>" * 100_000,
    "close_tags": "</think>" * 100_000,
    "fences": "```" * 100_000,
    "fence_pairs": ("```json\n[" + dumps(pair("a")) + "\n```") * 3_000,
    "many_pairs": "[" + ",".join([dumps(pair(str(i))) for i in range(5_000)]) + "]]",
    "many_fragments": "[" + ",".join(['{"query": "a", oops}'] * 5_000) + "]",
    "newlines_in_strings": '[{"query": "a\nb", "answers": []}]' * 1_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("finish", ["stop", "length"])
def test_hostile_input_never_raises_and_is_bounded(name, finish):
    started = time.perf_counter()
    parsed = parse_pairs_reply(HOSTILE[name], finish)
    assert time.perf_counter() - started < 10
    assert len(parsed.pairs) + len(parsed.fragments) <= MAX_ITEMS
    assert all(len(p.raw) <= MAX_TEXT for p in parsed.pairs)
    assert all(len(f.text) <= MAX_TEXT for f in parsed.fragments)
    assert parsed.pairs or parsed.fragments  # something non-empty is always accounted for


def test_hostile_huge_pair_is_recovered_with_clipped_raw():
    parsed = parse_pairs_reply(HOSTILE["huge_string"] + "]")
    assert len(parsed.pairs) == 1 and parsed.pairs[0].query == HUGE and len(parsed.pairs[0].raw) == MAX_TEXT


def test_hostile_many_pairs_are_capped():
    parsed = parse_pairs_reply(HOSTILE["many_pairs"])
    assert len(parsed.pairs) == MAX_ITEMS and parsed.pairs[-1].query == str(MAX_ITEMS - 1)


def test_hostile_nul_and_surrogates():
    parsed = parse_pairs_reply(HOSTILE["nul_bytes"])
    assert queries(parsed) == ["c"] and codes(parsed) == ["json_invalid"]  # raw NUL is not allowed in JSON strings
    assert queries(parse_pairs_reply(HOSTILE["surrogates"])) == ["\ud800\udfff\ud800"]
    assert queries(parse_pairs_reply(HOSTILE["escaped_surrogate"])) == ["\ud800"]


def test_hostile_parse_calls():
    for value in ["[" * 100_000, "f(" * 100_000, "f(a=" + "-" * 100_000 + "1)", HUGE + "(", {"function": "x"},
                  [{"function": {"name": "f", "arguments": "[" * 100_000}}]]:
        parse_calls(value)
