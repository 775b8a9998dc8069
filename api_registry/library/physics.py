"""Classical mechanics, electricity, waves, radioactivity and relativity formulas in SI units."""

from __future__ import annotations

import math
from typing import Literal

from api_registry.python_functions import api

CAT = "physics"

G = 6.67430e-11
C = 299_792_458.0


def _sig(v: float, digits: int = 6) -> float:
    return float(f"{v:.{digits}g}")


@api(category=CAT, examples=[({"mass_kg": 2, "velocity_m_s": 3}, 9.0), ({"mass_kg": 1500, "velocity_m_s": 27.78}, 578796.3)],
     raises=[{"mass_kg": -1, "velocity_m_s": 3}])
def kinetic_energy(mass_kg: float, velocity_m_s: float) -> float:
    """Compute the kinetic energy in joules of a moving mass, E = m v^2 / 2 (2 decimals).

    Args:
        mass_kg: The mass in kilograms; must be non-negative.
        velocity_m_s: The speed in metres per second.
    """
    if mass_kg < 0:
        raise ValueError("mass must be non-negative")
    return round(0.5 * mass_kg * velocity_m_s ** 2, 2)


@api(category=CAT, examples=[({"initial_speed": 20, "launch_angle_degrees": 45}, {"range_m": 40.7747, "max_height_m": 10.1937, "flight_time_s": 2.8832}),
                             ({"initial_speed": 10, "launch_angle_degrees": 30, "initial_height": 2},
                              {"range_m": 11.4896, "max_height_m": 3.2742, "flight_time_s": 1.3267})],
     raises=[{"initial_speed": 20, "launch_angle_degrees": 95}, {"initial_speed": -5, "launch_angle_degrees": 30}])
def projectile_motion(initial_speed: float, launch_angle_degrees: float, initial_height: float = 0.0, gravity: float = 9.81) -> dict[str, float]:
    """Compute the horizontal range, peak height and flight time of a projectile without air resistance.

    Args:
        initial_speed: The launch speed in m/s; must be non-negative.
        launch_angle_degrees: The launch angle above the horizontal, between 0 and 90 degrees.
        initial_height: The launch height above the landing ground in metres.
        gravity: The gravitational acceleration in m/s^2 (9.81 on Earth).
    """
    if initial_speed < 0 or not 0 <= launch_angle_degrees <= 90 or gravity <= 0 or initial_height < 0:
        raise ValueError("need speed >= 0, 0 <= angle <= 90, gravity > 0 and height >= 0")
    theta = math.radians(launch_angle_degrees)
    vx, vy = initial_speed * math.cos(theta), initial_speed * math.sin(theta)
    t = (vy + math.sqrt(vy * vy + 2 * gravity * initial_height)) / gravity
    return {"range_m": round(vx * t, 4), "max_height_m": round(initial_height + vy * vy / (2 * gravity), 4), "flight_time_s": round(t, 4)}


@api(category=CAT, examples=[({"voltage": 12, "resistance": 4}, {"voltage": 12.0, "current": 3.0, "resistance": 4.0, "power": 36.0}),
                             ({"current": 0.5, "resistance": 220}, {"voltage": 110.0, "current": 0.5, "resistance": 220.0, "power": 55.0}),
                             ({"voltage": 230, "current": 10}, {"voltage": 230.0, "current": 10.0, "resistance": 23.0, "power": 2300.0})],
     raises=[{"voltage": 12}, {"voltage": 12, "current": 0}])
def ohms_law(voltage: float | None = None, current: float | None = None, resistance: float | None = None) -> dict[str, float]:
    """Solve Ohm's law V = I R for the missing quantity given exactly two of voltage, current and resistance, and report power.

    Args:
        voltage: The voltage in volts, if known.
        current: The current in amperes, if known.
        resistance: The resistance in ohms, if known.
    """
    known = [x is not None for x in (voltage, current, resistance)]
    if sum(known) != 2:
        raise ValueError("provide exactly two of voltage, current and resistance")
    if voltage is None:
        voltage = current * resistance
    elif current is None:
        if resistance == 0:
            raise ValueError("resistance must not be zero")
        current = voltage / resistance
    else:
        if current == 0:
            raise ValueError("current must not be zero")
        resistance = voltage / current
    return {"voltage": round(float(voltage), 6), "current": round(float(current), 6),
            "resistance": round(float(resistance), 6), "power": round(float(voltage * current), 6)}


@api(category=CAT, examples=[({"height_m": 20}, {"time_s": 2.0193, "impact_speed_m_s": 19.8091}),
                             ({"height_m": 10, "gravity": 1.62}, {"time_s": 3.5136, "impact_speed_m_s": 5.6921})],
     raises=[{"height_m": -5}])
def free_fall(height_m: float, gravity: float = 9.81) -> dict[str, float]:
    """Compute the fall time and impact speed of an object dropped from rest, ignoring air resistance.

    Args:
        height_m: The drop height in metres; must be non-negative.
        gravity: The gravitational acceleration in m/s^2 (9.81 on Earth, 1.62 on the Moon).
    """
    if height_m < 0 or gravity <= 0:
        raise ValueError("height must be non-negative and gravity positive")
    return {"time_s": round(math.sqrt(2 * height_m / gravity), 4), "impact_speed_m_s": round(math.sqrt(2 * gravity * height_m), 4)}


@api(category=CAT, examples=[({"mass1_kg": 5.972e24, "mass2_kg": 7.348e22, "distance_m": 3.844e8}, 1.98211e+20),
                             ({"mass1_kg": 80, "mass2_kg": 60, "distance_m": 1}, 3.20366e-07)],
     raises=[{"mass1_kg": 10, "mass2_kg": 10, "distance_m": 0}])
def gravitational_force(mass1_kg: float, mass2_kg: float, distance_m: float) -> float:
    """Compute the Newtonian gravitational force in newtons between two masses (6 significant figures).

    Args:
        mass1_kg: The first mass in kilograms.
        mass2_kg: The second mass in kilograms.
        distance_m: The distance between their centres in metres; must be positive.
    """
    if distance_m <= 0 or mass1_kg < 0 or mass2_kg < 0:
        raise ValueError("distance must be positive and masses non-negative")
    return _sig(G * mass1_kg * mass2_kg / distance_m ** 2)


@api(category=CAT, examples=[({"frequency_hz": 100e6}, 2.99792), ({"frequency_hz": 440, "medium": "air"}, 0.779545),
                             ({"frequency_hz": 1000, "medium": "water"}, 1.481)],
     raises=[{"frequency_hz": 0}])
def wavelength_from_frequency(frequency_hz: float, medium: Literal["vacuum", "air", "water"] = "vacuum") -> float:
    """Compute a wave's wavelength in metres from its frequency: light in vacuum, or sound in air (20 C) or water.

    Args:
        frequency_hz: The frequency in hertz; must be positive.
        medium: The propagation medium: vacuum (speed of light), air (343 m/s sound) or water (1481 m/s sound).
    """
    if frequency_hz <= 0:
        raise ValueError("frequency must be positive")
    speed = {"vacuum": C, "air": 343.0, "water": 1481.0}[medium]
    return _sig(speed / frequency_hz)


@api(category=CAT, examples=[({"velocity_m_s": 149896229}, {"lorentz_factor": 1.154701, "time_dilation_percent": 15.4701}),
                             ({"velocity_m_s": 0}, {"lorentz_factor": 1.0, "time_dilation_percent": 0.0})],
     raises=[{"velocity_m_s": 300000000}])
def lorentz_factor(velocity_m_s: float) -> dict[str, float]:
    """Compute the special-relativistic Lorentz factor gamma for a speed, and the resulting time dilation in percent.

    Args:
        velocity_m_s: The speed in metres per second; must be below the speed of light.
    """
    if abs(velocity_m_s) >= C:
        raise ValueError("speed must be below the speed of light")
    gamma = 1 / math.sqrt(1 - (velocity_m_s / C) ** 2)
    return {"lorentz_factor": round(gamma, 6), "time_dilation_percent": round((gamma - 1) * 100, 4)}


@api(category=CAT, examples=[({"initial_amount": 100, "half_life": 5730, "elapsed_time": 11460}, 25.0),
                             ({"initial_amount": 2.5, "half_life": 8.02, "elapsed_time": 30}, 0.187022)],
     raises=[{"initial_amount": 100, "half_life": 0, "elapsed_time": 10}])
def radioactive_decay(initial_amount: float, half_life: float, elapsed_time: float) -> float:
    """Compute the amount of a radioactive substance remaining after some time, given its half-life (6 significant figures).

    Args:
        initial_amount: The starting amount, in any unit; must be non-negative.
        half_life: The half-life, in the same time unit as elapsed_time; must be positive.
        elapsed_time: The time elapsed; must be non-negative.
    """
    if half_life <= 0 or elapsed_time < 0 or initial_amount < 0:
        raise ValueError("half_life must be positive, amounts and time non-negative")
    return _sig(initial_amount * 0.5 ** (elapsed_time / half_life))


@api(category=CAT, examples=[({"mass_kg": 10, "velocity_m_s": 3}, 30.0), ({"mass_kg": 0.145, "velocity_m_s": 40.2}, 5.829)],
     raises=[{"mass_kg": -2, "velocity_m_s": 1}])
def linear_momentum(mass_kg: float, velocity_m_s: float) -> float:
    """Compute linear momentum p = m v in kilogram metres per second (4 decimals).

    Args:
        mass_kg: The mass in kilograms; must be non-negative.
        velocity_m_s: The velocity in metres per second (sign gives direction).
    """
    if mass_kg < 0:
        raise ValueError("mass must be non-negative")
    return round(mass_kg * velocity_m_s, 4) + 0.0
