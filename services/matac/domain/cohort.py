"""The MATAC cohort measure: how far perpetrators' scores fell between entry and exit.

Forces report the mean percentage fall across the cohort (Cleveland: 13% across 43);
the change in the summed score is reported alongside because a mean of percentages
lets a small score halving weigh as much as a large one. A perpetrator still in the
cohort is measured with their current score. Percentages are rounded half up to two
decimal places, after averaging, never before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class CohortEntry:
    """A perpetrator's time in the cohort; `latest_score` is the exit score, or the
    current score while `exited_on` is None."""

    person_id: str
    entered_on: date
    entry_score: Decimal
    latest_score: Decimal
    exited_on: date | None = None


@dataclass(frozen=True)
class ScoreChange:
    """Change for one member; negative is a fall. Percent is None when entry score is 0."""

    person_id: str
    entry_score: Decimal
    latest_score: Decimal
    change: Decimal
    percent_change: Decimal | None
    exited: bool


@dataclass(frozen=True)
class CohortMeasure:
    """The cohort's changes; means are over members with a percentage (entry score > 0)."""

    changes: tuple[ScoreChange, ...]
    members: int
    members_with_percent: int
    mean_percent_change: Decimal | None
    mean_percent_fall: Decimal | None
    total_entry_score: Decimal
    total_latest_score: Decimal
    total_change: Decimal
    total_percent_change: Decimal | None


def score_change(entry: CohortEntry) -> ScoreChange:
    """Absolute and percentage change for one member, after checking the entry is sane."""
    _validate(entry)
    change = entry.latest_score - entry.entry_score
    percent = None if entry.entry_score == 0 else _percent(change, entry.entry_score)
    return ScoreChange(
        person_id=entry.person_id,
        entry_score=entry.entry_score,
        latest_score=entry.latest_score,
        change=change,
        percent_change=None if percent is None else _round(percent),
        exited=entry.exited_on is not None,
    )


def cohort_measure(entries: Iterable[CohortEntry]) -> CohortMeasure:
    """Each member's change, the mean percentage change (and fall), and the summed change.

    Members who entered on a score of 0 have no percentage and are left out of the mean
    (they still count in the sums). Raises ValueError for an exit before entry or a
    negative score.
    """
    members = tuple(entries)
    changes = tuple(score_change(entry) for entry in members)
    exact_percents = [
        _percent(entry.latest_score - entry.entry_score, entry.entry_score)
        for entry in members
        if entry.entry_score != 0
    ]
    mean = _round(sum(exact_percents, Decimal(0)) / len(exact_percents)) if exact_percents else None
    total_entry = sum((entry.entry_score for entry in members), Decimal(0))
    total_latest = sum((entry.latest_score for entry in members), Decimal(0))
    total_change = total_latest - total_entry
    return CohortMeasure(
        changes=changes,
        members=len(members),
        members_with_percent=len(exact_percents),
        mean_percent_change=mean,
        mean_percent_fall=None if mean is None else -mean,
        total_entry_score=total_entry,
        total_latest_score=total_latest,
        total_change=total_change,
        total_percent_change=(
            None if total_entry == 0 else _round(_percent(total_change, total_entry))
        ),
    )


def _validate(entry: CohortEntry) -> None:
    if entry.exited_on is not None and entry.exited_on < entry.entered_on:
        raise ValueError(
            f"cohort member {entry.person_id}: exit {entry.exited_on.isoformat()} is before "
            f"entry {entry.entered_on.isoformat()}"
        )
    for label, value in (("entry", entry.entry_score), ("latest", entry.latest_score)):
        if value < 0:
            raise ValueError(f"cohort member {entry.person_id}: {label} score {value} is negative")


def _percent(change: Decimal, base: Decimal) -> Decimal:
    return change * 100 / base


def _round(value: Decimal) -> Decimal:
    """Two decimal places, half up; a tiny fall rounds to "0.00", never "-0.00"."""
    rounded = value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)
