"""Calendar-month arithmetic: the day is kept, clamped to a shorter month's end."""

from __future__ import annotations

from datetime import date

import pytest

from services.marac.domain.months import add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 3, 1), 12, date(2026, 3, 1)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2026, 3, 10), -12, date(2025, 3, 10)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 2, 28), -12, date(2024, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected
