"""MAPPA review dates: when the next review is due and which reviews need attention.

Definitions used throughout:

- The *review clock* starts at the later of the last review and the date the current level
  took effect. A level change therefore resets the clock from the day the new level took
  effect: a nominal moved up to level 3 is reviewed 8 weeks (by default) after the
  decision, not 16 weeks after the last level 2 review.
- An explicit next review date chosen by the panel (at a review or with a level decision)
  wins over the policy interval: the panel knows about a release date or a court hearing
  the interval does not.
- A review due *today* is ``due``, not overdue; one day past its due date it is
  ``overdue``. ``due`` covers today up to and including ``today + horizon_days``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from services.mappa.domain.policy_model import MappaPolicy

if TYPE_CHECKING:
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


def next_review_due(
    level: int,
    clock_from: date,
    policy: MappaPolicy,
    explicit_next: date | None = None,
) -> date:
    """Return the next review date for a nominal at ``level``.

    ``clock_from`` is the last review date, or the date the level was set when that is
    later (or when there has been no review). ``explicit_next``, a date the panel chose,
    wins when given.
    """
    if explicit_next is not None:
        return explicit_next
    return policy.review_intervals.for_level(level).after(clock_from)


def review_status(state: "NominalState", today: date, horizon_days: int) -> ReviewStatus:
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


def days_overdue(state: "NominalState", today: date) -> int:
    """Whole days the review is past due on ``today``; 0 when not overdue or not applicable."""
    due_on = state.next_review_due
    if not state.is_managed or due_on is None or due_on >= today:
        return 0
    return (today - due_on).days


def reviews_due(
    states: Iterable["NominalState"],
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
