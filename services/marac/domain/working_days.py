"""Working-day arithmetic for MARAC deadlines (agenda cut-off, minutes due).

A working day is Monday to Friday that is neither an England & Wales bank holiday nor one
of the partnership's extra closure dates (from policy). Counting "N working days before"
a date steps back day by day and counts only working days, so the date itself is never
counted and it need not be a working day.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from services.marac.domain.bank_holidays import is_bank_holiday

_SATURDAY = 5
_NO_EXTRA_HOLIDAYS: frozenset[date] = frozenset()


def is_working_day(day: date, extra_holidays: Collection[date] = _NO_EXTRA_HOLIDAYS) -> bool:
    """Whether ``day`` is a weekday that is not a bank holiday or an extra closure."""
    return day.weekday() < _SATURDAY and not is_bank_holiday(day) and day not in extra_holidays


def add_working_days(
    day: date, count: int, extra_holidays: Collection[date] = _NO_EXTRA_HOLIDAYS
) -> date:
    """The date ``count`` working days after ``day``; ``count`` 0 returns ``day`` itself."""
    return _step_working_days(day, count, 1, extra_holidays)


def subtract_working_days(
    day: date, count: int, extra_holidays: Collection[date] = _NO_EXTRA_HOLIDAYS
) -> date:
    """The date ``count`` working days before ``day``; ``count`` 0 returns ``day`` itself."""
    return _step_working_days(day, count, -1, extra_holidays)


def agenda_cutoff(
    meeting_date: date, working_days: int, extra_holidays: Collection[date] = _NO_EXTRA_HOLIDAYS
) -> date:
    """Last day on which referrals make the agenda: the meeting date minus N working days."""
    return subtract_working_days(meeting_date, working_days, extra_holidays)


def minutes_due(
    meeting_date: date, working_days: int, extra_holidays: Collection[date] = _NO_EXTRA_HOLIDAYS
) -> date:
    """The date by which minutes must go out: the meeting date plus N working days."""
    return add_working_days(meeting_date, working_days, extra_holidays)


def _step_working_days(
    day: date, count: int, direction: int, extra_holidays: Collection[date]
) -> date:
    if count < 0:
        raise ValueError(f"working-day count must not be negative, got {count}")
    step = timedelta(days=direction)
    remaining = count
    while remaining:
        day += step
        if is_working_day(day, extra_holidays):
            remaining -= 1
    return day
