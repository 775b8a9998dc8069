"""Health and fitness estimates: BMI, metabolic rate, calorie needs, heart-rate zones, hydration and body composition."""

from __future__ import annotations

import math
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "health"

Sex = Literal["male", "female"]


class HeartRateZone(TypedDict):
    zone: int
    name: str
    min_bpm: int
    max_bpm: int


@api(category=CAT, examples=[({"weight": 70, "height": 175}, {"bmi": 22.9, "category": "normal weight"}),
                             ({"weight": 180, "height": 70, "unit_system": "imperial"}, {"bmi": 25.8, "category": "overweight"}),
                             ({"weight": 50, "height": 180}, {"bmi": 15.4, "category": "underweight"})],
     raises=[{"weight": 70, "height": 0}, {"weight": -70, "height": 170}])
def body_mass_index(weight: float, height: float, unit_system: Literal["metric", "imperial"] = "metric") -> dict[str, float | str]:
    """Compute the body mass index (BMI, 1 decimal) and its WHO weight category for an adult.

    Args:
        weight: Body weight in kilograms (metric) or pounds (imperial); must be positive.
        height: Height in centimetres (metric) or inches (imperial); must be positive.
        unit_system: Whether weight and height are metric (kg, cm) or imperial (lb, in).
    """
    if weight <= 0 or height <= 0:
        raise ValueError("weight and height must be positive")
    bmi = weight / (height / 100) ** 2 if unit_system == "metric" else 703 * weight / height ** 2
    bmi = round(bmi, 1)
    category = ("underweight" if bmi < 18.5 else "normal weight" if bmi < 25 else "overweight" if bmi < 30 else "obese")
    return {"bmi": bmi, "category": category}


@api(category=CAT, examples=[({"weight_kg": 70, "height_cm": 175, "age_years": 30, "sex": "male"}, 1648.75),
                             ({"weight_kg": 60, "height_cm": 165, "age_years": 40, "sex": "female"}, 1270.25),
                             ({"weight_kg": 70, "height_cm": 175, "age_years": 30, "sex": "male", "formula": "harris_benedict"}, 1695.67)],
     raises=[{"weight_kg": 70, "height_cm": 175, "age_years": -3, "sex": "male"}])
def basal_metabolic_rate(weight_kg: float, height_cm: float, age_years: int, sex: Sex,
                         formula: Literal["mifflin_st_jeor", "harris_benedict"] = "mifflin_st_jeor") -> float:
    """Estimate the basal metabolic rate in kcal/day (calories burned at rest) with the Mifflin-St Jeor or revised Harris-Benedict equation.

    Args:
        weight_kg: Body weight in kilograms; must be positive.
        height_cm: Height in centimetres; must be positive.
        age_years: Age in years; between 1 and 120.
        sex: Biological sex used by the equation.
        formula: Which predictive equation to use.
    """
    if weight_kg <= 0 or height_cm <= 0 or not 1 <= age_years <= 120:
        raise ValueError("weight and height must be positive and age between 1 and 120")
    if formula == "mifflin_st_jeor":
        bmr = 10 * weight_kg + 6.25 * height_cm - 5 * age_years + (5 if sex == "male" else -161)
    elif sex == "male":
        bmr = 88.362 + 13.397 * weight_kg + 4.799 * height_cm - 5.677 * age_years
    else:
        bmr = 447.593 + 9.247 * weight_kg + 3.098 * height_cm - 4.330 * age_years
    return round(bmr, 2)


@api(category=CAT, examples=[({"bmr": 1650, "activity_level": "moderate"}, 2557.5),
                             ({"bmr": 1400, "activity_level": "sedentary", "goal": "lose"}, 1180.0),
                             ({"bmr": 1800, "activity_level": "very_active", "goal": "gain"}, 3920.0)],
     raises=[{"bmr": 0, "activity_level": "light"}])
def daily_calorie_needs(bmr: float, activity_level: Literal["sedentary", "light", "moderate", "active", "very_active"],
                        goal: Literal["maintain", "lose", "gain"] = "maintain") -> float:
    """Estimate daily calorie needs from the basal metabolic rate and activity level, adjusted by 500 kcal for weight loss or gain.

    Args:
        bmr: Basal metabolic rate in kcal/day; must be positive.
        activity_level: Typical activity: sedentary, light (1-3 workouts/week), moderate (3-5), active (6-7) or very_active.
        goal: Whether to maintain weight, lose about 0.5 kg/week (-500 kcal) or gain (+500 kcal).
    """
    if bmr <= 0:
        raise ValueError("bmr must be positive")
    factor = {"sedentary": 1.2, "light": 1.375, "moderate": 1.55, "active": 1.725, "very_active": 1.9}[activity_level]
    return round(bmr * factor + {"maintain": 0, "lose": -500, "gain": 500}[goal], 1)


@api(category=CAT, examples=[
    ({"age": 40}, [{"zone": 1, "name": "recovery", "min_bpm": 90, "max_bpm": 108}, {"zone": 2, "name": "endurance", "min_bpm": 108, "max_bpm": 126},
                   {"zone": 3, "name": "tempo", "min_bpm": 126, "max_bpm": 144}, {"zone": 4, "name": "threshold", "min_bpm": 144, "max_bpm": 162},
                   {"zone": 5, "name": "maximum", "min_bpm": 162, "max_bpm": 180}]),
    ({"age": 30, "resting_heart_rate": 60}, [{"zone": 1, "name": "recovery", "min_bpm": 125, "max_bpm": 138}, {"zone": 2, "name": "endurance", "min_bpm": 138, "max_bpm": 151},
                                             {"zone": 3, "name": "tempo", "min_bpm": 151, "max_bpm": 164}, {"zone": 4, "name": "threshold", "min_bpm": 164, "max_bpm": 177},
                                             {"zone": 5, "name": "maximum", "min_bpm": 177, "max_bpm": 190}])],
    raises=[{"age": 0}, {"age": 30, "resting_heart_rate": 250}])
def heart_rate_zones(age: int, resting_heart_rate: int | None = None) -> list[HeartRateZone]:
    """Compute five training heart-rate zones from age (max HR = 220 - age), using the Karvonen method when a resting heart rate is given.

    Args:
        age: Age in years; between 1 and 120.
        resting_heart_rate: Resting heart rate in beats per minute; if given, zones use heart-rate reserve (Karvonen).
    """
    if not 1 <= age <= 120:
        raise ValueError("age must be between 1 and 120")
    max_hr = 220 - age
    rest = resting_heart_rate or 0
    if resting_heart_rate is not None and not 20 <= resting_heart_rate < max_hr:
        raise ValueError("resting heart rate must be between 20 and the maximum heart rate")
    names = ["recovery", "endurance", "tempo", "threshold", "maximum"]
    zones: list[HeartRateZone] = []
    for i, name in enumerate(names):
        lo, hi = 0.5 + 0.1 * i, 0.6 + 0.1 * i
        zones.append({"zone": i + 1, "name": name, "min_bpm": int(round(rest + (max_hr - rest) * lo)),
                      "max_bpm": int(round(rest + (max_hr - rest) * hi))})
    return zones


@api(category=CAT, examples=[({"weight_kg": 70}, 2.31), ({"weight_kg": 80, "activity_minutes": 60, "climate": "hot"}, 3.84)],
     raises=[{"weight_kg": -60}])
def daily_water_intake(weight_kg: float, activity_minutes: int = 0, climate: Literal["temperate", "hot"] = "temperate") -> float:
    """Estimate recommended daily water intake in litres: 33 ml per kg, plus 0.35 L per 30 minutes of exercise, plus 0.5 L in hot climates.

    Args:
        weight_kg: Body weight in kilograms; must be positive.
        activity_minutes: Minutes of exercise that day.
        climate: The climate the person is in.
    """
    if weight_kg <= 0 or activity_minutes < 0:
        raise ValueError("weight must be positive and activity non-negative")
    litres = 0.033 * weight_kg + 0.35 * activity_minutes / 30 + (0.5 if climate == "hot" else 0)
    return round(litres, 2)


@api(category=CAT, examples=[({"height_cm": 180, "sex": "male"}, 74.99), ({"height_cm": 165, "sex": "female", "formula": "robinson"}, 57.43),
                             ({"height_cm": 170, "sex": "male", "formula": "miller"}, 65.97)],
     raises=[{"height_cm": 100, "sex": "female"}])
def ideal_body_weight(height_cm: float, sex: Sex, formula: Literal["devine", "robinson", "miller"] = "devine") -> float:
    """Estimate ideal body weight in kilograms from height using the Devine, Robinson or Miller formula.

    Args:
        height_cm: Height in centimetres; at least 130.
        sex: Biological sex used by the formula.
        formula: Which formula to use.
    """
    if height_cm < 130:
        raise ValueError("formulas are valid for heights of at least 130 cm")
    inches_over = height_cm / 2.54 - 60
    base, per_inch = {("devine", "male"): (50, 2.3), ("devine", "female"): (45.5, 2.3),
                      ("robinson", "male"): (52, 1.9), ("robinson", "female"): (49, 1.7),
                      ("miller", "male"): (56.2, 1.41), ("miller", "female"): (53.1, 1.36)}[(formula, sex)]
    return round(base + per_inch * inches_over, 2)


@api(category=CAT, examples=[({"sex": "male", "waist_cm": 85, "neck_cm": 38, "height_cm": 178}, 16.4),
                             ({"sex": "female", "waist_cm": 72, "neck_cm": 32, "height_cm": 165, "hip_cm": 98}, 27.4)],
     raises=[{"sex": "female", "waist_cm": 72, "neck_cm": 32, "height_cm": 165}, {"sex": "male", "waist_cm": 30, "neck_cm": 38, "height_cm": 178}])
def body_fat_percentage_navy(sex: Sex, waist_cm: float, neck_cm: float, height_cm: float, hip_cm: float | None = None) -> float:
    """Estimate body fat percentage with the U.S. Navy circumference method (1 decimal).

    Args:
        sex: Biological sex; the female formula also needs hip circumference.
        waist_cm: Waist circumference in centimetres (at the navel for men, narrowest point for women).
        neck_cm: Neck circumference in centimetres.
        height_cm: Height in centimetres.
        hip_cm: Hip circumference in centimetres; required for women.
    """
    if sex == "female" and hip_cm is None:
        raise ValueError("hip_cm is required for women")
    span = waist_cm - neck_cm + (hip_cm if sex == "female" else 0.0)
    if span <= 0 or height_cm <= 0:
        raise ValueError("waist (plus hip) must exceed neck circumference")
    if sex == "male":
        bf = 495 / (1.0324 - 0.19077 * math.log10(span) + 0.15456 * math.log10(height_cm)) - 450
    else:
        bf = 495 / (1.29579 - 0.35004 * math.log10(span) + 0.22100 * math.log10(height_cm)) - 450
    return round(bf, 1)


_METS = {"walking": 3.5, "running": 9.8, "cycling": 7.5, "swimming": 8.0, "yoga": 2.5, "weightlifting": 5.0,
         "hiking": 6.0, "dancing": 5.5, "rowing": 7.0, "tennis": 7.3}


@api(category=CAT, examples=[({"activity": "running", "weight_kg": 70, "duration_minutes": 30}, 360.2),
                             ({"activity": "yoga", "weight_kg": 60, "duration_minutes": 60}, 157.5)],
     raises=[{"activity": "cycling", "weight_kg": 70, "duration_minutes": -10}])
def calories_burned(activity: Literal["walking", "running", "cycling", "swimming", "yoga", "weightlifting", "hiking", "dancing", "rowing", "tennis"],
                    weight_kg: float, duration_minutes: float) -> float:
    """Estimate calories burned during an exercise from its MET value, body weight and duration (kcal, 1 decimal).

    Args:
        activity: The type of exercise.
        weight_kg: Body weight in kilograms; must be positive.
        duration_minutes: Duration of the exercise in minutes; must be non-negative.
    """
    if weight_kg <= 0 or duration_minutes < 0:
        raise ValueError("weight must be positive and duration non-negative")
    return round(_METS[activity] * 3.5 * weight_kg / 200 * duration_minutes, 1)
