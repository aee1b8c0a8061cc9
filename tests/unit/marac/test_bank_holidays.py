"""England & Wales bank holidays, checked against the published lists written out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from services.marac.domain.bank_holidays import bank_holidays, easter_sunday, is_bank_holiday


def test_2022_with_the_jubilee_and_the_state_funeral() -> None:
    assert bank_holidays(2022) == {
        date(2022, 1, 3),  # New Year's Day (Saturday) substitute
        date(2022, 4, 15),  # Good Friday
        date(2022, 4, 18),  # Easter Monday
        date(2022, 5, 2),  # early May
        date(2022, 6, 2),  # spring, moved from Monday 30 May
        date(2022, 6, 3),  # Platinum Jubilee
        date(2022, 8, 29),  # summer
        date(2022, 9, 19),  # state funeral
        date(2022, 12, 26),  # Boxing Day
        date(2022, 12, 27),  # Christmas Day (Sunday) substitute
    }


def test_2023_with_the_coronation() -> None:
    assert bank_holidays(2023) == {
        date(2023, 1, 2),  # New Year's Day (Sunday) substitute
        date(2023, 4, 7),
        date(2023, 4, 10),
        date(2023, 5, 1),
        date(2023, 5, 8),  # coronation
        date(2023, 5, 29),
        date(2023, 8, 28),
        date(2023, 12, 25),
        date(2023, 12, 26),
    }


def test_2026() -> None:
    assert bank_holidays(2026) == {
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 28),  # Boxing Day (Saturday) substitute
    }


def test_2020_early_may_moved_to_friday_8_may() -> None:
    holidays = bank_holidays(2020)
    assert date(2020, 5, 8) in holidays
    assert date(2020, 5, 4) not in holidays
    assert len(holidays) == 8


def test_2012_spring_moved_and_diamond_jubilee() -> None:
    holidays = bank_holidays(2012)
    assert {date(2012, 6, 4), date(2012, 6, 5)} <= holidays
    assert date(2012, 5, 28) not in holidays
    assert len(holidays) == 9


def test_2002_spring_moved_and_golden_jubilee() -> None:
    holidays = bank_holidays(2002)
    assert {date(2002, 6, 3), date(2002, 6, 4)} <= holidays
    assert date(2002, 5, 27) not in holidays
    assert len(holidays) == 9


def test_one_off_days() -> None:
    assert is_bank_holiday(date(2011, 4, 29))  # royal wedding
    assert is_bank_holiday(date(1999, 12, 31))  # millennium
    assert is_bank_holiday(date(1995, 5, 8))  # VE Day 50
    assert not is_bank_holiday(date(1995, 5, 1))


def test_christmas_on_saturday_moves_both_days() -> None:
    holidays = bank_holidays(2021)
    assert {date(2021, 12, 27), date(2021, 12, 28)} <= holidays
    assert date(2021, 12, 25) not in holidays


def test_christmas_on_friday_moves_boxing_day_to_monday() -> None:
    assert {date(2026, 12, 25), date(2026, 12, 28)} <= bank_holidays(2026)
    assert date(2026, 12, 26) not in bank_holidays(2026)


def test_new_year_on_saturday_moves_to_monday_3_january() -> None:
    assert date(2022, 1, 3) in bank_holidays(2022)
    assert date(2022, 1, 1) not in bank_holidays(2022)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2008, date(2008, 3, 23)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),  # the latest possible date
        (2285, date(2285, 3, 22)),  # the earliest possible date
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_years_before_1978_are_refused() -> None:
    with pytest.raises(ValueError, match="1977"):
        bank_holidays(1977)
