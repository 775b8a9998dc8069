"""Date arithmetic, durations and fixed-offset time zone conversion on ISO 8601 strings."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from api_registry.python_functions import api

CAT = "datetime"


def _parse_date(value: str, name: str = "date") -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an ISO date YYYY-MM-DD, got {value!r}") from exc


def _parse_offset(value: str) -> timezone:
    m = re.fullmatch(r"(?:UTC)?([+-])(\d{2}):?(\d{2})", value.strip())
    if value.strip() in ("Z", "UTC"):
        return timezone.utc
    if not m:
        raise ValueError(f"offset must look like +05:30 or -08:00, got {value!r}")
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes >= 60:
        raise ValueError("offset out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(delta if m.group(1) == "+" else -delta)


@api(category=CAT, examples=[({"start_date": "2024-01-01", "end_date": "2024-03-01"}, 60),
                             ({"start_date": "2024-01-01", "end_date": "2024-03-01", "inclusive": True}, 61),
                             ({"start_date": "2024-12-25", "end_date": "2024-12-01"}, -24)],
     raises=[{"start_date": "2024-02-30", "end_date": "2024-03-01"}])
def days_between_dates(start_date: str, end_date: str, inclusive: bool = False) -> int:
    """Count the days from a start date to an end date (negative if the end is earlier).

    Args:
        start_date: The start date in ISO format YYYY-MM-DD.
        end_date: The end date in ISO format YYYY-MM-DD.
        inclusive: If true, count both the start and end day (adds one day to the span).
    """
    days = (_parse_date(end_date, "end_date") - _parse_date(start_date, "start_date")).days
    if inclusive:
        days += 1 if days >= 0 else -1
    return days


@api(category=CAT, examples=[({"date": "2024-02-28", "days": 2}, "2024-03-01"), ({"date": "2023-12-31", "days": -1}, "2023-12-30"),
                             ({"date": "2024-01-15", "days": 3, "unit": "weeks"}, "2024-02-05")],
     raises=[{"date": "not-a-date", "days": 3}])
def add_days_to_date(date: str, days: int, unit: Literal["days", "weeks"] = "days") -> str:
    """Add (or subtract, if negative) a number of days or weeks to a date and return the resulting ISO date.

    Args:
        date: The starting date in ISO format YYYY-MM-DD.
        days: How many units to add; negative values go back in time.
        unit: Whether the amount is counted in days or weeks.
    """
    start = _parse_date(date)
    try:
        return (start + timedelta(days=days * (7 if unit == "weeks" else 1))).isoformat()
    except OverflowError as exc:
        raise ValueError("resulting date is outside years 1-9999") from exc


@api(category=CAT, examples=[({"date": "2024-01-31", "months": 1}, "2024-02-29"), ({"date": "2023-11-15", "months": 3}, "2024-02-15"),
                             ({"date": "2024-03-31", "months": -13}, "2023-02-28")],
     raises=[{"date": "2024-13-01", "months": 1}])
def add_months_to_date(date: str, months: int) -> str:
    """Add calendar months to a date, clamping the day to the last day of the target month when needed.

    Args:
        date: The starting date in ISO format YYYY-MM-DD.
        months: How many months to add; negative values go back in time.
    """
    start = _parse_date(date)
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    if year < 1 or year > 9999:
        raise ValueError("resulting date is out of range")
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return start.replace(year=year, month=month + 1, day=day).isoformat()


@api(category=CAT, examples=[({"date": "2024-07-04"}, "Thursday"), ({"date": "2000-01-01"}, "Saturday"),
                             ({"date": "1969-07-20", "short": True}, "Sun")],
     raises=[{"date": "2023-02-29"}])
def day_of_week(date: str, short: bool = False) -> str:
    """Return the weekday name of a date, e.g. Thursday for 2024-07-04.

    Args:
        date: The date in ISO format YYYY-MM-DD.
        short: If true, return the three-letter abbreviation (Mon, Tue, ...).
    """
    d = _parse_date(date)
    return (calendar.day_abbr if short else calendar.day_name)[d.weekday()]


@api(category=CAT, examples=[({"year": 2000}, True), ({"year": 1900}, False), ({"year": 2024}, True)], raises=[{"year": 0}])
def is_leap_year(year: int) -> bool:
    """Check whether a year is a leap year in the Gregorian calendar.

    Args:
        year: The year to check; must be 1 or later.
    """
    if year < 1:
        raise ValueError("year must be 1 or later")
    return calendar.isleap(year)


@api(category=CAT, examples=[({"birth_date": "1990-05-15", "on_date": "2024-05-14"}, {"years": 33, "months": 11, "days": 29, "total_days": 12418}),
                             ({"birth_date": "2000-02-29", "on_date": "2024-02-29"}, {"years": 24, "months": 0, "days": 0, "total_days": 8766})],
     raises=[{"birth_date": "2030-01-01", "on_date": "2024-01-01"}])
def compute_age(birth_date: str, on_date: str) -> dict[str, int]:
    """Compute a person's exact age in years, months and days on a given date, plus the total days lived.

    Args:
        birth_date: The date of birth in ISO format YYYY-MM-DD.
        on_date: The date on which the age is measured, in ISO format YYYY-MM-DD.
    """
    born, on = _parse_date(birth_date, "birth_date"), _parse_date(on_date, "on_date")
    if born > on:
        raise ValueError("birth_date is after on_date")
    years = on.year - born.year
    months = on.month - born.month
    days = on.day - born.day
    if days < 0:
        months -= 1
        prev_month = on.month - 1 or 12
        prev_year = on.year if on.month > 1 else on.year - 1
        days += calendar.monthrange(prev_year, prev_month)[1]
    if months < 0:
        years -= 1
        months += 12
    return {"years": years, "months": months, "days": days, "total_days": (on - born).days}


@api(category=CAT, examples=[({"seconds": 3725}, "1 hour, 2 minutes, 5 seconds"), ({"seconds": 3725, "style": "short"}, "1h 2m 5s"),
                             ({"seconds": 3725, "style": "clock"}, "01:02:05"), ({"seconds": 90061}, "1 day, 1 hour, 1 minute, 1 second")],
     raises=[{"seconds": -5}])
def format_duration(seconds: int, style: Literal["long", "short", "clock"] = "long") -> str:
    """Format a number of seconds as a human-readable duration such as "1 hour, 2 minutes, 5 seconds".

    Args:
        seconds: The non-negative duration in seconds.
        style: Output style: long words, short units (1h 2m 5s) or a clock (HH:MM:SS, hours may exceed 24).
    """
    if seconds < 0:
        raise ValueError("seconds must be non-negative")
    if style == "clock":
        h, rem = divmod(seconds, 3600)
        return f"{h:02d}:{rem // 60:02d}:{rem % 60:02d}"
    parts = []
    rem = seconds
    for label, short, size in (("day", "d", 86400), ("hour", "h", 3600), ("minute", "m", 60), ("second", "s", 1)):
        qty, rem = divmod(rem, size)
        if qty:
            parts.append(f"{qty}{short}" if style == "short" else f"{qty} {label}{'s' if qty != 1 else ''}")
    if not parts:
        return "0s" if style == "short" else "0 seconds"
    return " ".join(parts) if style == "short" else ", ".join(parts)


@api(category=CAT, examples=[({"duration": "1h30m"}, 5400), ({"duration": "2d 4h 15s"}, 187215), ({"duration": "45 minutes"}, 2700)],
     raises=[{"duration": "soon"}, {"duration": ""}])
def parse_duration_string(duration: str) -> int:
    """Parse a human duration such as "1h30m", "2d 4h 15s" or "45 minutes" into a total number of seconds.

    Args:
        duration: The duration text, made of number-unit pairs (units: w, d, h, m, s or their full names).
    """
    units = {"w": 604800, "week": 604800, "weeks": 604800, "d": 86400, "day": 86400, "days": 86400,
             "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "m": 60, "min": 60, "mins": 60,
             "minute": 60, "minutes": 60, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1}
    text = duration.strip().lower()
    pairs = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]+)", text)
    if not pairs or re.sub(r"(\d+(?:\.\d+)?)\s*([a-z]+)|[\s,]|and", "", text):
        raise ValueError(f"cannot parse duration {duration!r}")
    total = 0.0
    for qty, unit in pairs:
        if unit not in units:
            raise ValueError(f"unknown unit {unit!r}")
        total += float(qty) * units[unit]
    return int(round(total))


@api(category=CAT, examples=[({"local_datetime": "2024-03-10T14:30", "from_offset": "+00:00", "to_offset": "-05:00"}, "2024-03-10T09:30:00"),
                             ({"local_datetime": "2024-12-31T22:00:00", "from_offset": "-08:00", "to_offset": "+05:30"}, "2025-01-01T11:30:00")],
     raises=[{"local_datetime": "2024-03-10T14:30", "from_offset": "+25:00", "to_offset": "+00:00"},
             {"local_datetime": "yesterday", "from_offset": "+00:00", "to_offset": "+01:00"}])
def convert_between_utc_offsets(local_datetime: str, from_offset: str, to_offset: str) -> str:
    """Convert a wall-clock date and time from one fixed UTC offset to another, returning an ISO datetime without offset.

    Args:
        local_datetime: The local date and time in ISO format, e.g. 2024-03-10T14:30.
        from_offset: The UTC offset of the given time, e.g. +00:00, -05:00 or +05:30.
        to_offset: The UTC offset to convert to.
    """
    try:
        naive = datetime.fromisoformat(local_datetime)
    except ValueError as exc:
        raise ValueError(f"invalid datetime {local_datetime!r}") from exc
    src, dst = _parse_offset(from_offset), _parse_offset(to_offset)
    converted = naive.replace(tzinfo=src).astimezone(dst)
    return converted.replace(tzinfo=None).isoformat()


@api(category=CAT, examples=[({"start_date": "2024-07-01", "end_date": "2024-07-08"}, 5),
                             ({"start_date": "2024-07-01", "end_date": "2024-07-08", "holidays": ["2024-07-04"]}, 4),
                             ({"start_date": "2024-01-01", "end_date": "2024-02-01"}, 23)],
     raises=[{"start_date": "2024-07-08", "end_date": "2024-07-01"}])
def business_days_between(start_date: str, end_date: str, holidays: list[str] | None = None) -> int:
    """Count working days (Monday to Friday, excluding given holidays) from the start date up to but not including the end date.

    Args:
        start_date: The first day counted, in ISO format YYYY-MM-DD.
        end_date: The day the count stops before, in ISO format YYYY-MM-DD; must not precede start_date.
        holidays: Optional ISO dates that are not working days.
    """
    start, end = _parse_date(start_date, "start_date"), _parse_date(end_date, "end_date")
    if end < start:
        raise ValueError("end_date must not be before start_date")
    off = {_parse_date(h, "holiday") for h in (holidays or [])}
    weeks, extra = divmod((end - start).days, 7)
    count = weeks * 5 + sum(1 for i in range(extra) if (start.weekday() + i) % 7 < 5)
    return count - sum(1 for h in off if start <= h < end and h.weekday() < 5)
