"""Trip planning: travel time and fuel estimates, bill splitting, budgets and an airport reference table."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal

from api_registry.python_functions import api

CAT = "travel"

# IATA: (name, city, country ISO2, latitude, longitude, standard UTC offset in hours)
_AIRPORTS: dict[str, tuple[str, str, str, float, float, float]] = {
    "JFK": ("John F. Kennedy International Airport", "New York", "US", 40.6413, -73.7781, -5),
    "LAX": ("Los Angeles International Airport", "Los Angeles", "US", 33.9416, -118.4085, -8),
    "ORD": ("O'Hare International Airport", "Chicago", "US", 41.9742, -87.9073, -6),
    "ATL": ("Hartsfield-Jackson Atlanta International Airport", "Atlanta", "US", 33.6407, -84.4277, -5),
    "SFO": ("San Francisco International Airport", "San Francisco", "US", 37.6213, -122.379, -8),
    "YYZ": ("Toronto Pearson International Airport", "Toronto", "CA", 43.6777, -79.6248, -5),
    "MEX": ("Mexico City International Airport", "Mexico City", "MX", 19.4361, -99.0719, -6),
    "GRU": ("São Paulo/Guarulhos International Airport", "São Paulo", "BR", -23.4356, -46.4731, -3),
    "LHR": ("Heathrow Airport", "London", "GB", 51.47, -0.4543, 0),
    "CDG": ("Charles de Gaulle Airport", "Paris", "FR", 49.0097, 2.5479, 1),
    "FRA": ("Frankfurt Airport", "Frankfurt", "DE", 50.0379, 8.5622, 1),
    "AMS": ("Amsterdam Airport Schiphol", "Amsterdam", "NL", 52.3105, 4.7683, 1),
    "MAD": ("Adolfo Suárez Madrid-Barajas Airport", "Madrid", "ES", 40.4983, -3.5676, 1),
    "FCO": ("Leonardo da Vinci-Fiumicino Airport", "Rome", "IT", 41.8003, 12.2389, 1),
    "IST": ("Istanbul Airport", "Istanbul", "TR", 41.2753, 28.7519, 3),
    "DXB": ("Dubai International Airport", "Dubai", "AE", 25.2532, 55.3657, 4),
    "DEL": ("Indira Gandhi International Airport", "New Delhi", "IN", 28.5562, 77.1, 5.5),
    "SIN": ("Singapore Changi Airport", "Singapore", "SG", 1.3644, 103.9915, 8),
    "HKG": ("Hong Kong International Airport", "Hong Kong", "HK", 22.308, 113.9185, 8),
    "PEK": ("Beijing Capital International Airport", "Beijing", "CN", 40.0799, 116.6031, 8),
    "NRT": ("Narita International Airport", "Tokyo", "JP", 35.772, 140.3929, 9),
    "HND": ("Haneda Airport", "Tokyo", "JP", 35.5494, 139.7798, 9),
    "ICN": ("Incheon International Airport", "Seoul", "KR", 37.4602, 126.4407, 9),
    "SYD": ("Sydney Kingsford Smith Airport", "Sydney", "AU", -33.9399, 151.1753, 10),
    "JNB": ("O. R. Tambo International Airport", "Johannesburg", "ZA", -26.1367, 28.2411, 2),
    "CAI": ("Cairo International Airport", "Cairo", "EG", 30.1219, 31.4056, 2),
}


def _airport(code: str) -> tuple[str, str, str, float, float, float]:
    key = code.strip().upper()
    if key not in _AIRPORTS:
        raise KeyError(f"unknown airport code {code!r}")
    return _AIRPORTS[key]


def _gc_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@api(category=CAT, examples=[({"code": "LHR"}, {"code": "LHR", "name": "Heathrow Airport", "city": "London", "country": "GB", "latitude": 51.47, "longitude": -0.4543, "utc_offset_hours": 0.0}),
                             ({"code": "del"}, {"code": "DEL", "name": "Indira Gandhi International Airport", "city": "New Delhi", "country": "IN", "latitude": 28.5562, "longitude": 77.1, "utc_offset_hours": 5.5})],
     raises=[{"code": "XXX"}])
def airport_lookup(code: str) -> dict[str, str | float]:
    """Look up a major airport by its three-letter IATA code: name, city, country, coordinates and standard UTC offset.

    Args:
        code: The IATA airport code, e.g. LHR (case-insensitive).
    """
    name, city, country, lat, lon, off = _airport(code)
    return {"code": code.strip().upper(), "name": name, "city": city, "country": country, "latitude": lat, "longitude": lon,
            "utc_offset_hours": float(off)}


@api(category=CAT, examples=[({"origin": "JFK", "destination": "LHR"}, {"distance_km": 5540.0, "distance_mi": 3442.0, "estimated_flight_minutes": 446}),
                             ({"origin": "SIN", "destination": "SYD"}, {"distance_km": 6294.0, "distance_mi": 3911.0, "estimated_flight_minutes": 502})],
     raises=[{"origin": "JFK", "destination": "ZZZ"}, {"origin": "JFK", "destination": "jfk"}])
def flight_distance_between_airports(origin: str, destination: str) -> dict[str, float | int]:
    """Compute the great-circle distance between two airports and a rough flight time (800 km/h cruise plus 30 minutes).

    Args:
        origin: IATA code of the departure airport.
        destination: IATA code of the arrival airport; must differ from the origin.
    """
    a, b = _airport(origin), _airport(destination)
    if origin.strip().upper() == destination.strip().upper():
        raise ValueError("origin and destination must differ")
    km = _gc_km(a[3], a[4], b[3], b[4])
    return {"distance_km": float(round(km)), "distance_mi": float(round(km / 1.609344)), "estimated_flight_minutes": int(round(km / 800 * 60 + 30))}


@api(category=CAT, examples=[({"departure_local": "2024-06-01T08:00", "origin": "JFK", "destination": "LHR", "flight_minutes": 420},
                              {"arrival_local": "2024-06-01T20:00", "time_difference_hours": 5.0}),
                             ({"departure_local": "2024-03-15T23:30", "origin": "SYD", "destination": "LAX", "flight_minutes": 810},
                              {"arrival_local": "2024-03-15T19:00", "time_difference_hours": -18.0})],
     raises=[{"departure_local": "2024-06-01T08:00", "origin": "JFK", "destination": "LHR", "flight_minutes": -30}])
def arrival_local_time(departure_local: str, origin: str, destination: str, flight_minutes: int) -> dict[str, str | float]:
    """Compute the local arrival time of a flight from its local departure time and duration, using standard UTC offsets (no daylight saving).

    Args:
        departure_local: Local departure date and time in ISO format, e.g. 2024-06-01T08:00.
        origin: IATA code of the departure airport.
        destination: IATA code of the arrival airport.
        flight_minutes: The flight duration in minutes; must be positive.
    """
    if flight_minutes <= 0:
        raise ValueError("flight_minutes must be positive")
    try:
        dep = datetime.fromisoformat(departure_local)
    except ValueError as exc:
        raise ValueError(f"invalid departure time {departure_local!r}") from exc
    diff = _airport(destination)[5] - _airport(origin)[5]
    arr = dep + timedelta(minutes=flight_minutes, hours=diff)
    return {"arrival_local": arr.isoformat(timespec="minutes"), "time_difference_hours": float(diff)}


_SPEEDS_KMH = {"walking": 5.0, "cycling": 15.0, "driving": 80.0, "bus": 60.0, "train": 120.0, "flight": 800.0}


@api(category=CAT, examples=[({"distance_km": 240, "mode": "driving"}, {"hours": 3.0, "formatted": "3h 0m"}),
                             ({"distance_km": 12, "mode": "walking", "break_minutes": 30}, {"hours": 2.9, "formatted": "2h 54m"}),
                             ({"distance_km": 450, "mode": "train", "average_speed_kmh": 250}, {"hours": 1.8, "formatted": "1h 48m"})],
     raises=[{"distance_km": -5, "mode": "cycling"}, {"distance_km": 10, "mode": "driving", "average_speed_kmh": 0}])
def estimate_travel_time(distance_km: float, mode: Literal["walking", "cycling", "driving", "bus", "train", "flight"],
                         break_minutes: int = 0, average_speed_kmh: float | None = None) -> dict[str, float | str]:
    """Estimate door-to-door travel time for a distance by a mode of transport, using a typical average speed unless one is given.

    Args:
        distance_km: The distance in kilometres; must be non-negative.
        mode: The mode of transport (typical speeds: walking 5, cycling 15, driving 80, bus 60, train 120, flight 800 km/h).
        break_minutes: Total minutes of breaks or stops to add.
        average_speed_kmh: Override the typical average speed, in km/h; must be positive.
    """
    speed = _SPEEDS_KMH[mode] if average_speed_kmh is None else average_speed_kmh
    if distance_km < 0 or speed <= 0 or break_minutes < 0:
        raise ValueError("distance and breaks must be non-negative and speed positive")
    minutes = round(distance_km / speed * 60 + break_minutes)
    return {"hours": round(minutes / 60, 2), "formatted": f"{minutes // 60}h {minutes % 60}m"}


@api(category=CAT, examples=[({"distance_km": 500, "fuel_efficiency": 6.5, "price_per_liter": 1.8}, {"fuel_liters": 32.5, "total_cost": 58.5, "cost_per_person": 58.5}),
                             ({"distance_km": 800, "fuel_efficiency": 30, "efficiency_unit": "mpg_us", "price_per_liter": 1.0, "passengers": 4},
                              {"fuel_liters": 62.72, "total_cost": 62.72, "cost_per_person": 15.68})],
     raises=[{"distance_km": 100, "fuel_efficiency": 0, "price_per_liter": 1.5}])
def fuel_cost_for_trip(distance_km: float, fuel_efficiency: float, price_per_liter: float,
                       efficiency_unit: Literal["l_per_100km", "km_per_l", "mpg_us", "mpg_uk"] = "l_per_100km",
                       passengers: int = 1) -> dict[str, float]:
    """Estimate the fuel used and fuel cost of a car trip, and the share per passenger.

    Args:
        distance_km: The trip distance in kilometres; must be non-negative.
        fuel_efficiency: The vehicle's fuel efficiency in the chosen unit; must be positive.
        price_per_liter: The fuel price per litre.
        efficiency_unit: Unit of fuel_efficiency: litres per 100 km, km per litre, US or UK miles per gallon.
        passengers: How many people share the cost; must be positive.
    """
    if fuel_efficiency <= 0 or distance_km < 0 or passengers < 1:
        raise ValueError("efficiency must be positive, distance non-negative and passengers at least 1")
    if efficiency_unit == "l_per_100km":
        liters = distance_km * fuel_efficiency / 100
    elif efficiency_unit == "km_per_l":
        liters = distance_km / fuel_efficiency
    else:
        gallon = 3.785411784 if efficiency_unit == "mpg_us" else 4.54609
        liters = distance_km / 1.609344 / fuel_efficiency * gallon
    cost = liters * price_per_liter
    return {"fuel_liters": round(liters, 2), "total_cost": round(cost, 2), "cost_per_person": round(cost / passengers, 2)}


@api(category=CAT, examples=[({"total": 120, "people": 4, "tip_percent": 15}, {"tip": 18.0, "total_with_tip": 138.0, "per_person": 34.5}),
                             ({"total": 100, "people": 3, "round_up": True}, {"tip": 0.0, "total_with_tip": 100.0, "per_person": 34.0})],
     raises=[{"total": 50, "people": 0}])
def split_bill(total: float, people: int, tip_percent: float = 0.0, round_up: bool = False) -> dict[str, float]:
    """Split a restaurant or trip bill evenly among people, adding an optional tip.

    Args:
        total: The bill amount before tip; must be non-negative.
        people: How many people share the bill; must be positive.
        tip_percent: Tip as a percentage of the bill.
        round_up: If true, round each person's share up to a whole currency unit.
    """
    if people < 1 or total < 0 or tip_percent < 0:
        raise ValueError("people must be positive, total and tip non-negative")
    tip = total * tip_percent / 100
    share = (total + tip) / people
    share = float(math.ceil(round(share, 6))) if round_up else round(share, 2)
    return {"tip": round(tip, 2), "total_with_tip": round(total + tip, 2), "per_person": share}


@api(category=CAT, examples=[({"daily_costs": {"lodging": 120, "food": 60, "transport": 20}, "days": 5},
                              {"subtotal": 1000.0, "contingency": 100.0, "total": 1100.0, "per_traveler": 1100.0}),
                             ({"daily_costs": {"lodging": 90, "food": 45}, "days": 7, "travelers": 2, "contingency_percent": 0, "fixed_costs": 800},
                              {"subtotal": 1745.0, "contingency": 0.0, "total": 1745.0, "per_traveler": 872.5})],
     raises=[{"daily_costs": {"food": 50}, "days": 0}])
def trip_budget(daily_costs: dict[str, float], days: int, travelers: int = 1, contingency_percent: float = 10.0,
                fixed_costs: float = 0.0) -> dict[str, float]:
    """Estimate a trip's total budget from daily costs, duration, one-off fixed costs and a contingency buffer.

    Args:
        daily_costs: Daily cost per category for the whole group, e.g. lodging and food.
        days: Number of days of the trip; must be positive.
        travelers: Number of travellers sharing the budget; must be positive.
        contingency_percent: Extra buffer added as a percentage of the subtotal.
        fixed_costs: One-off costs such as flights or visas for the whole group.
    """
    if days < 1 or travelers < 1 or contingency_percent < 0:
        raise ValueError("days and travelers must be positive, contingency non-negative")
    subtotal = sum(daily_costs.values()) * days + fixed_costs
    extra = subtotal * contingency_percent / 100
    return {"subtotal": round(subtotal, 2), "contingency": round(extra, 2), "total": round(subtotal + extra, 2),
            "per_traveler": round((subtotal + extra) / travelers, 2)}
