"""Calendar arithmetic with one precise meaning of "N months" used by every MATAC rule.

"Within N months before a date" means on or after that date minus N calendar months,
keeping the day of the month and clamping it to the end of a shorter month (31 March
minus 1 month is 29 February in a leap year). Window, recency and serial rules all use
this, so an incident exactly 24 months old is both in the window and in the
"at most 24 months" recency band.
"""

from __future__ import annotations

import calendar
from datetime import date


def subtract_months(day: date, months: int) -> date:
    """The same day of the month `months` calendar months earlier, clamped to month end."""
    if months < 0:
        raise ValueError(f"months must not be negative, got {months}")
    index = day.year * 12 + (day.month - 1) - months
    year, month_index = divmod(index, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_since(earlier: date, later: date) -> int:
    """Calendar months from `earlier` to `later`, rounded up to a whole month.

    The smallest N with `earlier` on or after `later` minus N months: the same day is 0,
    exactly one month is 1, one month and one day is 2. Rounding up keeps "at most 1 month"
    meaning what it says.
    """
    if later < earlier:
        raise ValueError(f"{later.isoformat()} is before {earlier.isoformat()}")
    whole = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    return whole if subtract_months(later, whole) <= earlier else whole + 1


def age_on(date_of_birth: date, on: date) -> int:
    """Age in whole years on a date, rising on the birthday itself.

    Someone born on 29 February is counted a year older from 1 March in years without one.
    """
    if on < date_of_birth:
        raise ValueError(f"{on.isoformat()} is before the date of birth")
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)
