"""MAPPA review status and the reviews-due list a coordinator works through.

When a review falls due is the review clock's business (``schedule``: the last review, or
registration, plus the interval of the level in force, unless a panel chose the date); the
fold stores the result as ``NominalState.next_review_due``. This module classifies it:

- A review due *today* is ``due``, not overdue; one day past its due date it is
  ``overdue``. ``due`` covers today up to and including ``today + horizon_days``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.mappa.domain.nominal import NominalState


class ReviewStatus(StrEnum):
    """Where a nominal's next review stands on a given day."""

    OVERDUE = "overdue"
    DUE = "due"
    SCHEDULED = "scheduled"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class DueReview:
    """One line of the reviews-due list a MAPPA coordinator works through."""

    nominal_id: str
    area: str
    lead_agency: str
    level: int | None
    due_on: date
    status: ReviewStatus
    days_overdue: int


def review_status(state: NominalState, today: date, horizon_days: int) -> ReviewStatus:
    """Classify the nominal's next review on ``today``.

    ``not_applicable`` when management here has ended (ended or transferred out) or no
    review date exists yet (no level set).
    """
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be 0 or more, not {horizon_days}")
    due_on = state.next_review_due
    if not state.is_managed or due_on is None:
        return ReviewStatus.NOT_APPLICABLE
    if due_on < today:
        return ReviewStatus.OVERDUE
    if due_on <= today + timedelta(days=horizon_days):
        return ReviewStatus.DUE
    return ReviewStatus.SCHEDULED


def days_overdue(state: NominalState, today: date) -> int:
    """Whole days the review is past due on ``today``; 0 when not overdue or not applicable."""
    due_on = state.next_review_due
    if not state.is_managed or due_on is None or due_on >= today:
        return 0
    return (today - due_on).days


def reviews_due(
    states: Iterable[NominalState],
    today: date,
    within_days: int,
    area: str | None = None,
    lead_agency: str | None = None,
    overdue_only: bool = False,
) -> list[DueReview]:
    """List the overdue reviews and those due within ``within_days``, earliest due first.

    Ties on the due date are broken by nominal id so the list is stable.
    """
    wanted = {ReviewStatus.OVERDUE} if overdue_only else {ReviewStatus.OVERDUE, ReviewStatus.DUE}
    rows: list[DueReview] = []
    for state in states:
        if area is not None and state.area != area:
            continue
        if lead_agency is not None and state.lead_agency != lead_agency:
            continue
        status = review_status(state, today, within_days)
        if status not in wanted or state.next_review_due is None:
            continue
        rows.append(
            DueReview(
                nominal_id=state.nominal_id,
                area=state.area,
                lead_agency=state.lead_agency,
                level=state.level,
                due_on=state.next_review_due,
                status=status,
                days_overdue=days_overdue(state, today),
            )
        )
    return sorted(rows, key=lambda row: (row.due_on, row.nominal_id))
