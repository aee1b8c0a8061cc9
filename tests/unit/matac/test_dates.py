from datetime import date

import pytest

from services.matac.domain.dates import age_on, months_since, subtract_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 6, 15), 0, date(2024, 6, 15)),
        (date(2024, 6, 15), 1, date(2024, 5, 15)),
        (date(2024, 1, 15), 1, date(2023, 12, 15)),
        (date(2024, 6, 15), 24, date(2022, 6, 15)),
        (date(2024, 6, 15), 36, date(2021, 6, 15)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),  # clamped, leap year
        (date(2023, 3, 31), 1, date(2023, 2, 28)),  # clamped, common year
        (date(2024, 5, 31), 1, date(2024, 4, 30)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
    ],
)
def test_subtract_months_keeps_the_day_clamped_to_month_end(day, months, expected):
    assert subtract_months(day, months) == expected


def test_subtract_months_rejects_negative_months():
    with pytest.raises(ValueError, match="must not be negative"):
        subtract_months(date(2024, 6, 15), -1)


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        (date(2024, 6, 15), date(2024, 6, 15), 0),
        (date(2024, 6, 14), date(2024, 6, 15), 1),  # one day rounds up to a month
        (date(2024, 5, 15), date(2024, 6, 15), 1),  # exactly one month
        (date(2024, 5, 14), date(2024, 6, 15), 2),  # one month and one day
        (date(2022, 6, 15), date(2024, 6, 15), 24),
        (date(2022, 6, 14), date(2024, 6, 15), 25),
        (date(2024, 2, 29), date(2024, 3, 31), 1),  # 31 March minus 1 month is 29 Feb
        (date(2024, 2, 28), date(2024, 3, 31), 2),
        (date(2024, 1, 31), date(2024, 2, 29), 1),
    ],
)
def test_months_since_rounds_up_to_whole_calendar_months(earlier, later, expected):
    assert months_since(earlier, later) == expected


def test_months_since_rejects_a_later_date_before_the_earlier():
    with pytest.raises(ValueError, match="is before"):
        months_since(date(2024, 6, 15), date(2024, 6, 14))


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        (date(2008, 6, 15), date(2024, 6, 14), 15),
        (date(2008, 6, 15), date(2024, 6, 15), 16),  # birthday itself
        (date(2008, 2, 29), date(2023, 2, 28), 14),  # leap-day birthday, common year
        (date(2008, 2, 29), date(2023, 3, 1), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),
    ],
)
def test_age_on_counts_whole_years_rising_on_the_birthday(born, on, expected):
    assert age_on(born, on) == expected
