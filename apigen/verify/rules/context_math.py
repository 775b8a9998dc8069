"""Number comparison the query index and the rules share."""

from __future__ import annotations

import bisect
import math


def _close_to_any(value: float, numbers: list[float]) -> bool:
    """``math.isclose(value, n, rel_tol=1e-9, abs_tol=1e-12)`` for some ``n`` of a sorted list: only
    the neighbours of ``value``'s place in it can be that close."""
    i = bisect.bisect_left(numbers, value)
    return any(math.isclose(value, n, rel_tol=1e-9, abs_tol=1e-12) for n in numbers[max(i - 2, 0):i + 2])

