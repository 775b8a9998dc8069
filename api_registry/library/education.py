"""Grading and study helpers: letter grades, GPA, weighted averages, required exam scores, readability and curving."""

from __future__ import annotations

import math
import re
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "education"


class Course(TypedDict):
    name: str
    credits: float
    grade: str


class GradeComponent(TypedDict):
    name: str
    score: float
    weight: float


_GRADE_POINTS = {"A+": 4.0, "A": 4.0, "A-": 3.7, "B+": 3.3, "B": 3.0, "B-": 2.7, "C+": 2.3, "C": 2.0, "C-": 1.7,
                 "D+": 1.3, "D": 1.0, "D-": 0.7, "F": 0.0}


@api(category=CAT, examples=[({"score": 85}, "B"), ({"score": 91, "scale": "plus_minus"}, "A-"), ({"score": 59.5}, "F"),
                             ({"score": 78, "scale": "plus_minus"}, "C+")],
     raises=[{"score": 105}, {"score": -1}])
def letter_grade(score: float, scale: Literal["standard", "plus_minus"] = "standard") -> str:
    """Convert a percentage score to a US letter grade (A-F), optionally with plus and minus steps.

    Args:
        score: The percentage score, 0 to 100.
        scale: standard (A, B, C, D, F at 90/80/70/60) or plus_minus (adds + for x7-x9 and - for x0-x2).
    """
    if not 0 <= score <= 100:
        raise ValueError("score must be between 0 and 100")
    if score < 60:
        return "F"
    base = "ABCD"[min(3, int((99.999 - score) // 10))] if score < 100 else "A"
    if scale == "standard":
        return base
    unit = score % 10 if score < 100 else 9.9
    return base + ("+" if unit >= 7 and base != "A" else "-" if unit < 3 else "")


@api(category=CAT, examples=[({"courses": [{"name": "Calculus", "credits": 4, "grade": "A"}, {"name": "History", "credits": 3, "grade": "B+"},
                                          {"name": "Lab", "credits": 1, "grade": "C"}]}, {"gpa": 3.49, "total_credits": 8.0, "quality_points": 27.9}),
                             ({"courses": [{"name": "Art", "credits": 2, "grade": "a-"}, {"name": "Music", "credits": 2, "grade": "B"}]},
                              {"gpa": 3.35, "total_credits": 4.0, "quality_points": 13.4})],
     raises=[{"courses": [{"name": "Art", "credits": 3, "grade": "Z"}]}, {"courses": []}])
def compute_gpa(courses: list[Course]) -> dict[str, float]:
    """Compute a credit-weighted grade point average on the 4.0 scale from courses with letter grades.

    Args:
        courses: The courses taken, each with a name, credit hours and a letter grade (A+ to F).
    """
    if not courses:
        raise ValueError("courses must not be empty")
    points = credits = 0.0
    for c in courses:
        grade = c["grade"].strip().upper()
        if grade not in _GRADE_POINTS:
            raise KeyError(f"unknown letter grade {c['grade']!r}")
        if c["credits"] < 0:
            raise ValueError("credits must be non-negative")
        points += _GRADE_POINTS[grade] * c["credits"]
        credits += c["credits"]
    if credits == 0:
        raise ValueError("total credits must be positive")
    return {"gpa": round(points / credits, 2), "total_credits": float(credits), "quality_points": round(points, 2)}


@api(category=CAT, examples=[({"components": [{"name": "homework", "score": 92, "weight": 20}, {"name": "midterm", "score": 78, "weight": 30},
                                             {"name": "final", "score": 85, "weight": 50}]}, 84.3),
                             ({"components": [{"name": "quiz", "score": 70, "weight": 1}, {"name": "project", "score": 90, "weight": 3}]}, 85.0)],
     raises=[{"components": [{"name": "quiz", "score": 70, "weight": 0}]}])
def weighted_average_grade(components: list[GradeComponent]) -> float:
    """Compute a course grade as the weighted average of component scores; weights need not sum to 100.

    Args:
        components: Graded components, each with a name, a score (percent) and a non-negative weight.
    """
    total_w = sum(c["weight"] for c in components)
    if total_w <= 0 or any(c["weight"] < 0 for c in components):
        raise ValueError("weights must be non-negative and sum to a positive number")
    return round(sum(c["score"] * c["weight"] for c in components) / total_w, 2)


@api(category=CAT, examples=[({"current_grade": 85, "final_weight_percent": 30, "target_grade": 90}, {"required_score": 101.67, "achievable": False}),
                             ({"current_grade": 78, "final_weight_percent": 40, "target_grade": 80}, {"required_score": 83.0, "achievable": True})],
     raises=[{"current_grade": 85, "final_weight_percent": 0, "target_grade": 90}])
def required_final_exam_score(current_grade: float, final_weight_percent: float, target_grade: float) -> dict[str, float | bool]:
    """Compute the final exam score needed to reach a target course grade, given the current grade and the exam's weight.

    Args:
        current_grade: The current grade in percent on the work done so far.
        final_weight_percent: The weight of the final exam in percent of the course grade, above 0 and at most 100.
        target_grade: The desired overall course grade in percent.
    """
    if not 0 < final_weight_percent <= 100:
        raise ValueError("final_weight_percent must be in (0, 100]")
    w = final_weight_percent / 100
    needed = (target_grade - current_grade * (1 - w)) / w
    return {"required_score": round(needed, 2), "achievable": needed <= 100}


def _syllables(word: str) -> int:
    w = word.lower()
    groups = re.findall(r"[aeiouy]+", w)
    count = len(groups)
    if w.endswith("e") and not w.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


@api(category=CAT, examples=[({"text": "The cat sat on the mat. It was happy."}, {"reading_ease": 108.27, "grade_level": -0.7, "words": 9, "sentences": 2, "syllables": 10}),
                             ({"text": "Comprehensive evaluation necessitates methodological consideration of heterogeneous variables."},
                              {"reading_ease": -150.26, "grade_level": 36.2, "words": 8, "sentences": 1, "syllables": 33})],
     raises=[{"text": "   "}])
def readability_scores(text: str) -> dict[str, float | int]:
    """Estimate the Flesch reading ease and Flesch-Kincaid grade level of English text using a heuristic syllable count.

    Args:
        text: The English text to assess; must contain at least one word.
    """
    words = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", text)
    if not words:
        raise ValueError("text must contain at least one word")
    sentences = max(1, len([s for s in re.split(r"[.!?]+", text) if re.search(r"[A-Za-z]", s)]))
    syllables = sum(_syllables(w) for w in words)
    wps, spw = len(words) / sentences, syllables / len(words)
    return {"reading_ease": round(206.835 - 1.015 * wps - 84.6 * spw, 2), "grade_level": round(0.39 * wps + 11.8 * spw - 15.59, 1),
            "words": len(words), "sentences": sentences, "syllables": syllables}


@api(category=CAT, examples=[({"scores": [60, 70, 85], "method": "flat", "target_max": 100}, [75.0, 85.0, 100.0]),
                             ({"scores": [64, 81, 49], "method": "sqrt"}, [80.0, 90.0, 70.0]),
                             ({"scores": [40, 45, 50], "method": "scale_to_max", "target_max": 90}, [72.0, 81.0, 90.0])],
     raises=[{"scores": [], "method": "flat"}, {"scores": [0, 0], "method": "scale_to_max"}])
def curve_scores(scores: list[float], method: Literal["flat", "sqrt", "scale_to_max"], target_max: float = 100.0) -> list[float]:
    """Curve a list of exam scores: add a flat bonus so the top score hits target_max, take 10 x square root, or scale proportionally.

    Args:
        scores: The raw percentage scores; must not be empty.
        method: flat (add the same points to everyone), sqrt (10 times the square root of each score) or scale_to_max (multiply so the top score becomes target_max).
        target_max: The score the highest raw score is mapped to for flat and scale_to_max curves.
    """
    if not scores or any(s < 0 for s in scores):
        raise ValueError("scores must be a non-empty list of non-negative numbers")
    top = max(scores)
    if method == "flat":
        return [round(min(100.0, s + target_max - top), 2) for s in scores]
    if method == "sqrt":
        return [round(10 * math.sqrt(min(s, 100)), 2) for s in scores]
    if top == 0:
        raise ValueError("cannot scale when every score is zero")
    return [round(s * target_max / top, 2) for s in scores]


@api(category=CAT, examples=[({"attended": 42, "total_sessions": 48}, {"rate_percent": 87.5, "meets_requirement": True, "sessions_missed": 6, "can_still_miss": 1}),
                             ({"attended": 30, "total_sessions": 40, "required_percent": 80}, {"rate_percent": 75.0, "meets_requirement": False, "sessions_missed": 10, "can_still_miss": 0})],
     raises=[{"attended": 50, "total_sessions": 40}])
def attendance_summary(attended: int, total_sessions: int, required_percent: float = 85.0) -> dict[str, float | bool | int]:
    """Summarize class attendance: rate, whether it meets the requirement, and how many more sessions could be missed while still meeting it.

    Args:
        attended: Sessions attended; between 0 and total_sessions.
        total_sessions: Total sessions in the course; must be positive.
        required_percent: The minimum attendance rate required, in percent.
    """
    if total_sessions <= 0 or not 0 <= attended <= total_sessions:
        raise ValueError("total_sessions must be positive and 0 <= attended <= total_sessions")
    rate = attended / total_sessions * 100
    allowed_missed = math.floor(total_sessions * (1 - required_percent / 100) + 1e-9)
    return {"rate_percent": round(rate, 2), "meets_requirement": rate >= required_percent, "sessions_missed": total_sessions - attended,
            "can_still_miss": max(0, allowed_missed - (total_sessions - attended))}
