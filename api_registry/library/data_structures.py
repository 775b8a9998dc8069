"""List, matrix and dictionary manipulation: chunking, deduplication, merging, grouping and searching."""

from __future__ import annotations

from collections import Counter
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "data_structures"


class KeyValue(TypedDict):
    key: str
    value: float


@api(category=CAT, examples=[({"items": [1, 2, 3, 4, 5, 6, 7], "size": 3}, [[1, 2, 3], [4, 5, 6], [7]]),
                             ({"items": [10, 20, 30, 40], "size": 2}, [[10, 20], [30, 40]])],
     raises=[{"items": [1, 2, 3], "size": 0}])
def chunk_list(items: list[int], size: int) -> list[list[int]]:
    """Split a list into consecutive chunks of a given size; the last chunk may be shorter.

    Args:
        items: The list to split.
        size: The number of items per chunk; must be positive.
    """
    if size < 1:
        raise ValueError("size must be positive")
    return [items[i:i + size] for i in range(0, len(items), size)]


@api(category=CAT, examples=[({"items": ["a", "b", "a", "c", "b"]}, ["a", "b", "c"]),
                             ({"items": ["Apple", "apple", "Banana"], "case_sensitive": False}, ["Apple", "Banana"])])
def remove_duplicates(items: list[str], case_sensitive: bool = True) -> list[str]:
    """Remove repeated strings from a list while keeping the first occurrence of each in its original order.

    Args:
        items: The strings to deduplicate.
        case_sensitive: If false, strings differing only in case count as duplicates.
    """
    seen, out = set(), []
    for item in items:
        key = item if case_sensitive else item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@api(category=CAT, examples=[({"first": [1, 4, 9], "second": [2, 3, 10]}, [1, 2, 3, 4, 9, 10]),
                             ({"first": [], "second": [5, 6]}, [5, 6])],
     raises=[{"first": [3, 1], "second": [2]}])
def merge_sorted_lists(first: list[float], second: list[float]) -> list[float]:
    """Merge two ascending lists of numbers into one ascending list in linear time.

    Args:
        first: The first list, sorted in ascending order.
        second: The second list, sorted in ascending order.
    """
    for name, seq in (("first", first), ("second", second)):
        if any(seq[i] > seq[i + 1] for i in range(len(seq) - 1)):
            raise ValueError(f"{name} is not sorted in ascending order")
    out, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        if first[i] <= second[j]:
            out.append(first[i])
            i += 1
        else:
            out.append(second[j])
            j += 1
    return out + first[i:] + second[j:]


@api(category=CAT, examples=[({"items": [1, 2, 3, 4, 5], "steps": 2}, [4, 5, 1, 2, 3]),
                             ({"items": [1, 2, 3, 4, 5], "steps": 1, "direction": "left"}, [2, 3, 4, 5, 1])],
     raises=[{"items": [], "steps": 2}])
def rotate_list(items: list[int], steps: int, direction: Literal["left", "right"] = "right") -> list[int]:
    """Rotate a list cyclically by a number of steps to the left or right.

    Args:
        items: The list to rotate; must not be empty.
        steps: How many positions to rotate by.
        direction: The direction of rotation.
    """
    if not items:
        raise ValueError("items must not be empty")
    k = steps % len(items)
    if direction == "left":
        return items[k:] + items[:k]
    return items[-k:] + items[:-k] if k else list(items)


@api(category=CAT, examples=[({"items": ["a", "b", "a", "c", "b", "a"]}, {"a": 3, "b": 2}),
                             ({"items": ["x", "y"]}, {}),
                             ({"items": ["x", "x", "y", "y", "y"], "min_count": 3}, {"y": 3})],
     raises=[{"items": ["a"], "min_count": 1}])
def find_duplicates(items: list[str], min_count: int = 2) -> dict[str, int]:
    """Report the strings that occur at least min_count times in a list, with their counts, in first-seen order.

    Args:
        items: The strings to inspect.
        min_count: The minimum number of occurrences to report; must be at least 2.
    """
    if min_count < 2:
        raise ValueError("min_count must be at least 2")
    counts = Counter(items)
    return {k: v for k, v in counts.items() if v >= min_count}


@api(category=CAT, examples=[({"sorted_items": [1, 3, 5, 7, 9], "target": 7}, 3), ({"sorted_items": [1, 3, 5, 7, 9], "target": 4}, -1),
                             ({"sorted_items": [2, 4, 4, 4, 8], "target": 4}, 1)],
     raises=[{"sorted_items": [5, 1, 3], "target": 1}])
def binary_search_index(sorted_items: list[int], target: int) -> int:
    """Find the index of the first occurrence of a target in an ascending list using binary search, or -1 if absent.

    Args:
        sorted_items: The integers to search, sorted in ascending order.
        target: The value to look for.
    """
    if any(sorted_items[i] > sorted_items[i + 1] for i in range(len(sorted_items) - 1)):
        raise ValueError("sorted_items is not sorted in ascending order")
    lo, hi = 0, len(sorted_items)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_items[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(sorted_items) and sorted_items[lo] == target else -1


@api(category=CAT, examples=[({"matrix": [[1, 2, 3], [4, 5, 6]]}, [[1, 4], [2, 5], [3, 6]]), ({"matrix": [[7]]}, [[7]])],
     raises=[{"matrix": [[1, 2], [3]]}])
def transpose_matrix(matrix: list[list[float]]) -> list[list[float]]:
    """Transpose a rectangular matrix given as a list of rows, turning rows into columns.

    Args:
        matrix: The matrix as a list of equal-length rows.
    """
    if matrix and any(len(r) != len(matrix[0]) for r in matrix):
        raise ValueError("all rows must have the same length")
    return [list(col) for col in zip(*matrix)]


@api(category=CAT, examples=[
    ({"records": [{"name": "Ann", "team": "red"}, {"name": "Bo", "team": "blue"}, {"name": "Cy", "team": "red"}], "field": "team"},
     {"red": [{"name": "Ann", "team": "red"}, {"name": "Cy", "team": "red"}], "blue": [{"name": "Bo", "team": "blue"}]}),
    ({"records": [{"city": "Paris", "country": "FR"}, {"city": "Lyon", "country": "FR"}], "field": "country"},
     {"FR": [{"city": "Paris", "country": "FR"}, {"city": "Lyon", "country": "FR"}]})],
    raises=[{"records": [{"name": "Ann"}], "field": "team"}])
def group_records_by_field(records: list[dict[str, str]], field: str) -> dict[str, list[dict[str, str]]]:
    """Group a list of records (string-valued objects) by the value of one field, keeping record order within groups.

    Args:
        records: The records to group; each must contain the field.
        field: The name of the field whose value defines the groups.
    """
    groups: dict[str, list[dict[str, str]]] = {}
    for i, rec in enumerate(records):
        if field not in rec:
            raise KeyError(f"record {i} has no field {field!r}")
        groups.setdefault(rec[field], []).append(rec)
    return groups


@api(category=CAT, examples=[({"scores": {"alice": 91, "bob": 78, "cara": 85, "dan": 99}, "k": 2},
                              [{"key": "dan", "value": 99}, {"key": "alice", "value": 91}]),
                             ({"scores": {"alice": 91, "bob": 78, "cara": 85}, "k": 1, "ascending": True}, [{"key": "bob", "value": 78}])],
     raises=[{"scores": {"a": 1}, "k": 0}])
def top_k_entries(scores: dict[str, float], k: int = 3, ascending: bool = False) -> list[KeyValue]:
    """Return the k entries of a name-to-score mapping with the highest (or lowest) scores, ties broken by name.

    Args:
        scores: The mapping from names to numeric scores.
        k: How many entries to return; must be positive.
        ascending: If true, return the lowest scores instead of the highest.
    """
    if k < 1:
        raise ValueError("k must be positive")
    ranked = sorted(scores.items(), key=lambda kv: (kv[1] if ascending else -kv[1], kv[0]))
    return [{"key": key, "value": value} for key, value in ranked[:k]]


@api(category=CAT, examples=[({"mapping": {"a": "x", "b": "y"}}, {"x": "a", "y": "b"}),
                             ({"mapping": {"en": "hello", "fr": "bonjour"}}, {"hello": "en", "bonjour": "fr"})],
     raises=[{"mapping": {"a": "x", "b": "x"}}])
def invert_dictionary(mapping: dict[str, str]) -> dict[str, str]:
    """Swap the keys and values of a string mapping; values must be unique.

    Args:
        mapping: The mapping to invert; no two keys may share a value.
    """
    out: dict[str, str] = {}
    for key, value in mapping.items():
        if value in out:
            raise ValueError(f"value {value!r} occurs for both {out[value]!r} and {key!r}")
        out[value] = key
    return out


@api(category=CAT, examples=[({"base": {"a": 1, "b": 2}, "override": {"b": 3, "c": 4}}, {"a": 1, "b": 3, "c": 4}),
                             ({"base": {"a": 1, "b": 2}, "override": {"b": 3, "c": 4}, "strategy": "sum"}, {"a": 1, "b": 5, "c": 4}),
                             ({"base": {"a": 1, "b": 2}, "override": {"b": 3}, "strategy": "keep_first"}, {"a": 1, "b": 2})])
def merge_dictionaries(base: dict[str, float], override: dict[str, float],
                       strategy: Literal["override", "keep_first", "sum", "max"] = "override") -> dict[str, float]:
    """Merge two name-to-number mappings, resolving keys present in both by a strategy.

    Args:
        base: The first mapping.
        override: The second mapping, merged into the first.
        strategy: How to combine a shared key: take the second value, keep the first, sum them or take the maximum.
    """
    out = dict(base)
    for key, value in override.items():
        if key not in out or strategy == "override":
            out[key] = value
        elif strategy == "sum":
            out[key] = out[key] + value
        elif strategy == "max":
            out[key] = max(out[key], value)
    return out


@api(category=CAT, examples=[({"nested": [[1, 2], [3], [], [4, 5]]}, [1, 2, 3, 4, 5]), ({"nested": [[9, 8], [7]], "sort": True}, [7, 8, 9])])
def flatten_lists(nested: list[list[int]], sort: bool = False) -> list[int]:
    """Flatten a list of integer lists into a single list, optionally sorted ascending.

    Args:
        nested: The lists to concatenate, in order.
        sort: If true, sort the flattened result in ascending order.
    """
    flat = [x for sub in nested for x in sub]
    return sorted(flat) if sort else flat
