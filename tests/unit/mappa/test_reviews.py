from dataclasses import replace
from datetime import date

import pytest

from services.mappa.domain.nominal import NominalState
from services.mappa.domain.policy_model import IntervalUnit, ReviewInterval, ReviewIntervals
from services.mappa.domain.reviews import (
    DueReview,
    ReviewStatus,
    days_overdue,
    review_status,
    reviews_due,
)
from services.mappa.domain.schedule import next_review_due
from tests.unit.mappa.builders import (
    POLICY,
    ended,
    level,
    registered,
    review,
    state_of,
    transferred,
)


@pytest.mark.parametrize(
    ("level_number", "clock_from", "expected"),
    [
        (3, date(2025, 1, 6), date(2025, 3, 3)),  # 8 weeks
        (2, date(2025, 1, 6), date(2025, 4, 28)),  # 16 weeks
        (1, date(2025, 1, 6), date(2026, 1, 6)),  # 12 calendar months
        (1, date(2024, 2, 29), date(2025, 2, 28)),  # no 29 Feb in 2025
        (3, date(2024, 12, 20), date(2025, 2, 14)),  # across the year end
    ],
)
def test_next_review_due_by_level(level_number: int, clock_from: date, expected: date) -> None:
    assert next_review_due(level_number, clock_from, POLICY) == expected


def test_level_1_in_weeks_when_the_partnership_counts_weeks() -> None:
    weekly = replace(
        POLICY,
        review_intervals=ReviewIntervals(
            level_1=ReviewInterval(52, IntervalUnit.WEEKS),
            level_2=ReviewInterval(16, IntervalUnit.WEEKS),
            level_3=ReviewInterval(8, IntervalUnit.WEEKS),
        ),
    )
    assert next_review_due(1, date(2025, 1, 6), weekly) == date(2026, 1, 5)


def test_explicit_next_review_set_by_the_panel_wins() -> None:
    assert next_review_due(2, date(2025, 1, 6), POLICY, date(2025, 2, 17)) == date(2025, 2, 17)


def test_level_outside_1_to_3_has_no_interval() -> None:
    with pytest.raises(ValueError, match="level must be 1, 2 or 3"):
        next_review_due(4, date(2025, 1, 6), POLICY)


def test_review_restarts_the_clock_from_the_review_date() -> None:
    state = state_of(registered(), level(2, date(2025, 1, 6)), review(date(2025, 2, 3)))
    # 3 February 2025 + 112 days = 26 May 2025
    assert state.next_review_due == date(2025, 5, 26)
    assert state.next_review_set_by_panel is False


def test_panel_date_at_a_review_wins_then_the_next_review_uses_the_interval() -> None:
    with_panel_date = state_of(
        registered(),
        level(2, date(2025, 1, 6)),
        review(date(2025, 2, 3), next_review_on=date(2025, 3, 17)),
    )
    assert with_panel_date.next_review_due == date(2025, 3, 17)
    assert with_panel_date.next_review_set_by_panel is True
    after_next_review = state_of(
        registered(),
        level(2, date(2025, 1, 6)),
        review(date(2025, 2, 3), next_review_on=date(2025, 3, 17)),
        review(date(2025, 3, 17)),
    )
    # 17 March 2025 + 112 days = 7 July 2025
    assert after_next_review.next_review_due == date(2025, 7, 7)
    assert after_next_review.next_review_set_by_panel is False


def test_panel_date_with_a_level_decision_wins() -> None:
    state = state_of(registered(), level(3, date(2025, 1, 6), next_review_on=date(2025, 1, 20)))
    assert state.next_review_due == date(2025, 1, 20)
    assert state.next_review_set_by_panel is True


# A level 2 nominal set on 6 January 2025 is due on 28 April 2025.
DUE_28_APRIL = state_of(registered(), level(2, date(2025, 1, 6)))


@pytest.mark.parametrize(
    ("today", "horizon", "status", "overdue_days"),
    [
        (date(2025, 3, 30), 28, ReviewStatus.SCHEDULED, 0),  # due 29 days away
        (date(2025, 3, 31), 28, ReviewStatus.DUE, 0),  # due exactly 28 days away
        (date(2025, 4, 27), 28, ReviewStatus.DUE, 0),
        (date(2025, 4, 28), 28, ReviewStatus.DUE, 0),  # due today is not overdue
        (date(2025, 4, 29), 28, ReviewStatus.OVERDUE, 1),  # one day late
        (date(2025, 5, 28), 28, ReviewStatus.OVERDUE, 30),
        (date(2025, 4, 28), 0, ReviewStatus.DUE, 0),
        (date(2025, 4, 27), 0, ReviewStatus.SCHEDULED, 0),
    ],
)
def test_review_status_boundaries(
    today: date, horizon: int, status: ReviewStatus, overdue_days: int
) -> None:
    assert review_status(DUE_28_APRIL, today, horizon) is status
    assert days_overdue(DUE_28_APRIL, today) == overdue_days


def test_status_values_are_the_documented_strings() -> None:
    assert [s.value for s in ReviewStatus] == ["overdue", "due", "scheduled", "not_applicable"]


@pytest.mark.parametrize(
    "state",
    [
        state_of(registered(), level(2, date(2025, 1, 6)), ended(date(2025, 2, 1))),
        state_of(
            registered(),
            level(2, date(2025, 1, 6)),
            transferred("out", "South", date(2025, 2, 1)),
        ),
        state_of(registered()),  # no level set yet, so no review date
    ],
)
def test_not_applicable_when_not_managed_or_no_level(state: NominalState) -> None:
    assert review_status(state, date(2025, 6, 1), 28) is ReviewStatus.NOT_APPLICABLE
    assert days_overdue(state, date(2025, 6, 1)) == 0


def test_negative_horizon_is_refused() -> None:
    with pytest.raises(ValueError, match="horizon_days"):
        review_status(DUE_28_APRIL, date(2025, 4, 1), -1)


def _nominal(nominal_id: str, area: str, lead: str, level_number: int, on: date) -> NominalState:
    return state_of(registered(nominal_id, area, on, lead), level(level_number, on))


# Due dates: A 3 Mar (L3), B 28 Apr (L2), C 3 Mar (L3), D 6 Jan 2026 (L1),
# E 28 Apr in the South (L2), F 31 Mar (L3, police lead), G ended.
NOMINALS = [
    _nominal("B", "North", "probation", 2, date(2025, 1, 6)),
    _nominal("D", "North", "probation", 1, date(2025, 1, 6)),
    _nominal("C", "North", "probation", 3, date(2025, 1, 6)),
    _nominal("A", "North", "probation", 3, date(2025, 1, 6)),
    _nominal("E", "South", "probation", 2, date(2025, 1, 6)),
    _nominal("F", "North", "police", 3, date(2025, 2, 3)),
    state_of(registered("G"), level(3, date(2025, 1, 6)), ended(date(2025, 2, 1))),
]


def test_reviews_due_lists_overdue_and_due_soon_by_due_date_then_id() -> None:
    rows = reviews_due(NOMINALS, date(2025, 4, 1), within_days=28)
    assert rows == [
        DueReview("A", "North", "probation", 3, date(2025, 3, 3), ReviewStatus.OVERDUE, 29),
        DueReview("C", "North", "probation", 3, date(2025, 3, 3), ReviewStatus.OVERDUE, 29),
        DueReview("F", "North", "police", 3, date(2025, 3, 31), ReviewStatus.OVERDUE, 1),
        DueReview("B", "North", "probation", 2, date(2025, 4, 28), ReviewStatus.DUE, 0),
        DueReview("E", "South", "probation", 2, date(2025, 4, 28), ReviewStatus.DUE, 0),
    ]


def test_reviews_due_window_excludes_reviews_beyond_it() -> None:
    rows = reviews_due(NOMINALS, date(2025, 4, 1), within_days=26)
    assert [row.nominal_id for row in rows] == ["A", "C", "F"]


def test_reviews_due_filters() -> None:
    today = date(2025, 4, 1)
    by_area = reviews_due(NOMINALS, today, 28, area="South")
    by_agency = reviews_due(NOMINALS, today, 28, lead_agency="police")
    overdue = reviews_due(NOMINALS, today, 28, overdue_only=True)
    assert [row.nominal_id for row in by_area] == ["E"]
    assert [row.nominal_id for row in by_agency] == ["F"]
    assert [row.nominal_id for row in overdue] == ["A", "C", "F"]
