"""Calendar-month arithmetic shared by the repeat and escalation windows.

The rule, used everywhere in MARAC: adding N months keeps the day of the month, clamped to
the last day of a shorter month. So 31 January + 1 month is 28 (or 29) February, and
29 February 2024 + 12 months is 28 February 2025. The MATAC policy uses the same rule.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months (negative moves back), clamped."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month_zero_based = divmod(month_index, 12)
    month = month_zero_based + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))
