"""Descriptive statistics, correlation and simple regression over lists of numbers."""

from __future__ import annotations

import math
import statistics as _st
from typing import Literal

from api_registry.python_functions import api

CAT = "statistics"


def _require(values: list[float], minimum: int = 1) -> None:
    if len(values) < minimum:
        raise ValueError(f"need at least {minimum} value(s), got {len(values)}")


@api(category=CAT, examples=[({"values": [1, 2, 3, 4]}, 2.5), ({"values": [2, 8], "kind": "geometric"}, 4.0),
                             ({"values": [1, 2, 4], "kind": "harmonic"}, 1.714286)],
     raises=[{"values": []}, {"values": [3, -1], "kind": "geometric"}])
def compute_mean(values: list[float], kind: Literal["arithmetic", "geometric", "harmonic"] = "arithmetic") -> float:
    """Compute the arithmetic, geometric or harmonic mean of a list of numbers, rounded to 6 decimals.

    Args:
        values: The numbers to average; geometric and harmonic means need positive values.
        kind: Which mean to compute: arithmetic, geometric or harmonic.
    """
    _require(values)
    if kind != "arithmetic" and any(v <= 0 for v in values):
        raise ValueError(f"{kind} mean requires positive values")
    if kind == "arithmetic":
        result = math.fsum(values) / len(values)
    elif kind == "geometric":
        result = math.exp(math.fsum(math.log(v) for v in values) / len(values))
    else:
        result = len(values) / math.fsum(1 / v for v in values)
    return round(result, 6)


@api(category=CAT, examples=[({"values": [3, 1, 2]}, 2.0), ({"values": [1, 2, 3, 4]}, 2.5), ({"values": [7, 1, 9, 4, 4]}, 4.0)],
     raises=[{"values": []}])
def compute_median(values: list[float]) -> float:
    """Find the median (middle value) of a list of numbers; for an even count, the mean of the two middle values.

    Args:
        values: The numbers whose median is computed; need not be sorted.
    """
    _require(values)
    return float(_st.median(values))


@api(category=CAT, examples=[({"values": [1, 2, 2, 3, 3]}, [2, 3]), ({"values": [4, 4, 5]}, [4])], raises=[{"values": []}])
def compute_mode(values: list[float]) -> list[float]:
    """Find the most frequent value(s) in a list of numbers; ties return every tied value in ascending order.

    Args:
        values: The numbers to inspect.
    """
    _require(values)
    return sorted(_st.multimode(values))


@api(category=CAT, examples=[({"values": [2, 4, 4, 4, 5, 5, 7, 9], "population": True}, 2.0),
                             ({"values": [2, 4, 4, 4, 5, 5, 7, 9]}, 2.1381)],
     raises=[{"values": [5]}, {"values": []}])
def compute_standard_deviation(values: list[float], population: bool = False) -> float:
    """Compute the standard deviation of a list of numbers, rounded to 4 decimals.

    Args:
        values: The numbers to measure; a sample standard deviation needs at least two.
        population: If true, compute the population standard deviation (divide by n) instead of the sample one (n - 1).
    """
    if population:
        _require(values)
        return round(_st.pstdev(values), 4)
    _require(values, 2)
    return round(_st.stdev(values), 4)


@api(category=CAT, examples=[({"values": [1, 2, 3, 4, 5], "percentile": 50}, 3.0),
                             ({"values": [10, 20, 30, 40], "percentile": 25}, 17.5),
                             ({"values": [10, 20, 30, 40], "percentile": 25, "method": "nearest"}, 20.0),
                             ({"values": [10, 20, 30, 40], "percentile": 90, "method": "lower"}, 30.0)],
     raises=[{"values": [1, 2, 3], "percentile": 150}, {"values": [], "percentile": 50}])
def compute_percentile(values: list[float], percentile: float,
                       method: Literal["linear", "nearest", "lower", "higher"] = "linear") -> float:
    """Compute a percentile of a list of numbers, interpolating between ranks as chosen by the method.

    Args:
        values: The numbers to inspect; need not be sorted.
        percentile: The percentile to compute, between 0 and 100.
        method: How to pick a value between two ranks: linear interpolation, nearest rank, lower rank or higher rank.
    """
    _require(values)
    if not 0 <= percentile <= 100:
        raise ValueError("percentile must be between 0 and 100")
    data = sorted(values)
    pos = (len(data) - 1) * percentile / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    if method == "lower":
        result = data[lo]
    elif method == "higher":
        result = data[hi]
    elif method == "nearest":
        result = data[int(math.floor(pos + 0.5))]
    else:
        result = data[lo] + (data[hi] - data[lo]) * (pos - lo)
    return round(float(result), 6)


@api(category=CAT, examples=[({"values": [2, 4, 4, 4, 5, 5, 7, 9]}, [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0]),
                             ({"values": [10, 20, 30]}, [-1.2247, 0.0, 1.2247]),
                             ({"values": [10, 20, 30], "population": False}, [-1.0, 0.0, 1.0])],
     raises=[{"values": [3, 3, 3]}, {"values": []}])
def compute_z_scores(values: list[float], population: bool = True) -> list[float]:
    """Standardize each value as its number of standard deviations from the mean (z-score), rounded to 4 decimals.

    Args:
        values: The numbers to standardize; they must not all be equal.
        population: If true, use the population standard deviation; otherwise the sample one.
    """
    _require(values, 1 if population else 2)
    mean = _st.fmean(values)
    sd = _st.pstdev(values) if population else _st.stdev(values)
    if sd == 0:
        raise ValueError("standard deviation is zero; z-scores are undefined")
    return [round((v - mean) / sd, 4) + 0.0 for v in values]


@api(category=CAT, examples=[({"x": [1, 2, 3, 4, 5], "y": [2, 4, 6, 8, 10]}, 1.0), ({"x": [1, 2, 3, 4], "y": [1, 3, 2, 4]}, 0.8),
                             ({"x": [1, 2, 3], "y": [3, 2, 1]}, -1.0)],
     raises=[{"x": [1, 2, 3], "y": [1, 2]}, {"x": [1, 1, 1], "y": [1, 2, 3]}])
def pearson_correlation(x: list[float], y: list[float]) -> float:
    """Compute the Pearson correlation coefficient between two equally long numeric series, rounded to 4 decimals.

    Args:
        x: The first series of numbers.
        y: The second series, the same length as x.
    """
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    _require(x, 2)
    mx, my = _st.fmean(x), _st.fmean(y)
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = math.fsum((a - mx) ** 2 for a in x)
    syy = math.fsum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        raise ValueError("a series with zero variance has no correlation")
    return round(sxy / math.sqrt(sxx * syy), 4)


@api(category=CAT, examples=[({"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]}, {"slope": 2.0, "intercept": 0.0, "r_squared": 1.0}),
                             ({"x": [1, 2, 3, 4], "y": [1, 3, 2, 4]}, {"slope": 0.8, "intercept": 0.5, "r_squared": 0.64})],
     raises=[{"x": [2, 2, 2], "y": [1, 2, 3]}, {"x": [1, 2], "y": [1]}])
def linear_regression_fit(x: list[float], y: list[float]) -> dict[str, float]:
    """Fit a least-squares line y = slope * x + intercept and report slope, intercept and R squared (4 decimals).

    Args:
        x: The independent variable values; they must not all be equal.
        y: The dependent variable values, the same length as x.
    """
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    _require(x, 2)
    mx, my = _st.fmean(x), _st.fmean(y)
    sxx = math.fsum((a - mx) ** 2 for a in x)
    if sxx == 0:
        raise ValueError("x values must not all be equal")
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y))
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_tot = math.fsum((b - my) ** 2 for b in y)
    ss_res = math.fsum((b - (slope * a + intercept)) ** 2 for a, b in zip(x, y))
    r2 = 1.0 if ss_tot == 0 else 1 - ss_res / ss_tot
    return {"slope": round(slope, 4) + 0.0, "intercept": round(intercept, 4) + 0.0, "r_squared": round(r2, 4)}


@api(category=CAT, examples=[({"values": [1, 2, 3, 4, 5]}, [2.0, 3.0, 4.0]), ({"values": [10, 20, 30, 40], "window": 2}, [15.0, 25.0, 35.0])],
     raises=[{"values": [1, 2, 3], "window": 0}, {"values": [1, 2], "window": 5}])
def moving_average(values: list[float], window: int = 3) -> list[float]:
    """Compute the simple moving average of a series over a sliding window, rounded to 4 decimals.

    Args:
        values: The series of numbers in order.
        window: The number of consecutive values averaged per point; between 1 and the series length.
    """
    if window < 1 or window > len(values):
        raise ValueError("window must be between 1 and the number of values")
    return [round(math.fsum(values[i:i + window]) / window, 4) for i in range(len(values) - window + 1)]


@api(category=CAT, examples=[({"values": [4, 8, 15, 16, 23, 42]},
                              {"count": 6, "min": 4.0, "max": 42.0, "range": 38.0, "mean": 18.0, "median": 15.5, "std_dev": 13.4907}),
                             ({"values": [5]}, {"count": 1, "min": 5.0, "max": 5.0, "range": 0.0, "mean": 5.0, "median": 5.0, "std_dev": 0.0})],
     raises=[{"values": []}])
def summarize_distribution(values: list[float]) -> dict[str, float]:
    """Summarize a list of numbers: count, minimum, maximum, range, mean, median and sample standard deviation.

    Args:
        values: The numbers to summarize.
    """
    _require(values)
    return {"count": len(values), "min": float(min(values)), "max": float(max(values)),
            "range": float(max(values) - min(values)), "mean": round(_st.fmean(values), 4),
            "median": float(_st.median(values)),
            "std_dev": round(_st.stdev(values), 4) if len(values) > 1 else 0.0}


@api(category=CAT, examples=[({"values": [0, 5, 10]}, [0.0, 0.5, 1.0]), ({"values": [2, 4, 6], "new_min": -1, "new_max": 1}, [-1.0, 0.0, 1.0])],
     raises=[{"values": [7, 7, 7]}, {"values": []}])
def min_max_normalize(values: list[float], new_min: float = 0.0, new_max: float = 1.0) -> list[float]:
    """Rescale numbers linearly so the smallest maps to new_min and the largest to new_max (rounded to 6 decimals).

    Args:
        values: The numbers to rescale; they must not all be equal.
        new_min: The value the minimum is mapped to.
        new_max: The value the maximum is mapped to.
    """
    _require(values)
    lo, hi = min(values), max(values)
    if lo == hi:
        raise ValueError("values must not all be equal")
    return [round(new_min + (v - lo) * (new_max - new_min) / (hi - lo), 6) + 0.0 for v in values]
