"""Rule ``incomplete_answer``: the query lists or counts items and the calls leave some out."""

from __future__ import annotations

import re
from itertools import islice
from typing import Iterator

from api_registry.spec import ToolSpec
from apigen.models import Finding
from apigen.verify.rules.context import Context, _close_to_any, _schema_options
from apigen.verify.rules.query import QueryIndex, _fold, _stem
from apigen.verify.rules.registry import Rule
from apigen.verify.rules.vocabulary import MAX_LIST_ITEMS, MAX_MATCHES, _COUNT_WORDS, _STOPWORDS, _TOKEN

_NUM = r"-?\d+(?:\.\d+)?"
_QUOTED = r"(?:'[^'\n]{1,60}'|\"[^\"\n]{1,60}\")"
_CAP = r"[A-Z][\w.'&-]*(?:\s+[A-Z][\w.'&-]*){0,3}"
_MORE = f"{{0,{MAX_LIST_ITEMS}}}"  # bounded: a long list without "and" must not be rescanned from every item
_ENUMERATIONS = [
    (re.compile(rf"(?<![\w'\"]){_QUOTED}(?:\s*,\s*{_QUOTED}){_MORE}\s*,?\s+(?:and|&)\s+{_QUOTED}(?![\w'\"])"), _QUOTED),
    (re.compile(rf"(?<![\w.,/:#-]){_NUM}(?:\s*,\s*{_NUM}){_MORE}\s*,?\s+(?:and|&)\s+{_NUM}(?![\w.%/:-]|,\d)"), _NUM),
    (re.compile(rf"(?<![\w'\"]){_CAP}(?:\s*,\s*{_CAP}){_MORE}\s*,?\s+(?:and|&)\s+{_CAP}\b"), _CAP),
]
_NOT_A_REQUEST = re.compile(r"\b(between|from|e\.g|eg|i\.e|such as|including|like|either|among|or|"
                            r"options?|values?|supports?|supported)\W*$", re.I)


def _enumerations(q: QueryIndex, descriptions: str) -> Iterator[tuple[list[str], bool]]:
    """(items, are_names) for items a query lists in one breath ("for 'a', 'b' and 'c'", "for 5 and
    7", "Paris, London and Tokyo"), skipping ranges ("between 1 and 10"), examples ("such as X and
    Y"), alternatives ("either X or Y") and lists copied from a tool's own description."""
    for pattern, item in _ENUMERATIONS:
        for match in islice(pattern.finditer(q.text), MAX_MATCHES):
            before = q.text[max(match.start() - 30, 0): match.start()]
            if _NOT_A_REQUEST.search(before) or match.group().lower() in descriptions:
                continue
            items = [i.strip("'\" ").rstrip(".") for i in re.findall(item, match.group())]
            if item is _CAP:  # "Madrid's" is Madrid; "Mike. In" ends at the sentence; "I'm" is no item
                items = [re.sub(r"'s$", "", re.split(r"\.\s", i)[0]) for i in items]
                items = [i for i in items if not re.fullmatch(r"I(?:'[a-z]+)?", i)]
            if item is _CAP:  # "Compare Paris and Rome": the verb is not an item
                items = [" ".join(_drop_leading_stopwords(i.split())) for i in items]
                items = [i for i in items if i]
            if len(items) >= 2 and len({i.lower() for i in items}) == len(items):
                yield items, item is _CAP


_LEADING_VERBS = frozenset("""compare fetch retrieve check list search calculate compute convert look lookup
translate book order send create generate weather""".split())


def _drop_leading_stopwords(words: list[str]) -> list[str]:
    while words and (words[0].lower() in _STOPWORDS or words[0].lower() in _LEADING_VERBS):
        words = words[1:]
    return words


def _carries(item_tokens: list[str], ctx: Context) -> bool:
    """Some value carries the tokens: a string as a run of its tokens, a number as the one token."""
    if len(item_tokens) == 1 and re.fullmatch(_NUM, item_tokens[0]) is not None:
        try:
            if _close_to_any(float(item_tokens[0]), ctx.leaf_numbers):
                return True
        except OverflowError:
            pass
    return " " + " ".join(item_tokens) + " " in ctx.leaf_text


def _covered(item: str, ctx: Context, name: bool) -> bool:
    """Some argument of some call carries the item (as a token run of a string, or as a number).
    For a capitalized name any tail of it counts, since a capitalized word before it may have been
    swallowed into it ("Weather Paris")."""
    tokens = [t.lower() for t in _TOKEN.findall(_fold(item))] if not re.fullmatch(_NUM, item) else [item]
    if not tokens:
        return True
    tails = [tokens[k:] for k in range(len(tokens))] if name else [tokens]
    return any(_carries(tail, ctx) for tail in tails)


_QUANTITY_NOUNS = frozenset("""second minute hour day night week weekend month year decade time decimal
digit place letter character word sentence paragraph page line adult child kid guest person people room
seat ticket serving portion cup spoon player team member item result row column bit byte dollar euro
percent point degree step unit""".split())


def _count_claims(ctx: Context) -> Iterator[tuple[int, str, list[str]]]:
    """(count, noun, related tools) for "three cities"-style phrases that count the values of a
    called tool's one-item string parameter (``city`` for "cities", ``symbol`` for "stock symbols").
    Counts of quantities ("two nights", "three decimals") and phrases copied from a tool's own
    description are not claims about the number of calls."""
    called = {c.name for c in ctx.calls if c.name in ctx.tools}
    described = [ctx.tools[name].description.lower() for name in called]
    phrases = re.finditer(r"\b(" + "|".join(_COUNT_WORDS) + r")\s+(?:[a-z-]+\s+)?([a-z]{3,}s)\b", ctx.index.lower)
    for match in islice(phrases, MAX_MATCHES):
        count, noun = _COUNT_WORDS[match.group(1)], match.group(2)
        stem = _stem(noun)
        if noun.endswith("ss") or stem in _QUANTITY_NOUNS or noun in _QUANTITY_NOUNS:
            continue
        if any(match.group() in description for description in described):
            continue
        related = []
        for name in sorted(called):
            for pname, pschema in ctx.tools[name].properties.items():
                kinds = {o.get("type") for o in _schema_options(pschema)} - {None, "null"}
                if kinds - {"string"}:
                    continue  # a number counts a quantity, a list holds many items
                words = re.findall(r"[a-z]+", pname.lower())
                description = str(pschema.get("description", "")).lower()
                if stem in words or re.search(rf"\bthe (\w+ )?{re.escape(stem)}\b", description):
                    related.append(name)
                    break
        if related:
            yield count, noun, related


def _takes_many(tool: ToolSpec) -> bool:
    return any(o.get("type") == "array" or "items" in o
               for p in tool.properties.values() for o in _schema_options(p))


def incomplete_answers(ctx: Context) -> Iterator[Finding]:
    """An answer that does part of the job is worse than none: the dataset teaches the model to drop
    requests. Two clear signals are checked. (1) The query lists items in one breath and the calls
    carry some of them but not all (when none is carried the list is about something else, so
    nothing is said). (2) The query counts the items of a called tool's parameter ("three cities"),
    the tool takes one item per call, the count is not itself an argument, and there are fewer calls."""
    descriptions = " ".join(t.description for t in ctx.tools.values()).lower()
    for items, names in _enumerations(ctx.index, descriptions):
        covered = [i for i in items if _covered(i, ctx, names)]
        missing = [i for i in items if i not in covered]
        if covered and missing:
            yield Finding(code="incomplete_answer", call=None, message=(
                f"the query lists {', '.join(repr(i) for i in items)} but no call uses "
                f"{', '.join(repr(i) for i in missing)}"))
    for count, noun, related in _count_claims(ctx):
        if _close_to_any(float(count), ctx.leaf_numbers) or any(_takes_many(ctx.tools[n]) for n in related):
            continue
        calls = [c for c in ctx.calls if c.name in related]
        if any(re.search(r"[,;|]| and ", str(v)) for c in calls for v in (c.arguments or {}).values()):
            continue  # several items joined into one argument
        made = len(calls)
        if made < count:
            yield Finding(code="incomplete_answer", call=None, message=(
                f"the query asks for {count} {noun} but there are only {made} call(s) to "
                f"{', '.join(sorted(set(related)))}"))


RULE = Rule("incomplete_answer", incomplete_answers, order=90)
