"""Arithmetic and number theory."""

from __future__ import annotations

import math
from typing import Literal

from api_registry.python_functions import api


@api(category="math", examples=[({"n": 5}, 120), ({"n": 0}, 1)], raises=[{"n": -3}])
def factorial(n: int) -> int:
    """Compute the factorial n! of a non-negative integer.

    Args:
        n: The non-negative integer whose factorial is computed.
    """
    if n < 0:
        raise ValueError("n must be non-negative")
    if n > 10000:
        raise ValueError("n must be at most 10000")
    return math.factorial(n)


@api(category="math", examples=[({"a": 48, "b": 18}, 6), ({"a": 17, "b": 5}, 1)])
def greatest_common_divisor(a: int, b: int) -> int:
    """Find the greatest common divisor of two integers.

    Args:
        a: The first integer.
        b: The second integer.
    """
    return math.gcd(a, b)


@api(category="math", examples=[({"numbers": [1, 2, 3], "mode": "sum"}, 6), ({"numbers": [2, 5], "mode": "product"}, 10)])
def aggregate_numbers(numbers: list[float], mode: Literal["sum", "product", "max", "min"] = "sum") -> float:
    """Aggregate a list of numbers into one value.

    Args:
        numbers: The numbers to aggregate.
        mode: How to aggregate them: sum, product, max or min.
    """
    if not numbers:
        raise ValueError("numbers must not be empty")
    if mode == "sum":
        return sum(numbers)
    if mode == "product":
        return math.prod(numbers)
    return max(numbers) if mode == "max" else min(numbers)


@api(category="math", examples=[({"n": 97}, True), ({"n": 91}, False), ({"n": 2}, True), ({"n": 1000000007}, True)],
     raises=[{"n": -7}, {"n": 10 ** 30}])
def is_prime_number(n: int) -> bool:
    """Check whether a non-negative integer (up to 3 x 10^24) is prime, using a deterministic Miller-Rabin test.

    Args:
        n: The non-negative integer to test for primality, at most 3 x 10^24.
    """
    if n < 0:
        raise ValueError("n must be non-negative")
    if n > 3 * 10 ** 24:
        raise ValueError("n must be at most 3 x 10^24")
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    if n < 2:
        return False
    for p in bases:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@api(category="math", examples=[({"n": 360}, [2, 2, 2, 3, 3, 5]), ({"n": 360, "distinct": True}, [2, 3, 5]),
                                ({"n": 600851475143}, [71, 839, 1471, 6857])], raises=[{"n": 1}, {"n": 10 ** 13}])
def prime_factorization(n: int, distinct: bool = False) -> list[int]:
    """Decompose an integer between 2 and 10^12 into its prime factors, listed in ascending order.

    Args:
        n: The integer to factor; between 2 and 10^12.
        distinct: If true, list each prime factor only once instead of with multiplicity.
    """
    if not 2 <= n <= 10 ** 12:
        raise ValueError("n must be between 2 and 10^12")
    factors: list[int] = []
    for p in (2, 3):
        while n % p == 0:
            factors.append(p)
            n //= p
    d = 5
    while d * d <= n:
        for q in (d, d + 2):
            while n % q == 0:
                factors.append(q)
                n //= q
        d += 6
    if n > 1:
        factors.append(n)
    return sorted(set(factors)) if distinct else factors


@api(category="math", examples=[({"numbers": [4, 6]}, 12), ({"numbers": [3, 5, 7]}, 105), ({"numbers": [12, 18, 30]}, 180)],
     raises=[{"numbers": []}, {"numbers": [4, 0]}])
def least_common_multiple(numbers: list[int]) -> int:
    """Compute the least common multiple of a list of positive integers.

    Args:
        numbers: The positive integers whose least common multiple is computed.
    """
    if not numbers:
        raise ValueError("numbers must not be empty")
    if any(n <= 0 for n in numbers):
        raise ValueError("all numbers must be positive")
    return math.lcm(*numbers)


@api(category="math", examples=[({"n": 10}, 55), ({"n": 0}, 0), ({"n": 50}, 12586269025)], raises=[{"n": -1}])
def nth_fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number, with F(0) = 0 and F(1) = 1.

    Args:
        n: The zero-based index in the Fibonacci sequence, 0 to 10000.
    """
    if not 0 <= n <= 10000:
        raise ValueError("n must be between 0 and 10000")
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@api(category="math", examples=[({"n": 5, "k": 2}, 10), ({"n": 10, "k": 3}, 120), ({"n": 52, "k": 5}, 2598960)],
     raises=[{"n": 5, "k": -1}, {"n": 3, "k": 7}])
def binomial_coefficient(n: int, k: int) -> int:
    """Count the ways to choose k items from n distinct items without order (n choose k).

    Args:
        n: The total number of items, 0 to 10000.
        k: The number of items chosen; must be between 0 and n.
    """
    if n < 0 or k < 0 or k > n or n > 10000:
        raise ValueError("require 0 <= k <= n <= 10000")
    return math.comb(n, k)


@api(category="math", examples=[({"a": 1, "b": -3, "c": 2}, [1.0, 2.0]), ({"a": 1, "b": 2, "c": 1}, [-1.0]),
                                ({"a": 1, "b": 0, "c": 1}, []), ({"a": 2, "b": 4, "c": -4}, [-2.7321, 0.7321])],
     raises=[{"a": 0, "b": 2, "c": 1}])
def solve_quadratic_equation(a: float, b: float, c: float) -> list[float]:
    """Find the real roots of the quadratic equation a*x^2 + b*x + c = 0, sorted ascending and rounded to 4 decimals.

    Args:
        a: The coefficient of x squared; must not be zero.
        b: The coefficient of x.
        c: The constant term.
    """
    if a == 0:
        raise ValueError("a must not be zero for a quadratic equation")
    disc = b * b - 4 * a * c
    if disc < 0:
        return []
    if disc == 0:
        return [round(-b / (2 * a), 4) + 0.0]
    root = math.sqrt(disc)
    return sorted([round((-b - root) / (2 * a), 4), round((-b + root) / (2 * a), 4)])


@api(category="math", examples=[({"n": 9875}, 29), ({"n": 9875, "repeated": True}, 2), ({"n": -402}, 6)])
def digit_sum(n: int, repeated: bool = False) -> int:
    """Sum the decimal digits of an integer, optionally repeating until a single digit remains (digital root).

    Args:
        n: The integer whose digits are summed; the sign is ignored.
        repeated: If true, keep summing digits until a single digit remains.
    """
    total = sum(int(d) for d in str(abs(n)))
    while repeated and total >= 10:
        total = sum(int(d) for d in str(total))
    return total


@api(category="math", examples=[({"old_value": 50, "new_value": 75}, 50.0), ({"old_value": 200, "new_value": 150}, -25.0),
                                ({"old_value": 3, "new_value": 4}, 33.33)],
     raises=[{"old_value": 0, "new_value": 10}])
def percentage_change(old_value: float, new_value: float, decimals: int = 2) -> float:
    """Compute the percentage change from an old value to a new value.

    Args:
        old_value: The original (reference) value; must not be zero.
        new_value: The new value.
        decimals: Number of decimal places in the result.
    """
    if old_value == 0:
        raise ValueError("old_value must not be zero")
    return round((new_value - old_value) / abs(old_value) * 100, decimals)


@api(category="math", examples=[({"value": 123456, "figures": 2}, 120000.0), ({"value": 0.00123456, "figures": 3}, 0.00123),
                                ({"value": 3.14159}, 3.14)],
     raises=[{"value": 12.5, "figures": 0}])
def round_to_significant_figures(value: float, figures: int = 3) -> float:
    """Round a number to a given count of significant figures.

    Args:
        value: The number to round.
        figures: How many significant figures to keep; must be at least 1.
    """
    if figures < 1:
        raise ValueError("figures must be at least 1")
    if value == 0:
        return 0.0
    digits = figures - int(math.floor(math.log10(abs(value)))) - 1
    return float(round(value, digits))


@api(category="math", examples=[({"a": [[1, 2], [3, 4]], "b": [[5, 6], [7, 8]]}, [[19.0, 22.0], [43.0, 50.0]]),
                                ({"a": [[1, 0, 2]], "b": [[3], [1], [4]]}, [[11.0]])],
     raises=[{"a": [[1, 2]], "b": [[1, 2]]}])
def matrix_multiply(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    """Multiply two matrices given as lists of rows; the column count of a must equal the row count of b.

    Args:
        a: The left matrix as a list of equal-length rows.
        b: The right matrix as a list of equal-length rows.
    """
    if not a or not b or any(len(r) != len(a[0]) for r in a) or any(len(r) != len(b[0]) for r in b):
        raise ValueError("matrices must be non-empty and rectangular")
    if len(a[0]) != len(b):
        raise ValueError("inner dimensions do not match")
    return [[round(float(sum(a[i][k] * b[k][j] for k in range(len(b)))), 6) for j in range(len(b[0]))]
            for i in range(len(a))]


@api(category="math", examples=[({"matrix": [[1, 2], [3, 4]]}, -2.0), ({"matrix": [[2, 0, 1], [1, 3, 2], [1, 1, 2]]}, 6.0)],
     raises=[{"matrix": [[1, 2, 3], [4, 5, 6]]}])
def matrix_determinant(matrix: list[list[float]]) -> float:
    """Compute the determinant of a square matrix using Gaussian elimination, rounded to 6 decimals.

    Args:
        matrix: The square matrix as a list of rows.
    """
    n = len(matrix)
    if n == 0 or any(len(row) != n for row in matrix):
        raise ValueError("matrix must be square and non-empty")
    m = [[float(x) for x in row] for row in matrix]
    det = 1.0
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12:
            return 0.0
        if pivot != col:
            m[col], m[pivot] = m[pivot], m[col]
            det = -det
        det *= m[col][col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n):
                m[r][c] -= f * m[col][c]
    return round(det, 6) + 0.0
