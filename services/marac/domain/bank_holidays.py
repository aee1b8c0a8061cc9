"""England & Wales bank holidays, computed offline for any year from 1978.

The standing rules (Banking and Financial Dealings Act 1971 and the royal proclamations
made under it, with the early May holiday from 1978):

* New Year's Day, 1 January; on a weekend it moves to the following Monday.
* Good Friday and Easter Monday (Easter by the anonymous Gregorian algorithm).
* Early May bank holiday: the first Monday of May.
* Spring bank holiday: the last Monday of May.
* Summer bank holiday: the last Monday of August.
* Christmas Day and Boxing Day; a holiday on a weekend moves to the next weekday that
  is not already a holiday (Christmas on Saturday: Monday 27 and Tuesday 28; Christmas
  on Sunday: Boxing Day Monday 26 and Christmas Tuesday 27; Christmas on Friday:
  Boxing Day Monday 28).

One-off changes by royal proclamation are listed in ``MOVED`` and ``ADDED``. When a new
one is proclaimed it is added here; a partnership that cannot wait for a release lists it
in its policy's ``extra_closure_dates``. Years before 1978 are refused rather than
answered wrongly.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

FIRST_SUPPORTED_YEAR = 1978

MOVED: dict[date, date] = {
    date(1995, 5, 1): date(1995, 5, 8),  # early May moved for VE Day 50
    date(2002, 5, 27): date(2002, 6, 4),  # spring moved for the Golden Jubilee
    date(2012, 5, 28): date(2012, 6, 4),  # spring moved for the Diamond Jubilee
    date(2020, 5, 4): date(2020, 5, 8),  # early May moved for VE Day 75
    date(2022, 5, 30): date(2022, 6, 2),  # spring moved for the Platinum Jubilee
}
"""Standing holidays moved by proclamation: the usual date -> the date it moved to."""

ADDED: frozenset[date] = frozenset(
    {
        date(1981, 7, 29),  # royal wedding
        date(1999, 12, 31),  # millennium
        date(2002, 6, 3),  # Golden Jubilee
        date(2011, 4, 29),  # royal wedding
        date(2012, 6, 5),  # Diamond Jubilee
        date(2022, 6, 3),  # Platinum Jubilee
        date(2022, 9, 19),  # state funeral of Queen Elizabeth II
        date(2023, 5, 8),  # coronation of King Charles III
    }
)
"""Extra one-off bank holidays proclaimed for a single year."""

_MONDAY = 0
_SATURDAY = 5


def easter_sunday(year: int) -> date:
    """Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """All England & Wales bank holidays in ``year``, one-off changes included."""
    if year < FIRST_SUPPORTED_YEAR:
        raise ValueError(
            f"bank holidays are computed from {FIRST_SUPPORTED_YEAR}; {year} is not supported"
        )
    easter = easter_sunday(year)
    standing = {
        _next_weekday_on_or_after(date(year, 1, 1)),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
        *_christmas_holidays(year),
    }
    moved = {MOVED.get(day, day) for day in standing}
    return frozenset(moved | {day for day in ADDED if day.year == year})


def is_bank_holiday(day: date) -> bool:
    """Whether ``day`` is an England & Wales bank holiday."""
    return day in bank_holidays(day.year)


def _next_weekday_on_or_after(day: date) -> date:
    while day.weekday() >= _SATURDAY:
        day += timedelta(days=1)
    return day


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(_MONDAY - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    next_month_first = date(year + month // 12, month % 12 + 1, 1)
    last = next_month_first - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - _MONDAY) % 7)


def _christmas_holidays(year: int) -> tuple[date, date]:
    """Christmas and Boxing Day, each moved to the next free weekday if on a weekend."""
    christmas = _next_weekday_on_or_after(date(year, 12, 25))
    boxing_day = _next_weekday_on_or_after(max(date(year, 12, 26), christmas + timedelta(days=1)))
    return christmas, boxing_day
