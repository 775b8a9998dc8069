"""Unit conversion for temperature, length, mass, volume, speed, data size, pressure, energy and area."""

from __future__ import annotations

from typing import Literal

from api_registry.python_functions import api

CAT = "units"

LengthUnit = Literal["mm", "cm", "m", "km", "in", "ft", "yd", "mi", "nmi"]
MassUnit = Literal["mg", "g", "kg", "t", "oz", "lb", "st"]
VolumeUnit = Literal["ml", "l", "m3", "tsp", "tbsp", "fl_oz", "cup", "pt", "qt", "gal"]
SpeedUnit = Literal["m/s", "km/h", "mph", "knots", "ft/s"]
DataUnit = Literal["bit", "B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"]
PressureUnit = Literal["Pa", "kPa", "bar", "atm", "psi", "mmHg"]
EnergyUnit = Literal["J", "kJ", "cal", "kcal", "Wh", "kWh", "BTU", "eV"]
AreaUnit = Literal["m2", "km2", "ha", "acre", "ft2", "mi2", "cm2"]

_LENGTH = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048, "yd": 0.9144,
           "mi": 1609.344, "nmi": 1852.0}
_MASS = {"mg": 1e-6, "g": 0.001, "kg": 1.0, "t": 1000.0, "oz": 0.028349523125, "lb": 0.45359237, "st": 6.35029318}
_VOLUME = {"ml": 0.001, "l": 1.0, "m3": 1000.0, "tsp": 0.00492892159375, "tbsp": 0.01478676478125,
           "fl_oz": 0.0295735295625, "cup": 0.2365882365, "pt": 0.473176473, "qt": 0.946352946, "gal": 3.785411784}
_SPEED = {"m/s": 1.0, "km/h": 1 / 3.6, "mph": 0.44704, "knots": 1852 / 3600, "ft/s": 0.3048}
_DATA = {"bit": 0.125, "B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KiB": 1024.0, "MiB": 1024.0 ** 2,
         "GiB": 1024.0 ** 3, "TiB": 1024.0 ** 4}
_PRESSURE = {"Pa": 1.0, "kPa": 1000.0, "bar": 100000.0, "atm": 101325.0, "psi": 6894.757293168, "mmHg": 133.322387415}
_ENERGY = {"J": 1.0, "kJ": 1000.0, "cal": 4.184, "kcal": 4184.0, "Wh": 3600.0, "kWh": 3.6e6, "BTU": 1055.05585262,
           "eV": 1.602176634e-19}
_AREA = {"m2": 1.0, "km2": 1e6, "ha": 1e4, "acre": 4046.8564224, "ft2": 0.09290304, "mi2": 2589988.110336, "cm2": 1e-4}


def _convert(value: float, table: dict[str, float], src: str, dst: str, allow_negative: bool = False) -> float:
    if not allow_negative and value < 0:
        raise ValueError("value must be non-negative")
    result = value * table[src] / table[dst]
    if result != 0 and abs(result) < 1e-3:
        return float(f"{result:.6g}")
    return round(result, 6)


@api(category=CAT, examples=[({"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}, 212.0),
                             ({"value": 32, "from_unit": "fahrenheit", "to_unit": "kelvin"}, 273.15),
                             ({"value": 300, "from_unit": "kelvin", "to_unit": "celsius"}, 26.85)],
     raises=[{"value": -10, "from_unit": "kelvin", "to_unit": "celsius"}, {"value": -300, "from_unit": "celsius", "to_unit": "kelvin"}])
def convert_temperature(value: float, from_unit: Literal["celsius", "fahrenheit", "kelvin"],
                        to_unit: Literal["celsius", "fahrenheit", "kelvin"]) -> float:
    """Convert a temperature between Celsius, Fahrenheit and Kelvin, rounded to 2 decimals; rejects values below absolute zero.

    Args:
        value: The temperature to convert.
        from_unit: The scale of the given value.
        to_unit: The scale to convert to.
    """
    kelvin = {"celsius": value + 273.15, "fahrenheit": (value - 32) * 5 / 9 + 273.15, "kelvin": value}[from_unit]
    if kelvin < -1e-9:
        raise ValueError("temperature is below absolute zero")
    result = {"celsius": kelvin - 273.15, "fahrenheit": (kelvin - 273.15) * 9 / 5 + 32, "kelvin": kelvin}[to_unit]
    return round(result, 2) + 0.0


@api(category=CAT, examples=[({"value": 1, "from_unit": "mi", "to_unit": "km"}, 1.609344),
                             ({"value": 12, "from_unit": "in", "to_unit": "ft"}, 1.0),
                             ({"value": 5000, "from_unit": "m", "to_unit": "nmi"}, 2.699784)],
     raises=[{"value": -3, "from_unit": "m", "to_unit": "ft"}])
def convert_length(value: float, from_unit: LengthUnit, to_unit: LengthUnit) -> float:
    """Convert a length or distance between metric and imperial units (mm, cm, m, km, in, ft, yd, mi, nautical miles).

    Args:
        value: The non-negative length to convert.
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _LENGTH, from_unit, to_unit)


@api(category=CAT, examples=[({"value": 1, "from_unit": "kg", "to_unit": "lb"}, 2.204623),
                             ({"value": 16, "from_unit": "oz", "to_unit": "lb"}, 1.0),
                             ({"value": 11, "from_unit": "st", "to_unit": "kg"}, 69.853225)],
     raises=[{"value": -1, "from_unit": "kg", "to_unit": "g"}])
def convert_mass(value: float, from_unit: MassUnit, to_unit: MassUnit) -> float:
    """Convert a mass or weight between metric and imperial units (mg, g, kg, metric ton, oz, lb, stone).

    Args:
        value: The non-negative mass to convert.
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _MASS, from_unit, to_unit)


@api(category=CAT, examples=[({"value": 1, "from_unit": "gal", "to_unit": "l"}, 3.785412),
                             ({"value": 2, "from_unit": "l", "to_unit": "ml"}, 2000.0),
                             ({"value": 3, "from_unit": "tsp", "to_unit": "tbsp"}, 1.0)],
     raises=[{"value": -2, "from_unit": "l", "to_unit": "gal"}])
def convert_volume(value: float, from_unit: VolumeUnit, to_unit: VolumeUnit) -> float:
    """Convert a volume between metric units and US customary units (teaspoons, tablespoons, fluid ounces, cups, pints, quarts, gallons).

    Args:
        value: The non-negative volume to convert.
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _VOLUME, from_unit, to_unit)


@api(category=CAT, examples=[({"value": 100, "from_unit": "km/h", "to_unit": "mph"}, 62.137119),
                             ({"value": 10, "from_unit": "m/s", "to_unit": "km/h"}, 36.0),
                             ({"value": 20, "from_unit": "knots", "to_unit": "m/s"}, 10.288889)])
def convert_speed(value: float, from_unit: SpeedUnit, to_unit: SpeedUnit) -> float:
    """Convert a speed between m/s, km/h, miles per hour, knots and feet per second.

    Args:
        value: The speed to convert (negative values denote the opposite direction).
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _SPEED, from_unit, to_unit, allow_negative=True)


@api(category=CAT, examples=[({"value": 1, "from_unit": "GiB", "to_unit": "MB"}, 1073.741824),
                             ({"value": 1500, "from_unit": "MB", "to_unit": "GB"}, 1.5),
                             ({"value": 100, "from_unit": "bit", "to_unit": "B"}, 12.5)],
     raises=[{"value": -1, "from_unit": "GB", "to_unit": "MB"}])
def convert_data_size(value: float, from_unit: DataUnit, to_unit: DataUnit) -> float:
    """Convert a digital storage size between bits, bytes, decimal units (KB, MB, GB, TB) and binary units (KiB, MiB, GiB, TiB).

    Args:
        value: The non-negative size to convert.
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _DATA, from_unit, to_unit)


@api(category=CAT, examples=[({"value": 1, "from_unit": "atm", "to_unit": "psi"}, 14.695949),
                             ({"value": 100, "from_unit": "kPa", "to_unit": "bar"}, 1.0),
                             ({"value": 32, "from_unit": "psi", "to_unit": "kPa"}, 220.632233)],
     raises=[{"value": -5, "from_unit": "Pa", "to_unit": "atm"}])
def convert_pressure(value: float, from_unit: PressureUnit, to_unit: PressureUnit) -> float:
    """Convert an absolute pressure between pascals, kilopascals, bar, atmospheres, psi and millimetres of mercury.

    Args:
        value: The non-negative absolute pressure to convert.
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _PRESSURE, from_unit, to_unit)


@api(category=CAT, examples=[({"value": 1, "from_unit": "kWh", "to_unit": "J"}, 3600000.0),
                             ({"value": 1, "from_unit": "kcal", "to_unit": "kJ"}, 4.184),
                             ({"value": 500, "from_unit": "kcal", "to_unit": "Wh"}, 581.111111)])
def convert_energy(value: float, from_unit: EnergyUnit, to_unit: EnergyUnit) -> float:
    """Convert an amount of energy between joules, calories, kilocalories, watt-hours, BTU and electronvolts.

    Args:
        value: The energy to convert (negative values denote energy released).
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _ENERGY, from_unit, to_unit, allow_negative=True)


@api(category=CAT, examples=[({"value": 1, "from_unit": "ha", "to_unit": "acre"}, 2.471054),
                             ({"value": 1, "from_unit": "km2", "to_unit": "ha"}, 100.0),
                             ({"value": 1200, "from_unit": "ft2", "to_unit": "m2"}, 111.483648)],
     raises=[{"value": -4, "from_unit": "m2", "to_unit": "ft2"}])
def convert_area(value: float, from_unit: AreaUnit, to_unit: AreaUnit) -> float:
    """Convert an area between square metres, square kilometres, hectares, acres, square feet, square miles and square centimetres.

    Args:
        value: The non-negative area to convert.
        from_unit: The unit of the given value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _AREA, from_unit, to_unit)
