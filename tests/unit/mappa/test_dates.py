from datetime import date

import pytest

from services.mappa.domain.dates import add_months, add_weeks


@pytest.mark.parametrize(
    ("start", "weeks", "expected"),
    [
        (date(2025, 1, 6), 8, date(2025, 3, 3)),
        (date(2025, 1, 6), 16, date(2025, 4, 28)),
        (date(2025, 1, 6), 52, date(2026, 1, 5)),
        (date(2024, 2, 1), 4, date(2024, 2, 29)),
    ],
)
def test_add_weeks(start: date, weeks: int, expected: date) -> None:
    assert add_weeks(start, weeks) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 6), 12, date(2026, 1, 6)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2025, 3, 10), 24, date(2027, 3, 10)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected
