"""Calendar arithmetic for review intervals.

Kept apart from the policy so the one subtle choice, how a month is added to a date that
does not exist in the target month, lives in one place and is tested on its own.
"""

import calendar
from datetime import date, timedelta


def add_weeks(start: date, weeks: int) -> date:
    """Return the date ``weeks`` whole weeks after ``start`` (same weekday)."""
    return start + timedelta(weeks=weeks)


def add_months(start: date, months: int) -> date:
    """Return the same day of the month ``months`` calendar months after ``start``.

    When that day does not exist in the target month the last day of that month is used,
    so 31 January + 1 month is 28 (or 29) February and 29 February + 12 months is
    28 February. A review is therefore never pushed into the following month.
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))
