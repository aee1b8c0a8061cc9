"""The review clock: next review = last review (or registration) + the level's interval.

A level change does not restart the clock; it changes the interval counted from the last
review. Hand-worked dates (test policy: level 3 every 8 weeks, level 2 every 16 weeks,
level 1 every 12 calendar months):

- 3 June 2024 + 8 weeks = 29 July 2024; 6 May 2025 is 281 days after that.
- 6 January 2025 + 8 weeks = 3 March 2025; + 16 weeks = 28 April 2025.
"""

from datetime import date

import pytest

from services.mappa.domain.reviews import ReviewStatus, days_overdue, review_status, reviews_due
from services.mappa.domain.schedule import clock_start
from tests.unit.mappa.builders import level, registered, review, state_of


def test_clock_starts_at_the_last_review_else_at_registration() -> None:
    assert clock_start(None, date(2025, 1, 6)) == date(2025, 1, 6)
    assert clock_start(date(2025, 2, 3), date(2025, 1, 6)) == date(2025, 2, 3)


# The audit's case: level 1, last reviewed 3 June 2024, raised to level 3 on 6 May 2025.
RAISED_AFTER_11_MONTHS = state_of(
    registered(on=date(2024, 4, 1)),
    level(1, date(2024, 4, 1)),
    review(date(2024, 6, 3)),
    level(3, date(2025, 5, 6)),
)


def test_raising_the_level_counts_the_new_interval_from_the_last_review() -> None:
    state = RAISED_AFTER_11_MONTHS
    # Not 6 May + 8 weeks (1 July 2025): 8 weeks after the last review.
    assert state.next_review_due == date(2024, 7, 29)
    assert state.next_review_set_by_panel is False
    assert review_status(state, date(2025, 5, 6), 28) is ReviewStatus.OVERDUE
    assert days_overdue(state, date(2025, 5, 6)) == 281


def test_the_raised_nominal_heads_the_overdue_list() -> None:
    overdue_by_8_days = state_of(
        registered("N2", on=date(2025, 1, 6)), level(2, date(2025, 1, 6))
    )  # due 28 April 2025
    rows = reviews_due([overdue_by_8_days, RAISED_AFTER_11_MONTHS], date(2025, 5, 6), 28)
    assert [(r.nominal_id, r.level, r.due_on, r.status, r.days_overdue) for r in rows] == [
        ("N1", 3, date(2024, 7, 29), ReviewStatus.OVERDUE, 281),
        ("N2", 2, date(2025, 4, 28), ReviewStatus.OVERDUE, 8),
    ]


def test_never_reviewed_counts_from_registration_not_from_the_level_decision() -> None:
    state = state_of(registered(on=date(2025, 1, 6)), level(2, date(2025, 3, 3)))
    assert state.next_review_due == date(2025, 4, 28)  # not 3 March + 16 weeks (23 June)


def test_level_set_on_the_registration_day_counts_from_it() -> None:
    state = state_of(registered(on=date(2025, 1, 6)), level(3, date(2025, 1, 6)))
    assert state.next_review_due == date(2025, 3, 3)


@pytest.mark.parametrize(
    ("raised_on", "today", "status", "overdue_days"),
    [
        # Raised on the day the new interval runs out: due that very day, not overdue.
        (date(2025, 3, 3), date(2025, 3, 3), ReviewStatus.DUE, 0),
        # Raised the day after: overdue by one day at once.
        (date(2025, 3, 4), date(2025, 3, 4), ReviewStatus.OVERDUE, 1),
        # Raised the day before: due tomorrow (scheduled, with no look-ahead).
        (date(2025, 3, 2), date(2025, 3, 2), ReviewStatus.SCHEDULED, 0),
    ],
)
def test_raising_the_level_at_the_new_interval_boundary(
    raised_on: date, today: date, status: ReviewStatus, overdue_days: int
) -> None:
    state = state_of(
        registered(),
        level(2, date(2025, 1, 6)),
        review(date(2025, 1, 6)),
        level(3, raised_on),
    )
    assert state.next_review_due == date(2025, 3, 3)
    assert review_status(state, today, 0) is status
    assert days_overdue(state, today) == overdue_days


def test_lowering_the_level_lengthens_the_interval_from_the_last_review() -> None:
    state = state_of(
        registered(),
        level(3, date(2025, 1, 6)),
        review(date(2025, 2, 3)),
        level(1, date(2025, 3, 10)),
    )
    assert state.next_review_due == date(2026, 2, 3)  # 3 Feb + 12 months, not 10 March 2026


def test_the_panel_date_given_with_the_level_wins() -> None:
    state = state_of(
        registered(),
        level(1, date(2025, 1, 6)),
        review(date(2025, 2, 3)),
        level(3, date(2025, 6, 2), next_review_on=date(2025, 6, 16)),
    )
    assert state.next_review_due == date(2025, 6, 16)
    assert state.next_review_set_by_panel is True


def test_a_level_change_without_a_panel_date_replaces_the_date_a_review_panel_chose() -> None:
    state = state_of(
        registered(),
        level(2, date(2025, 1, 6)),
        review(date(2025, 2, 3), next_review_on=date(2025, 9, 1)),
        level(3, date(2025, 2, 17)),
    )
    assert state.next_review_due == date(2025, 3, 31)  # 3 Feb + 8 weeks
    assert state.next_review_set_by_panel is False


def test_a_review_after_the_level_change_restarts_the_clock_at_the_new_interval() -> None:
    state = state_of(
        registered(),
        level(1, date(2025, 1, 6)),
        review(date(2025, 2, 3)),
        level(3, date(2025, 6, 2)),
        review(date(2025, 6, 9)),
    )
    assert state.next_review_due == date(2025, 8, 4)  # 9 June + 8 weeks
