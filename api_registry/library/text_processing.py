"""Text analysis and transformation: word statistics, case styles, slugs, similarity and extraction."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections import Counter
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "text"

_WORD = re.compile(r"[A-Za-z0-9']+")


class WordCount(TypedDict):
    word: str
    count: int


def _words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text) if w.strip("'")]


@api(category=CAT, examples=[({"text": "Hello world. How are you today?"},
                              {"words": 6, "characters": 31, "characters_no_spaces": 26, "sentences": 2, "average_word_length": 4.0}),
                             ({"text": "One sentence only"},
                              {"words": 3, "characters": 17, "characters_no_spaces": 15, "sentences": 1, "average_word_length": 5.0})])
def text_statistics(text: str) -> dict[str, float]:
    """Count words, characters (with and without whitespace) and sentences in a text, plus the average word length.

    Args:
        text: The text to analyse.
    """
    words = _words(text)
    sentences = [s for s in re.split(r"[.!?]+", text) if s.strip()]
    return {"words": len(words), "characters": len(text), "characters_no_spaces": len(re.sub(r"\s", "", text)),
            "sentences": len(sentences),
            "average_word_length": round(sum(len(w) for w in words) / len(words), 2) if words else 0.0}


@api(category=CAT, examples=[({"text": "the cat and the hat", "top_n": 2}, [{"word": "the", "count": 2}, {"word": "and", "count": 1}]),
                             ({"text": "Go go GO stop"}, [{"word": "go", "count": 3}, {"word": "stop", "count": 1}]),
                             ({"text": "Go go GO stop", "case_sensitive": True},
                              [{"word": "GO", "count": 1}, {"word": "Go", "count": 1}, {"word": "go", "count": 1}, {"word": "stop", "count": 1}])],
     raises=[{"text": "a b c", "top_n": 0}])
def word_frequencies(text: str, top_n: int | None = None, case_sensitive: bool = False) -> list[WordCount]:
    """Count how often each word occurs in a text, most frequent first (ties in alphabetical order).

    Args:
        text: The text to analyse.
        top_n: If given, return only this many of the most frequent words; must be positive.
        case_sensitive: If true, treat words differing only in case as different words.
    """
    if top_n is not None and top_n < 1:
        raise ValueError("top_n must be positive")
    words = _words(text) if case_sensitive else [w.lower() for w in _words(text)]
    ranked = sorted(Counter(words).items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"word": w, "count": c} for w, c in ranked[:top_n]]


def _split_identifier(text: str) -> list[str]:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return [p for p in re.split(r"[^A-Za-z0-9]+", text) if p]


@api(category=CAT, examples=[({"text": "Hello World example", "style": "snake"}, "hello_world_example"),
                             ({"text": "user_id_value", "style": "camel"}, "userIdValue"),
                             ({"text": "parseHTTPResponse", "style": "kebab"}, "parse-http-response"),
                             ({"text": "max-retry-count", "style": "pascal"}, "MaxRetryCount")],
     raises=[{"text": "  ---  ", "style": "snake"}])
def convert_case(text: str, style: Literal["snake", "camel", "pascal", "kebab", "constant", "title"]) -> str:
    """Convert a phrase or identifier to another naming style such as snake_case, camelCase or kebab-case.

    Args:
        text: The phrase or identifier to convert; word boundaries are spaces, punctuation and case changes.
        style: The target style: snake, camel, pascal, kebab, constant (UPPER_SNAKE) or title.
    """
    parts = _split_identifier(text)
    if not parts:
        raise ValueError("text contains no letters or digits")
    lower = [p.lower() for p in parts]
    if style == "snake":
        return "_".join(lower)
    if style == "constant":
        return "_".join(lower).upper()
    if style == "kebab":
        return "-".join(lower)
    if style == "camel":
        return lower[0] + "".join(p.capitalize() for p in lower[1:])
    if style == "pascal":
        return "".join(p.capitalize() for p in lower)
    return " ".join(p.capitalize() for p in lower)


@api(category=CAT, examples=[({"text": "A man, a plan, a canal: Panama"}, True), ({"text": "hello"}, False),
                             ({"text": "Was it a car or a cat I saw?", "ignore_non_alphanumeric": False}, False)])
def is_palindrome(text: str, ignore_non_alphanumeric: bool = True) -> bool:
    """Check whether a text reads the same forwards and backwards, ignoring case.

    Args:
        text: The text to check.
        ignore_non_alphanumeric: If true, ignore spaces and punctuation when comparing.
    """
    chars = [c.lower() for c in text if c.isalnum() or not ignore_non_alphanumeric]
    return chars == chars[::-1]


@api(category=CAT, examples=[({"source": "kitten", "target": "sitting"}, 3), ({"source": "flaw", "target": "lawn"}, 2),
                             ({"source": "Book", "target": "book", "case_sensitive": False}, 0)])
def levenshtein_distance(source: str, target: str, case_sensitive: bool = True) -> int:
    """Compute the Levenshtein edit distance: the minimum insertions, deletions and substitutions turning source into target.

    Args:
        source: The original string.
        target: The string to transform into.
        case_sensitive: If false, compare the strings ignoring case.
    """
    if not case_sensitive:
        source, target = source.lower(), target.lower()
    prev = list(range(len(target) + 1))
    for i, a in enumerate(source, 1):
        cur = [i]
        for j, b in enumerate(target, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b)))
        prev = cur
    return prev[-1]


@api(category=CAT, examples=[({"text": "Contact a@b.com or sales@example.org."}, ["a@b.com", "sales@example.org"]),
                             ({"text": "Mail John.Doe@Mail.example.co.uk twice: john.doe@mail.example.co.uk", "unique": True},
                              ["john.doe@mail.example.co.uk"]),
                             ({"text": "no addresses here"}, [])])
def extract_emails(text: str, unique: bool = False) -> list[str]:
    """Extract email addresses from free text in order of appearance.

    Args:
        text: The text to scan.
        unique: If true, lowercase the addresses and drop repeats.
    """
    found = re.findall(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", text)
    if not unique:
        return found
    out: list[str] = []
    for e in found:
        if e.lower() not in out:
            out.append(e.lower())
    return out


@api(category=CAT, examples=[({"text": "Hello, World! 2024"}, "hello-world-2024"), ({"text": "Crème Brûlée Recipe", "separator": "_"}, "creme_brulee_recipe"),
                             ({"text": "The Quick Brown Fox Jumps", "max_length": 15}, "the-quick-brown")],
     raises=[{"text": "!!!"}, {"text": "abc", "max_length": 0}])
def slugify_text(text: str, separator: str = "-", max_length: int | None = None) -> str:
    """Turn a title into a URL-friendly slug: ASCII lowercase words joined by a separator.

    Args:
        text: The title or phrase to slugify.
        separator: The string placed between words.
        max_length: If given, cut the slug to at most this many characters, at a word boundary when possible.
    """
    if max_length is not None and max_length < 1:
        raise ValueError("max_length must be positive")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    if not words:
        raise ValueError("text contains no letters or digits")
    slug = separator.join(words)
    if max_length is not None and len(slug) > max_length:
        cut = slug[:max_length]
        if separator and slug[max_length:max_length + len(separator)] != separator and separator in cut:
            cut = cut[: cut.rfind(separator)]
        slug = cut.rstrip(separator) if separator else cut
    return slug


@api(category=CAT, examples=[({"text": "The quick brown fox jumps", "max_length": 15}, "The quick..."),
                             ({"text": "The quick brown fox jumps", "max_length": 15, "word_boundary": False}, "The quick br..."),
                             ({"text": "Short", "max_length": 10}, "Short")],
     raises=[{"text": "Hello world", "max_length": 2}])
def truncate_text(text: str, max_length: int, ellipsis: str = "...", word_boundary: bool = True) -> str:
    """Shorten a text to at most max_length characters, appending an ellipsis when it was cut.

    Args:
        text: The text to shorten.
        max_length: The maximum length of the result, ellipsis included; must exceed the ellipsis length.
        ellipsis: The marker appended when the text is cut.
        word_boundary: If true, cut at the last whole word instead of mid-word.
    """
    if max_length <= len(ellipsis):
        raise ValueError("max_length must be longer than the ellipsis")
    if len(text) <= max_length:
        return text
    cut = text[: max_length - len(ellipsis)]
    if word_boundary and " " in cut and text[len(cut)] != " ":
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + ellipsis


@api(category=CAT, examples=[({"strings": ["flower", "flow", "flight"]}, "fl"), ({"strings": ["dog", "racecar", "car"]}, ""),
                             ({"strings": ["interview", "internet", "interval"]}, "inter")],
     raises=[{"strings": []}])
def longest_common_prefix(strings: list[str]) -> str:
    """Find the longest prefix shared by every string in a list.

    Args:
        strings: The strings to compare; must not be empty.
    """
    if not strings:
        raise ValueError("strings must not be empty")
    prefix = min(strings)
    last = max(strings)
    i = 0
    while i < len(prefix) and i < len(last) and prefix[i] == last[i]:
        i += 1
    return prefix[:i]


@api(category=CAT, examples=[({"first": "listen", "second": "silent"}, True), ({"first": "Dormitory", "second": "dirty room"}, True),
                             ({"first": "apple", "second": "paper"}, False)])
def are_anagrams(first: str, second: str, ignore_spaces: bool = True) -> bool:
    """Check whether two strings are anagrams (the same letters rearranged), ignoring case.

    Args:
        first: The first string.
        second: The second string.
        ignore_spaces: If true, ignore whitespace and punctuation when comparing.
    """
    def key(s: str) -> list[str]:
        return sorted(c.lower() for c in s if c.isalnum() or not ignore_spaces)
    return key(first) == key(second)


@api(category=CAT, examples=[({"text": "The quick brown fox jumps over the lazy dog", "width": 15},
                              ["The quick brown", "fox jumps over", "the lazy dog"]),
                             ({"text": "Short line", "width": 40}, ["Short line"])],
     raises=[{"text": "abc", "width": 0}])
def wrap_text(text: str, width: int = 40) -> list[str]:
    """Wrap text into lines no longer than the given width, breaking at spaces.

    Args:
        text: The text to wrap.
        width: The maximum line length in characters; must be positive.
    """
    if width < 1:
        raise ValueError("width must be positive")
    return textwrap.wrap(text, width=width)


@api(category=CAT, examples=[({"text": "Hello World"}, {"vowels": 3, "consonants": 7, "digits": 0, "spaces": 1, "other": 0}),
                             ({"text": "R2-D2 rocks!"}, {"vowels": 1, "consonants": 6, "digits": 2, "spaces": 1, "other": 2})])
def count_character_classes(text: str) -> dict[str, int]:
    """Count the vowels, consonants, digits, whitespace and other characters in a text.

    Args:
        text: The text to analyse.
    """
    out = {"vowels": 0, "consonants": 0, "digits": 0, "spaces": 0, "other": 0}
    for c in text:
        if c.isalpha():
            out["vowels" if c.lower() in "aeiou" else "consonants"] += 1
        elif c.isdigit():
            out["digits"] += 1
        elif c.isspace():
            out["spaces"] += 1
        else:
            out["other"] += 1
    return out
