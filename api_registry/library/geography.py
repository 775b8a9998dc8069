"""Geographic coordinates, great-circle distances and bearings, and a small country reference table."""

from __future__ import annotations

import math
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "geography"
EARTH_RADIUS_KM = 6371.0088


class Coordinate(TypedDict):
    lat: float
    lon: float


Continent = Literal["Africa", "Asia", "Europe", "North America", "South America", "Oceania"]

# iso2: (name, capital, continent, currency, calling code)
_COUNTRIES: dict[str, tuple[str, str, str, str, str]] = {
    "US": ("United States", "Washington, D.C.", "North America", "USD", "+1"),
    "CA": ("Canada", "Ottawa", "North America", "CAD", "+1"),
    "MX": ("Mexico", "Mexico City", "North America", "MXN", "+52"),
    "BR": ("Brazil", "Brasilia", "South America", "BRL", "+55"),
    "AR": ("Argentina", "Buenos Aires", "South America", "ARS", "+54"),
    "CL": ("Chile", "Santiago", "South America", "CLP", "+56"),
    "PE": ("Peru", "Lima", "South America", "PEN", "+51"),
    "GB": ("United Kingdom", "London", "Europe", "GBP", "+44"),
    "FR": ("France", "Paris", "Europe", "EUR", "+33"),
    "DE": ("Germany", "Berlin", "Europe", "EUR", "+49"),
    "IT": ("Italy", "Rome", "Europe", "EUR", "+39"),
    "ES": ("Spain", "Madrid", "Europe", "EUR", "+34"),
    "PT": ("Portugal", "Lisbon", "Europe", "EUR", "+351"),
    "NL": ("Netherlands", "Amsterdam", "Europe", "EUR", "+31"),
    "SE": ("Sweden", "Stockholm", "Europe", "SEK", "+46"),
    "NO": ("Norway", "Oslo", "Europe", "NOK", "+47"),
    "PL": ("Poland", "Warsaw", "Europe", "PLN", "+48"),
    "CH": ("Switzerland", "Bern", "Europe", "CHF", "+41"),
    "JP": ("Japan", "Tokyo", "Asia", "JPY", "+81"),
    "CN": ("China", "Beijing", "Asia", "CNY", "+86"),
    "IN": ("India", "New Delhi", "Asia", "INR", "+91"),
    "KR": ("South Korea", "Seoul", "Asia", "KRW", "+82"),
    "ID": ("Indonesia", "Jakarta", "Asia", "IDR", "+62"),
    "TH": ("Thailand", "Bangkok", "Asia", "THB", "+66"),
    "VN": ("Vietnam", "Hanoi", "Asia", "VND", "+84"),
    "TR": ("Turkey", "Ankara", "Asia", "TRY", "+90"),
    "SA": ("Saudi Arabia", "Riyadh", "Asia", "SAR", "+966"),
    "EG": ("Egypt", "Cairo", "Africa", "EGP", "+20"),
    "NG": ("Nigeria", "Abuja", "Africa", "NGN", "+234"),
    "KE": ("Kenya", "Nairobi", "Africa", "KES", "+254"),
    "ZA": ("South Africa", "Pretoria", "Africa", "ZAR", "+27"),
    "MA": ("Morocco", "Rabat", "Africa", "MAD", "+212"),
    "AU": ("Australia", "Canberra", "Oceania", "AUD", "+61"),
    "NZ": ("New Zealand", "Wellington", "Oceania", "NZD", "+64"),
}


def _check_coord(lat: float, lon: float) -> None:
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {lat} is outside [-90, 90]")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {lon} is outside [-180, 180]")


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@api(category=CAT, examples=[({"lat1": 48.8566, "lon1": 2.3522, "lat2": 51.5074, "lon2": -0.1278}, 343.56),
                             ({"lat1": 40.7128, "lon1": -74.006, "lat2": 34.0522, "lon2": -118.2437, "unit": "mi"}, 2445.56),
                             ({"lat1": 35.6762, "lon1": 139.6503, "lat2": -33.8688, "lon2": 151.2093, "unit": "nmi"}, 4225.61)],
     raises=[{"lat1": 95, "lon1": 0, "lat2": 0, "lon2": 0}])
def haversine_distance(lat1: float, lon1: float, lat2: float, lon2: float, unit: Literal["km", "mi", "nmi"] = "km") -> float:
    """Compute the great-circle distance between two latitude/longitude points with the haversine formula (2 decimals).

    Args:
        lat1: Latitude of the first point in decimal degrees.
        lon1: Longitude of the first point in decimal degrees.
        lat2: Latitude of the second point in decimal degrees.
        lon2: Longitude of the second point in decimal degrees.
        unit: The distance unit: kilometres, statute miles or nautical miles.
    """
    _check_coord(lat1, lon1)
    _check_coord(lat2, lon2)
    km = _great_circle_km(lat1, lon1, lat2, lon2)
    return round(km / {"km": 1.0, "mi": 1.609344, "nmi": 1.852}[unit], 2)


@api(category=CAT, examples=[({"lat1": 48.8566, "lon1": 2.3522, "lat2": 51.5074, "lon2": -0.1278}, {"bearing_degrees": 330.02, "compass": "NNW"}),
                             ({"lat1": 0, "lon1": 0, "lat2": 0, "lon2": 10}, {"bearing_degrees": 90.0, "compass": "E"})],
     raises=[{"lat1": 0, "lon1": 200, "lat2": 0, "lon2": 0}])
def initial_bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> dict[str, float | str]:
    """Compute the initial compass bearing (forward azimuth) from one point to another along a great circle.

    Args:
        lat1: Latitude of the start point in decimal degrees.
        lon1: Longitude of the start point in decimal degrees.
        lat2: Latitude of the destination in decimal degrees.
        lon2: Longitude of the destination in decimal degrees.
    """
    _check_coord(lat1, lon1)
    _check_coord(lat2, lon2)
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    bearing = round((math.degrees(math.atan2(x, y)) + 360) % 360, 2) % 360
    points = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
    return {"bearing_degrees": bearing + 0.0, "compass": points[int((bearing + 11.25) // 22.5) % 16]}


@api(category=CAT, examples=[({"lat": 51.5074, "lon": -0.1278, "bearing_degrees": 90, "distance_km": 100}, {"lat": 51.4985, "lon": 1.3169}),
                             ({"lat": 0, "lon": 0, "bearing_degrees": 0, "distance_km": 111.195}, {"lat": 1.0, "lon": 0.0})],
     raises=[{"lat": 0, "lon": 0, "bearing_degrees": 45, "distance_km": -5}])
def destination_point(lat: float, lon: float, bearing_degrees: float, distance_km: float) -> Coordinate:
    """Find the point reached by travelling a distance along a great circle from a start point at a given initial bearing.

    Args:
        lat: Latitude of the start point in decimal degrees.
        lon: Longitude of the start point in decimal degrees.
        bearing_degrees: The initial bearing clockwise from north, in degrees.
        distance_km: The distance to travel in kilometres; must be non-negative.
    """
    _check_coord(lat, lon)
    if distance_km < 0:
        raise ValueError("distance must be non-negative")
    d = distance_km / EARTH_RADIUS_KM
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_degrees)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    lon2 = (math.degrees(l2) + 540) % 360 - 180
    return {"lat": round(math.degrees(p2), 4) + 0.0, "lon": round(lon2, 4) + 0.0}


@api(category=CAT, examples=[({"points": [{"lat": 40.7128, "lon": -74.006}, {"lat": 34.0522, "lon": -118.2437}]}, {"lat": 39.5103, "lon": -97.1601}),
                             ({"points": [{"lat": 0, "lon": 0}, {"lat": 0, "lon": 90}]}, {"lat": 0.0, "lon": 45.0})],
     raises=[{"points": []}])
def geographic_midpoint(points: list[Coordinate]) -> Coordinate:
    """Compute the geographic midpoint (centre of gravity on the sphere) of a set of latitude/longitude points.

    Args:
        points: The points to average, each with lat and lon in decimal degrees; at least one.
    """
    if not points:
        raise ValueError("points must not be empty")
    x = y = z = 0.0
    for p in points:
        _check_coord(p["lat"], p["lon"])
        la, lo = math.radians(p["lat"]), math.radians(p["lon"])
        x += math.cos(la) * math.cos(lo)
        y += math.cos(la) * math.sin(lo)
        z += math.sin(la)
    n = len(points)
    x, y, z = x / n, y / n, z / n
    if math.sqrt(x * x + y * y + z * z) < 1e-12:
        raise ValueError("points are antipodal; the midpoint is undefined")
    lon = math.atan2(y, x)
    lat = math.atan2(z, math.hypot(x, y))
    return {"lat": round(math.degrees(lat), 4) + 0.0, "lon": round(math.degrees(lon), 4) + 0.0}


@api(category=CAT, examples=[({"degrees": 40, "minutes": 26, "seconds": 46, "hemisphere": "N"}, 40.446111),
                             ({"degrees": 73, "minutes": 58, "seconds": 48.5, "hemisphere": "W"}, -73.980139)],
     raises=[{"degrees": 40, "minutes": 75, "seconds": 0, "hemisphere": "N"}, {"degrees": 95, "minutes": 0, "seconds": 0, "hemisphere": "S"}])
def dms_to_decimal(degrees: int, minutes: int, seconds: float, hemisphere: Literal["N", "S", "E", "W"]) -> float:
    """Convert a coordinate in degrees, minutes and seconds with a hemisphere letter to signed decimal degrees (6 decimals).

    Args:
        degrees: Whole degrees (0-90 for latitude, 0-180 for longitude).
        minutes: Arc minutes, 0-59.
        seconds: Arc seconds, at least 0 and below 60.
        hemisphere: N or S for latitude, E or W for longitude; S and W give negative values.
    """
    if not 0 <= minutes < 60 or not 0 <= seconds < 60 or degrees < 0:
        raise ValueError("minutes and seconds must be in [0, 60) and degrees non-negative")
    value = degrees + minutes / 60 + seconds / 3600
    if value > (90 if hemisphere in "NS" else 180):
        raise ValueError("coordinate out of range")
    return round(-value if hemisphere in "SW" else value, 6)


@api(category=CAT, examples=[({"decimal_degrees": 40.446111, "axis": "latitude"}, "40°26'46.0\"N"),
                             ({"decimal_degrees": -73.980139, "axis": "longitude"}, "73°58'48.5\"W")],
     raises=[{"decimal_degrees": 100, "axis": "latitude"}])
def decimal_to_dms(decimal_degrees: float, axis: Literal["latitude", "longitude"]) -> str:
    """Format signed decimal degrees as a degrees-minutes-seconds string with hemisphere letter, e.g. 40°26'46.0"N.

    Args:
        decimal_degrees: The coordinate in decimal degrees.
        axis: Whether the value is a latitude (N/S, within 90) or a longitude (E/W, within 180).
    """
    limit = 90 if axis == "latitude" else 180
    if abs(decimal_degrees) > limit:
        raise ValueError(f"{axis} must be within +/-{limit}")
    hemi = ("N" if decimal_degrees >= 0 else "S") if axis == "latitude" else ("E" if decimal_degrees >= 0 else "W")
    tenths = round(abs(decimal_degrees) * 36000)
    deg, rem = divmod(tenths, 36000)
    mins, secs = divmod(rem, 600)
    return f"{deg}°{mins}'{secs / 10:.1f}\"{hemi}"


@api(category=CAT, examples=[({"country": "France"}, {"name": "France", "iso2": "FR", "capital": "Paris", "continent": "Europe", "currency": "EUR", "calling_code": "+33"}),
                             ({"country": "jp"}, {"name": "Japan", "iso2": "JP", "capital": "Tokyo", "continent": "Asia", "currency": "JPY", "calling_code": "+81"})],
     raises=[{"country": "Atlantis"}])
def country_info(country: str) -> dict[str, str]:
    """Look up a country's capital, continent, currency and international calling code by English name or ISO 3166 alpha-2 code.

    Args:
        country: The country's English name (e.g. France) or two-letter ISO code (e.g. FR), case-insensitive.
    """
    q = country.strip().lower()
    for iso, (name, capital, continent, currency, code) in _COUNTRIES.items():
        if q in (iso.lower(), name.lower()):
            return {"name": name, "iso2": iso, "capital": capital, "continent": continent, "currency": currency, "calling_code": code}
    raise KeyError(f"unknown country {country!r}")


@api(category=CAT, examples=[({"continent": "Oceania"}, ["Australia", "New Zealand"]),
                             ({"continent": "South America"}, ["Argentina", "Brazil", "Chile", "Peru"])])
def countries_in_continent(continent: Continent) -> list[str]:
    """List the countries of a continent known to the reference table, alphabetically.

    Args:
        continent: The continent to list.
    """
    return sorted(v[0] for v in _COUNTRIES.values() if v[2] == continent)
