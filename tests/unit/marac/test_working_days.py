"""Working days, the agenda cut-off and the minutes deadline across bank holidays."""

from __future__ import annotations

from datetime import date

import pytest

from services.marac.domain.working_days import (
    add_working_days,
    agenda_cutoff,
    is_working_day,
    minutes_due,
    subtract_working_days,
)


def test_weekdays_weekends_and_bank_holidays() -> None:
    assert is_working_day(date(2026, 4, 2))  # Thursday
    assert not is_working_day(date(2026, 4, 3))  # Good Friday
    assert not is_working_day(date(2026, 4, 4))  # Saturday
    assert not is_working_day(date(2026, 4, 5))  # Sunday
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert is_working_day(date(2026, 4, 7))


def test_extra_closure_dates_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 29), extra_holidays={date(2026, 12, 29)})
    assert is_working_day(date(2026, 12, 29))


def test_cutoff_five_working_days_before_a_meeting_after_easter() -> None:
    # Meeting Thu 9 Apr 2026, counting back: Wed 8 (1), Tue 7 (2), Mon 6 Easter Monday,
    # Sun 5, Sat 4, Fri 3 Good Friday, Thu 2 (3), Wed 1 (4), Tue 31 Mar (5).
    assert agenda_cutoff(date(2026, 4, 9), 5) == date(2026, 3, 31)


def test_cutoff_in_an_ordinary_week() -> None:
    # Tue 10 Mar 2026: Mon 9, Fri 6, Thu 5, Wed 4, Tue 3.
    assert agenda_cutoff(date(2026, 3, 10), 5) == date(2026, 3, 3)


def test_cutoff_moves_back_for_a_local_closure() -> None:
    assert agenda_cutoff(date(2026, 3, 10), 5, {date(2026, 3, 5)}) == date(2026, 3, 2)


def test_minutes_due_three_working_days_after_a_meeting_before_easter() -> None:
    # Meeting Thu 2 Apr 2026: Fri 3 and Mon 6 are bank holidays, so Tue 7 (1), Wed 8 (2),
    # Thu 9 (3).
    assert minutes_due(date(2026, 4, 2), 3) == date(2026, 4, 9)


def test_add_working_days_over_christmas_and_local_closures() -> None:
    # Thu 24 Dec 2026 + 1: Fri 25 Christmas, weekend, Mon 28 Boxing Day substitute.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    closures = {date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)}
    # Then Fri 1 Jan 2027 is New Year's Day and 2-3 Jan a weekend.
    assert add_working_days(date(2026, 12, 24), 1, closures) == date(2027, 1, 4)


def test_counting_from_a_weekend_never_counts_the_start_day() -> None:
    assert subtract_working_days(date(2026, 4, 11), 1) == date(2026, 4, 10)
    assert add_working_days(date(2026, 4, 11), 1) == date(2026, 4, 13)


def test_zero_working_days_is_the_day_itself() -> None:
    assert add_working_days(date(2026, 4, 4), 0) == date(2026, 4, 4)
    assert subtract_working_days(date(2026, 4, 4), 0) == date(2026, 4, 4)


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 4, 1), -1)
    with pytest.raises(ValueError, match="negative"):
        subtract_working_days(date(2026, 4, 1), -1)
