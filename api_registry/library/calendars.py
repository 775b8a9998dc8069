"""Calendar computations: Easter, holidays, nth weekdays, month grids, quarters and ISO weeks."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from datetime import date as _Date  # parameters named `date` shadow the class
from typing import Literal

from api_registry.python_functions import api

CAT = "calendar"

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _check_year_month(year: int, month: int) -> None:
    if not 1 <= year <= 9999:
        raise ValueError("year must be between 1 and 9999")
    if not 1 <= month <= 12:
        raise ValueError("month must be between 1 and 12")


def _easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _nth_weekday(year: int, month: int, weekday: str, n: int) -> date:
    wd = _WEEKDAYS.index(weekday)
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1) if date(year, month, d).weekday() == wd]
    if n == 0 or abs(n) > len(days):
        raise ValueError(f"{calendar.month_name[month]} {year} has no occurrence number {n} of {weekday}")
    return date(year, month, days[n - 1] if n > 0 else days[n])


@api(category=CAT, examples=[({"year": 2024}, "2024-03-31"), ({"year": 2025}, "2025-04-20"), ({"year": 2019, "tradition": "orthodox"}, "2019-04-28")],
     raises=[{"year": 1500}])
def easter_sunday(year: int, tradition: Literal["western", "orthodox"] = "western") -> str:
    """Compute the date of Easter Sunday for a year, in the Western (Gregorian) or Orthodox (Julian, given as a Gregorian date) tradition.

    Args:
        year: The year, from 1583 to 4099.
        tradition: Western churches (Gregorian computus) or Eastern Orthodox churches (Julian computus).
    """
    if not 1583 <= year <= 4099:
        raise ValueError("year must be between 1583 and 4099")
    if tradition == "western":
        return _easter(year).isoformat()
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian = date(year, month, day + 1)
    offset = year // 100 - year // 400 - 2
    return (julian + timedelta(days=offset)).isoformat()


@api(category=CAT, examples=[({"year": 2024, "month": 11, "weekday": "thursday", "n": 4}, "2024-11-28"),
                             ({"year": 2024, "month": 5, "weekday": "monday", "n": -1}, "2024-05-27"),
                             ({"year": 2025, "month": 1, "weekday": "friday", "n": 1}, "2025-01-03")],
     raises=[{"year": 2023, "month": 2, "weekday": "monday", "n": 5}, {"year": 2024, "month": 13, "weekday": "monday", "n": 1}])
def nth_weekday_of_month(year: int, month: int, weekday: Weekday, n: int) -> str:
    """Find the date of the n-th given weekday in a month, e.g. the 4th Thursday of November; negative n counts from the end (-1 = last).

    Args:
        year: The year.
        month: The month, 1 to 12.
        weekday: The day of the week to find.
        n: Which occurrence: 1 to 5 from the start, or -1 to -5 from the end.
    """
    _check_year_month(year, month)
    return _nth_weekday(year, month, weekday, n).isoformat()


@api(category=CAT, examples=[({"year": 2024, "month": 2}, 29), ({"year": 2023, "month": 2}, 28), ({"year": 2024, "month": 9}, 30)],
     raises=[{"year": 2024, "month": 13}])
def days_in_month(year: int, month: int) -> int:
    """Return the number of days in a month of a given year, accounting for leap years.

    Args:
        year: The year.
        month: The month, 1 to 12.
    """
    _check_year_month(year, month)
    return calendar.monthrange(year, month)[1]


@api(category=CAT, examples=[({"year": 2021, "month": 2}, [[1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13, 14], [15, 16, 17, 18, 19, 20, 21], [22, 23, 24, 25, 26, 27, 28]]),
                             ({"year": 2024, "month": 6, "first_weekday": "sunday"},
                              [[0, 0, 0, 0, 0, 0, 1], [2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21, 22],
                               [23, 24, 25, 26, 27, 28, 29], [30, 0, 0, 0, 0, 0, 0]])],
     raises=[{"year": 2024, "month": 0}])
def month_calendar_grid(year: int, month: int, first_weekday: Literal["monday", "sunday"] = "monday") -> list[list[int]]:
    """Lay out a month as a grid of weeks (rows of 7 day numbers, 0 for days outside the month), as printed on a wall calendar.

    Args:
        year: The year.
        month: The month, 1 to 12.
        first_weekday: The day each week row starts on.
    """
    _check_year_month(year, month)
    cal = calendar.Calendar(firstweekday=0 if first_weekday == "monday" else 6)
    return cal.monthdayscalendar(year, month)


@api(category=CAT, examples=[({"date": "2024-05-15"}, {"quarter": 2, "fiscal_year": 2024, "quarter_start": "2024-04-01", "quarter_end": "2024-06-30"}),
                             ({"date": "2024-05-15", "fiscal_year_start_month": 10}, {"quarter": 3, "fiscal_year": 2024, "quarter_start": "2024-04-01", "quarter_end": "2024-06-30"}),
                             ({"date": "2024-11-02", "fiscal_year_start_month": 4}, {"quarter": 3, "fiscal_year": 2025, "quarter_start": "2024-10-01", "quarter_end": "2024-12-31"})],
     raises=[{"date": "2024-05-15", "fiscal_year_start_month": 13}, {"date": "15/05/2024"}])
def fiscal_quarter(date: str, fiscal_year_start_month: int = 1) -> dict[str, int | str]:
    """Determine the fiscal quarter and fiscal year of a date, where the fiscal year is named after the calendar year in which it ends.

    Args:
        date: The date in ISO format YYYY-MM-DD.
        fiscal_year_start_month: The month (1-12) in which the fiscal year begins; 1 means the calendar year.
    """
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError("fiscal_year_start_month must be between 1 and 12")
    try:
        d = _Date.fromisoformat(date)
    except ValueError as exc:
        raise ValueError(f"invalid ISO date {date!r}") from exc
    offset = (d.month - fiscal_year_start_month) % 12
    quarter = offset // 3 + 1
    fy = d.year + (1 if fiscal_year_start_month > 1 and d.month >= fiscal_year_start_month else 0)
    start_index = d.year * 12 + d.month - 1 - offset % 3
    sy, sm = divmod(start_index, 12)
    ey, em = divmod(start_index + 2, 12)
    start = _Date(sy, sm + 1, 1)
    end = _Date(ey, em + 1, calendar.monthrange(ey, em + 1)[1])
    return {"quarter": quarter, "fiscal_year": fy, "quarter_start": start.isoformat(), "quarter_end": end.isoformat()}



@api(category=CAT, examples=[({"date": "2021-01-03"}, {"iso_year": 2020, "week": 53, "weekday": 7, "week_start": "2020-12-28"}),
                             ({"date": "2024-07-04"}, {"iso_year": 2024, "week": 27, "weekday": 4, "week_start": "2024-07-01"})],
     raises=[{"date": "2024-07-32"}])
def iso_week_info(date: str) -> dict[str, int | str]:
    """Return the ISO 8601 week-numbering year, week number and weekday (1 = Monday) of a date, plus the Monday starting that week.

    Args:
        date: The date in ISO format YYYY-MM-DD.
    """
    try:
        d = _Date.fromisoformat(date)
    except ValueError as exc:
        raise ValueError(f"invalid ISO date {date!r}") from exc
    y, w, wd = d.isocalendar()
    return {"iso_year": y, "week": w, "weekday": wd, "week_start": (d - timedelta(days=wd - 1)).isoformat()}


Holiday = Literal["new_years_day", "mlk_day_us", "presidents_day_us", "good_friday", "easter_sunday", "easter_monday",
                  "mothers_day_us", "memorial_day_us", "independence_day_us", "labor_day_us", "thanksgiving_us",
                  "christmas_day", "boxing_day"]


@api(category=CAT, examples=[({"holiday": "thanksgiving_us", "year": 2024}, "2024-11-28"), ({"holiday": "good_friday", "year": 2025}, "2025-04-18"),
                             ({"holiday": "memorial_day_us", "year": 2024}, "2024-05-27"), ({"holiday": "christmas_day", "year": 2030}, "2030-12-25")],
     raises=[{"holiday": "easter_monday", "year": 1200}])
def holiday_date(holiday: Holiday, year: int) -> str:
    """Compute the date of a common public holiday in a given year (fixed-date, nth-weekday and Easter-based holidays).

    Args:
        holiday: The holiday; names ending in _us follow United States federal rules.
        year: The year, from 1583 to 4099.
    """
    if not 1583 <= year <= 4099:
        raise ValueError("year must be between 1583 and 4099")
    fixed = {"new_years_day": (1, 1), "independence_day_us": (7, 4), "christmas_day": (12, 25), "boxing_day": (12, 26)}
    if holiday in fixed:
        return _Date(year, *fixed[holiday]).isoformat()
    nth = {"mlk_day_us": (1, "monday", 3), "presidents_day_us": (2, "monday", 3), "mothers_day_us": (5, "sunday", 2),
           "memorial_day_us": (5, "monday", -1), "labor_day_us": (9, "monday", 1), "thanksgiving_us": (11, "thursday", 4)}
    if holiday in nth:
        month, wd, n = nth[holiday]
        return _nth_weekday(year, month, wd, n).isoformat()
    shift = {"good_friday": -2, "easter_sunday": 0, "easter_monday": 1}[holiday]
    return (_easter(year) + timedelta(days=shift)).isoformat()


@api(category=CAT, examples=[({"year": 2024, "month": 9, "weekday": "monday"}, 5), ({"year": 2024, "month": 2, "weekday": "thursday"}, 5),
                             ({"year": 2023, "month": 2, "weekday": "sunday"}, 4)],
     raises=[{"year": 2024, "month": -1, "weekday": "friday"}])
def count_weekday_in_month(year: int, month: int, weekday: Weekday) -> int:
    """Count how many times a given weekday occurs in a month (4 or 5).

    Args:
        year: The year.
        month: The month, 1 to 12.
        weekday: The day of the week to count.
    """
    _check_year_month(year, month)
    wd = _WEEKDAYS.index(weekday)
    return sum(1 for d in range(1, calendar.monthrange(year, month)[1] + 1) if _Date(year, month, d).weekday() == wd)
