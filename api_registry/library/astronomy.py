"""Astronomy calculations: moon phases, Julian dates, light travel time, orbits, escape velocity and planetary data."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from api_registry.python_functions import api

CAT = "astronomy"

Planet = Literal["mercury", "venus", "earth", "mars", "jupiter", "saturn", "uranus", "neptune"]
# name: (mean radius km, mass in Earth masses, surface gravity m/s^2, orbital period days, mean distance from Sun AU, known moons)
_PLANETS = {
    "mercury": (2439.7, 0.0553, 3.7, 87.97, 0.387, 0), "venus": (6051.8, 0.815, 8.87, 224.7, 0.723, 0),
    "earth": (6371.0, 1.0, 9.81, 365.26, 1.0, 1), "mars": (3389.5, 0.107, 3.72, 686.98, 1.524, 2),
    "jupiter": (69911.0, 317.8, 24.79, 4332.59, 5.203, 95), "saturn": (58232.0, 95.2, 10.44, 10759.22, 9.537, 146),
    "uranus": (25362.0, 14.5, 8.69, 30688.5, 19.19, 28), "neptune": (24622.0, 17.1, 11.15, 60182.0, 30.07, 16),
}
SYNODIC_MONTH = 29.530588853
C_KM_S = 299792.458


def _parse_dt(date: str, time: str = "00:00") -> datetime:
    try:
        return datetime.fromisoformat(f"{date}T{time}")
    except ValueError as exc:
        raise ValueError(f"invalid date/time {date!r} {time!r}") from exc


def _julian_day(dt: datetime) -> float:
    y, m = dt.year, dt.month
    d = dt.day + (dt.hour + dt.minute / 60 + dt.second / 3600) / 24
    if m <= 2:
        y, m = y - 1, m + 12
    a = y // 100
    b = 2 - a + a // 4
    return math.floor(365.25 * (y + 4716)) + math.floor(30.6001 * (m + 1)) + d + b - 1524.5


@api(category=CAT, examples=[({"date": "2000-01-01", "time": "12:00"}, 2451545.0), ({"date": "2024-07-04"}, 2460495.5),
                             ({"date": "1969-07-20", "time": "20:17"}, 2440423.345139)],
     raises=[{"date": "2024-02-30"}])
def julian_day_number(date: str, time: str = "00:00") -> float:
    """Convert a UTC calendar date and time (Gregorian) to its astronomical Julian Date (6 decimals).

    Args:
        date: The UTC date in ISO format YYYY-MM-DD.
        time: The UTC time of day as HH:MM or HH:MM:SS.
    """
    return round(_julian_day(_parse_dt(date, time)), 6)


@api(category=CAT, examples=[({"date": "2024-04-08"}, {"phase": "new moon", "age_days": 28.8, "illumination_percent": 0.7}),
                             ({"date": "2024-04-23"}, {"phase": "full moon", "age_days": 14.2, "illumination_percent": 99.7}),
                             ({"date": "2024-04-15"}, {"phase": "first quarter", "age_days": 6.2, "illumination_percent": 37.8})],
     raises=[{"date": "April 8"}])
def moon_phase(date: str) -> dict[str, str | float]:
    """Estimate the Moon's phase on a date (at 00:00 UTC): phase name, age in days since new moon and illuminated fraction.

    Args:
        date: The date in ISO format YYYY-MM-DD.
    """
    jd = _julian_day(_parse_dt(date))
    age = (jd - 2451550.1) % SYNODIC_MONTH
    illum = (1 - math.cos(2 * math.pi * age / SYNODIC_MONTH)) / 2
    names = ["new moon", "waxing crescent", "first quarter", "waxing gibbous", "full moon", "waning gibbous", "last quarter", "waning crescent"]
    index = int((age / SYNODIC_MONTH * 8) + 0.5) % 8
    return {"phase": names[index], "age_days": round(age, 1), "illumination_percent": round(illum * 100, 1)}


@api(category=CAT, examples=[({"distance": 1, "unit": "au"}, {"seconds": 499.0, "formatted": "8m 19s"}),
                             ({"distance": 384400, "unit": "km"}, {"seconds": 1.28, "formatted": "0m 1s"}),
                             ({"distance": 4.24, "unit": "ly"}, {"seconds": 133804224.0, "formatted": "1548d 15h 50m"})],
     raises=[{"distance": -1, "unit": "au"}])
def light_travel_time(distance: float, unit: Literal["km", "au", "ly", "pc"]) -> dict[str, float | str]:
    """Compute how long light takes to travel a distance in kilometres, astronomical units, light-years or parsecs.

    Args:
        distance: The distance; must be non-negative.
        unit: The distance unit.
    """
    if distance < 0:
        raise ValueError("distance must be non-negative")
    km = distance * {"km": 1.0, "au": 149597870.7, "ly": 9460730472580.8, "pc": 30856775814913.673}[unit]
    seconds = km / C_KM_S
    whole = int(round(seconds))
    if whole >= 86400:
        text = f"{whole // 86400}d {whole % 86400 // 3600}h {whole % 3600 // 60}m"
    else:
        text = f"{whole // 60}m {whole % 60}s" if whole < 3600 else f"{whole // 3600}h {whole % 3600 // 60}m"
    return {"seconds": round(seconds, 2), "formatted": text}


@api(category=CAT, examples=[({"planet": "mars"}, {"name": "Mars", "radius_km": 3389.5, "mass_earths": 0.107, "surface_gravity": 3.72, "orbital_period_days": 686.98,
                                                  "distance_from_sun_au": 1.524, "moons": 2}),
                             ({"planet": "jupiter"}, {"name": "Jupiter", "radius_km": 69911.0, "mass_earths": 317.8, "surface_gravity": 24.79,
                                                     "orbital_period_days": 4332.59, "distance_from_sun_au": 5.203, "moons": 95})])
def planet_facts(planet: Planet) -> dict[str, str | float | int]:
    """Return basic physical and orbital facts about a planet of the Solar System (radius, mass, gravity, year length, distance, moons).

    Args:
        planet: The planet.
    """
    r, m, g, p, a, moons = _PLANETS[planet]
    return {"name": planet.capitalize(), "radius_km": r, "mass_earths": m, "surface_gravity": g, "orbital_period_days": p,
            "distance_from_sun_au": a, "moons": moons}


@api(category=CAT, examples=[({"weight_kg": 70, "planet": "mars"}, 26.54), ({"weight_kg": 70, "planet": "jupiter"}, 176.89)],
     raises=[{"weight_kg": -5, "planet": "venus"}])
def weight_on_planet(weight_kg: float, planet: Planet) -> float:
    """Convert a body weight measured on Earth to the equivalent scale reading on another planet's surface (kg, 2 decimals).

    Args:
        weight_kg: The weight on Earth in kilograms; must be non-negative.
        planet: The planet to compare with.
    """
    if weight_kg < 0:
        raise ValueError("weight must be non-negative")
    return round(weight_kg * _PLANETS[planet][2] / 9.81, 2)


@api(category=CAT, examples=[({"mass_kg": 5.972e24, "radius_m": 6.371e6}, 11.186), ({"mass_kg": 7.342e22, "radius_m": 1.7374e6}, 2.375)],
     raises=[{"mass_kg": 5.972e24, "radius_m": 0}])
def escape_velocity(mass_kg: float, radius_m: float) -> float:
    """Compute the escape velocity in km/s from the surface of a spherical body of given mass and radius (3 decimals).

    Args:
        mass_kg: The body's mass in kilograms; must be positive.
        radius_m: The body's radius in metres; must be positive.
    """
    if mass_kg <= 0 or radius_m <= 0:
        raise ValueError("mass and radius must be positive")
    return round(math.sqrt(2 * 6.67430e-11 * mass_kg / radius_m) / 1000, 3)


@api(category=CAT, examples=[({"semi_major_axis_au": 1.524}, {"period_years": 1.8814, "period_days": 687.18}),
                             ({"semi_major_axis_au": 5.2, "central_mass_solar": 1.0}, {"period_years": 11.8578, "period_days": 4331.07})],
     raises=[{"semi_major_axis_au": 0}, {"semi_major_axis_au": 1, "central_mass_solar": -1}])
def orbital_period(semi_major_axis_au: float, central_mass_solar: float = 1.0) -> dict[str, float]:
    """Compute an orbital period from the semi-major axis with Kepler's third law, P^2 = a^3 / M (years and days).

    Args:
        semi_major_axis_au: The orbit's semi-major axis in astronomical units; must be positive.
        central_mass_solar: The mass of the central body in solar masses; must be positive.
    """
    if semi_major_axis_au <= 0 or central_mass_solar <= 0:
        raise ValueError("semi-major axis and central mass must be positive")
    years = math.sqrt(semi_major_axis_au ** 3 / central_mass_solar)
    return {"period_years": round(years, 4), "period_days": round(years * 365.25, 2)}


@api(category=CAT, examples=[({"apparent_magnitude": 0.03, "distance_parsecs": 7.68}, 0.603), ({"apparent_magnitude": -26.74, "distance_parsecs": 4.848e-6}, 4.832)],
     raises=[{"apparent_magnitude": 5, "distance_parsecs": 0}])
def absolute_magnitude(apparent_magnitude: float, distance_parsecs: float) -> float:
    """Compute a star's absolute magnitude from its apparent magnitude and distance in parsecs, M = m - 5 log10(d / 10) (3 decimals).

    Args:
        apparent_magnitude: The observed apparent magnitude.
        distance_parsecs: The distance to the star in parsecs; must be positive.
    """
    if distance_parsecs <= 0:
        raise ValueError("distance must be positive")
    return round(apparent_magnitude - 5 * math.log10(distance_parsecs / 10), 3)
