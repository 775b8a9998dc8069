"""Kitchen calculations: recipe scaling, measure and oven conversions, roasting times, baker's percentages and brines."""

from __future__ import annotations

import math
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "cooking"


class Ingredient(TypedDict):
    name: str
    quantity: float
    unit: str


_ML = {"tsp": 4.92892, "tbsp": 14.78676, "fl_oz": 29.57353, "cup": 236.58824, "ml": 1.0, "l": 1000.0, "pinch": 0.30806}
_GRAMS_PER_CUP = {"flour": 120.0, "sugar": 200.0, "brown_sugar": 220.0, "butter": 227.0, "rice": 185.0, "water": 236.6,
                  "milk": 245.0, "honey": 340.0, "oats": 90.0, "cocoa": 85.0}
_GAS_MARK_C = {1: 140, 2: 150, 3: 170, 4: 180, 5: 190, 6: 200, 7: 220, 8: 230, 9: 240, 10: 260}


@api(category=CAT, examples=[
    ({"ingredients": [{"name": "flour", "quantity": 200, "unit": "g"}, {"name": "eggs", "quantity": 2, "unit": "pcs"}],
      "original_servings": 4, "target_servings": 6},
     [{"name": "flour", "quantity": 300.0, "unit": "g"}, {"name": "eggs", "quantity": 3.0, "unit": "pcs"}]),
    ({"ingredients": [{"name": "milk", "quantity": 1.5, "unit": "cup"}], "original_servings": 8, "target_servings": 3},
     [{"name": "milk", "quantity": 0.56, "unit": "cup"}])],
    raises=[{"ingredients": [{"name": "salt", "quantity": 1, "unit": "tsp"}], "original_servings": 0, "target_servings": 2}])
def scale_recipe(ingredients: list[Ingredient], original_servings: int, target_servings: int) -> list[Ingredient]:
    """Scale every ingredient quantity of a recipe from its original number of servings to a new one (2 decimals).

    Args:
        ingredients: The recipe's ingredients, each with a name, quantity and unit.
        original_servings: How many servings the recipe makes as written; must be positive.
        target_servings: How many servings to make; must be positive.
    """
    if original_servings <= 0 or target_servings <= 0:
        raise ValueError("servings must be positive")
    factor = target_servings / original_servings
    return [{"name": i["name"], "quantity": round(i["quantity"] * factor, 2), "unit": i["unit"]} for i in ingredients]


@api(category=CAT, examples=[({"quantity": 3, "from_unit": "tsp", "to_unit": "tbsp"}, 1.0), ({"quantity": 0.5, "from_unit": "cup", "to_unit": "ml"}, 118.29),
                             ({"quantity": 250, "from_unit": "ml", "to_unit": "cup"}, 1.06)],
     raises=[{"quantity": -1, "from_unit": "cup", "to_unit": "ml"}])
def convert_cooking_measure(quantity: float, from_unit: Literal["pinch", "tsp", "tbsp", "fl_oz", "cup", "ml", "l"],
                            to_unit: Literal["pinch", "tsp", "tbsp", "fl_oz", "cup", "ml", "l"]) -> float:
    """Convert a kitchen volume measure between pinches, teaspoons, tablespoons, fluid ounces, US cups, millilitres and litres (2 decimals).

    Args:
        quantity: The amount to convert; must be non-negative.
        from_unit: The measure of the given amount.
        to_unit: The measure to convert to.
    """
    if quantity < 0:
        raise ValueError("quantity must be non-negative")
    return round(quantity * _ML[from_unit] / _ML[to_unit], 2)


@api(category=CAT, examples=[({"cups": 1, "ingredient": "flour"}, 120.0), ({"cups": 0.75, "ingredient": "sugar"}, 150.0),
                             ({"cups": 2, "ingredient": "butter", "direction": "cups_to_grams"}, 454.0),
                             ({"cups": 300, "ingredient": "rice", "direction": "grams_to_cups"}, 1.62)],
     raises=[{"cups": -2, "ingredient": "milk"}])
def convert_cups_and_grams(cups: float, ingredient: Literal["flour", "sugar", "brown_sugar", "butter", "rice", "water", "milk", "honey", "oats", "cocoa"],
                           direction: Literal["cups_to_grams", "grams_to_cups"] = "cups_to_grams") -> float:
    """Convert between US cups and grams for a common baking ingredient using typical densities (2 decimals).

    Args:
        cups: The amount to convert: cups for cups_to_grams, grams for grams_to_cups; must be non-negative.
        ingredient: The ingredient, which determines the weight of one cup.
        direction: Whether to convert cups to grams or grams to cups.
    """
    if cups < 0:
        raise ValueError("amount must be non-negative")
    g = _GRAMS_PER_CUP[ingredient]
    return round(cups * g if direction == "cups_to_grams" else cups / g, 2)


@api(category=CAT, examples=[({"value": 180, "from_scale": "celsius", "to_scale": "gas_mark"}, 4), ({"value": 350, "from_scale": "fahrenheit", "to_scale": "celsius"}, 177),
                             ({"value": 6, "from_scale": "gas_mark", "to_scale": "fahrenheit"}, 392), ({"value": 200, "from_scale": "celsius", "to_scale": "fan_celsius"}, 180)],
     raises=[{"value": 11, "from_scale": "gas_mark", "to_scale": "celsius"}, {"value": 40, "from_scale": "celsius", "to_scale": "gas_mark"}])
def convert_oven_temperature(value: float, from_scale: Literal["celsius", "fan_celsius", "fahrenheit", "gas_mark"],
                             to_scale: Literal["celsius", "fan_celsius", "fahrenheit", "gas_mark"]) -> int:
    """Convert an oven setting between Celsius, fan-assisted Celsius (20 degrees lower), Fahrenheit and UK gas marks, rounded to a whole number.

    Args:
        value: The oven setting to convert (a gas mark must be a whole number from 1 to 10).
        from_scale: The scale of the given setting.
        to_scale: The scale to convert to.
    """
    if from_scale == "gas_mark":
        if value not in _GAS_MARK_C:
            raise ValueError("gas mark must be a whole number from 1 to 10")
        c = float(_GAS_MARK_C[int(value)])
    else:
        c = {"celsius": value, "fan_celsius": value + 20, "fahrenheit": (value - 32) * 5 / 9}[from_scale]
    if to_scale == "gas_mark":
        if not 130 <= c <= 270:
            raise ValueError("temperature is outside the gas mark range (about 130-270 C)")
        return min(_GAS_MARK_C, key=lambda m: (abs(_GAS_MARK_C[m] - c), m))
    out = {"celsius": c, "fan_celsius": c - 20, "fahrenheit": c * 9 / 5 + 32}[to_scale]
    return int(math.floor(out + 0.5))


_ROAST = {  # minutes per kg, extra minutes, internal temperature C by doneness
    "beef": (44, 20, {"rare": 52, "medium": 60, "well_done": 71}),
    "lamb": (55, 20, {"rare": 55, "medium": 63, "well_done": 71}),
    "pork": (66, 20, {"rare": 63, "medium": 66, "well_done": 71}),
    "chicken": (45, 20, {"rare": 74, "medium": 74, "well_done": 74}),
    "turkey": (40, 20, {"rare": 74, "medium": 74, "well_done": 74}),
}


@api(category=CAT, examples=[({"meat": "beef", "weight_kg": 2}, {"minutes": 108, "oven_celsius": 180, "internal_celsius": 60}),
                             ({"meat": "chicken", "weight_kg": 1.6, "doneness": "rare"}, {"minutes": 92, "oven_celsius": 190, "internal_celsius": 74}),
                             ({"meat": "beef", "weight_kg": 2, "doneness": "rare"}, {"minutes": 92, "oven_celsius": 180, "internal_celsius": 52})],
     raises=[{"meat": "pork", "weight_kg": 0}])
def roast_cooking_time(meat: Literal["beef", "pork", "lamb", "chicken", "turkey"], weight_kg: float,
                       doneness: Literal["rare", "medium", "well_done"] = "medium") -> dict[str, int]:
    """Estimate oven roasting time, oven temperature and target internal temperature for a joint of meat (poultry is always cooked through).

    Args:
        meat: The kind of meat.
        weight_kg: The weight of the joint in kilograms; must be positive.
        doneness: The desired doneness for red meat; rare shortens and well done lengthens the time by 15%.
    """
    if weight_kg <= 0:
        raise ValueError("weight must be positive")
    per_kg, extra, temps = _ROAST[meat]
    factor = 1.0 if meat in ("chicken", "turkey") else {"rare": 0.85, "medium": 1.0, "well_done": 1.15}[doneness]
    minutes = int(round((per_kg * weight_kg + extra) * factor))
    return {"minutes": minutes, "oven_celsius": 190 if meat in ("chicken", "turkey") else 180, "internal_celsius": temps[doneness]}


@api(category=CAT, examples=[({"flour_grams": 500, "ingredients": {"water": 350, "salt": 10, "yeast": 7}}, {"water": 70.0, "salt": 2.0, "yeast": 1.4, "hydration": 70.0}),
                             ({"flour_grams": 1000, "ingredients": {"water": 650, "milk": 100}}, {"water": 65.0, "milk": 10.0, "hydration": 75.0})],
     raises=[{"flour_grams": 0, "ingredients": {"water": 300}}])
def bakers_percentages(flour_grams: float, ingredients: dict[str, float]) -> dict[str, float]:
    """Express each ingredient weight as a baker's percentage of the flour weight, plus total hydration from water and milk.

    Args:
        flour_grams: Total flour weight in grams; must be positive.
        ingredients: Other ingredient weights in grams by name (water and milk count toward hydration).
    """
    if flour_grams <= 0:
        raise ValueError("flour weight must be positive")
    out = {k: round(v / flour_grams * 100, 2) for k, v in ingredients.items()}
    liquid = sum(v for k, v in ingredients.items() if k.lower() in ("water", "milk"))
    out["hydration"] = round(liquid / flour_grams * 100, 2)
    return out


@api(category=CAT, examples=[({"water_liters": 2}, {"salt_grams": 105.26, "sugar_grams": 0.0}), ({"water_liters": 4, "salinity_percent": 6, "sugar_ratio": 0.5}, {"salt_grams": 255.32, "sugar_grams": 127.66})],
     raises=[{"water_liters": 2, "salinity_percent": 40}])
def brine_recipe(water_liters: float, salinity_percent: float = 5.0, sugar_ratio: float = 0.0) -> dict[str, float]:
    """Compute the salt (and optional sugar) needed for a brine of a given salinity by weight of the final solution.

    Args:
        water_liters: Volume of water in litres (1 L weighs 1000 g); must be positive.
        salinity_percent: Desired salt concentration in percent by weight, between 0 and 26 (saturation).
        sugar_ratio: Sugar weight as a fraction of the salt weight (e.g. 0.5 for half as much sugar as salt).
    """
    if water_liters <= 0 or not 0 < salinity_percent <= 26 or sugar_ratio < 0:
        raise ValueError("water must be positive, salinity in (0, 26] and sugar_ratio non-negative")
    water_g = water_liters * 1000
    salt = water_g * salinity_percent / (100 - salinity_percent)
    return {"salt_grams": round(salt, 2), "sugar_grams": round(salt * sugar_ratio, 2)}
