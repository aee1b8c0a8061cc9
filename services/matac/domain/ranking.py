"""Ranking perpetrators per policing area for the MATAC meeting.

Population on the as-of date: aged at least the policy minimum, not deceased, not in
custody, not out of the area, and with at least one incident in the look-back window.
A perpetrator's area is the area of their latest incident in the window (the most recent
record says where the risk is now; same-day records are settled by the larger incident
id). Within an area: score high to low, then latest incident (more recent first), then
total harm (higher first), then person id so the order never depends on input order.

A nomination (made on or before the as-of date) puts a perpetrator on the list even
below the top-N cut or with no incident in the window; its area then comes from the
nomination. It does not override the age rule or a status exclusion: a nominated person
who is deceased, in custody or out of the area is left off like anyone else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.matac.domain.dates import age_on
from services.matac.domain.json_values import json_number
from services.matac.domain.model import Perpetrator, Status, StatusChange
from services.matac.domain.scoring import Score, score_perpetrator
from services.matac.policy import MatacPolicy


@dataclass(frozen=True)
class RankedRow:
    """One line of an area's MATAC list; `explanation` is the full score behind it."""

    rank: int
    person_id: str
    area: str
    score: Decimal
    recency: int
    frequency: int
    gravity: int
    victims: int
    serial: bool
    nominated: bool
    latest_incident_on: date | None
    total_harm: Decimal
    explanation: Score

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "person_id": self.person_id,
            "area": self.area,
            "score": json_number(self.score),
            "recency": self.recency,
            "frequency": self.frequency,
            "gravity": self.gravity,
            "victims": self.victims,
            "serial": self.serial,
            "nominated": self.nominated,
            "latest_incident_on": (
                None if self.latest_incident_on is None else self.latest_incident_on.isoformat()
            ),
            "total_harm": json_number(self.total_harm),
            "explanation": self.explanation.to_dict(),
        }


def statuses_in_force(changes: Iterable[StatusChange], as_of: date) -> frozenset[Status]:
    """Which of custody, deceased and left_area hold on `as_of`.

    Changes take effect on their date (inclusive) and apply in date order, same-day
    changes in the order given. `released` clears custody and `returned` clears
    left_area only: someone released from custody who had already left the area is still
    out of the area. Deceased is never cleared.
    """
    in_force: set[Status] = set()
    for change in sorted(changes, key=lambda change: change.effective_on):
        if change.effective_on > as_of:
            break
        if change.status is Status.RELEASED:
            in_force.discard(Status.CUSTODY)
        elif change.status is Status.RETURNED:
            in_force.discard(Status.LEFT_AREA)
        else:
            in_force.add(change.status)
    return frozenset(in_force)


def exclusion_reason(perpetrator: Perpetrator, policy: MatacPolicy, as_of: date) -> str | None:
    """Why a perpetrator is outside the population on `as_of`, or None if they are not.

    Age comes from the date of birth when given; otherwise `age` is taken as the age on
    the as-of date. Incidents are not considered here (see `rank`).
    """
    if perpetrator.date_of_birth is not None and perpetrator.date_of_birth > as_of:
        return "not yet born on the as-of date"
    age = (
        perpetrator.age
        if perpetrator.date_of_birth is None
        else age_on(perpetrator.date_of_birth, as_of)
    )
    assert age is not None  # Perpetrator requires a date of birth or an age
    if age < policy.minimum_age:
        return f"aged {age}, under the minimum age of {policy.minimum_age}"
    in_force = statuses_in_force(perpetrator.status_changes, as_of)
    for status, reason in (
        (Status.DECEASED, "deceased"),
        (Status.CUSTODY, "in custody"),
        (Status.LEFT_AREA, "has left the area"),
    ):
        if status in in_force:
            return reason
    return None


def rank(
    perpetrators: Iterable[Perpetrator],
    policy: MatacPolicy,
    as_of: date,
    area: str | None = None,
    top: int | None = None,
) -> list[RankedRow]:
    """The MATAC list on `as_of`: the top N per area plus nominations, ordered by area then
    rank. `area` limits it to one policing area; `top` overrides the policy's default N.

    Ranks are positions in the area's full ordering, so a nominated perpetrator below the
    cut keeps their true position (e.g. 23 on a top-10 list).
    """
    cut = policy.default_top_n if top is None else top
    if cut < 0:
        raise ValueError(f"top must not be negative, got {cut}")
    by_area: dict[str, list[tuple[Perpetrator, Score, bool]]] = defaultdict(list)
    seen: set[str] = set()
    for perpetrator in perpetrators:
        if perpetrator.person_id in seen:
            raise ValueError(f"perpetrator {perpetrator.person_id} is given more than once")
        seen.add(perpetrator.person_id)
        if exclusion_reason(perpetrator, policy, as_of) is not None:
            continue
        score = score_perpetrator(perpetrator.incidents, policy, as_of)
        nominated = perpetrator.nominated_at(as_of)
        if score.incident_count == 0 and not nominated:
            continue
        placed = _area_of(perpetrator, score)
        if area is None or placed == area:
            by_area[placed].append((perpetrator, score, nominated))
    rows: list[RankedRow] = []
    for placed in sorted(by_area):
        ordered = sorted(by_area[placed], key=lambda entry: _order(entry[0], entry[1]))
        for position, (perpetrator, score, nominated) in enumerate(ordered, start=1):
            if position <= cut or nominated:
                rows.append(_row(position, perpetrator, placed, score, nominated))
    return rows


def _area_of(perpetrator: Perpetrator, score: Score) -> str:
    if score.area is not None:
        return score.area
    assert perpetrator.nomination is not None  # only nominated people reach here unscored
    return perpetrator.nomination.area


def _order(perpetrator: Perpetrator, score: Score) -> tuple[Decimal, int, Decimal, str]:
    latest = 0 if score.latest_incident_on is None else score.latest_incident_on.toordinal()
    return (-score.total, -latest, -score.total_harm, perpetrator.person_id)


def _row(
    position: int, perpetrator: Perpetrator, area: str, score: Score, nominated: bool
) -> RankedRow:
    return RankedRow(
        rank=position,
        person_id=perpetrator.person_id,
        area=area,
        score=score.total,
        recency=score.recency,
        frequency=score.frequency,
        gravity=score.gravity,
        victims=score.victims,
        serial=score.serial,
        nominated=nominated,
        latest_incident_on=score.latest_incident_on,
        total_harm=score.total_harm,
        explanation=score,
    )
