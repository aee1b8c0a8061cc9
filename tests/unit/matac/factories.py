"""Small builders so each test states only the facts that matter to it."""

from __future__ import annotations

from datetime import date

from services.matac.domain.model import Incident, Nomination, Perpetrator, StatusChange

AREA = "North"


def incident(
    incident_id: str,
    occurred_on: date,
    *categories: str,
    victims: tuple[str, ...] = ("V1",),
    area: str = AREA,
    is_crime: bool | None = None,
) -> Incident:
    """An incident; a crime when it carries a category unless `is_crime` says otherwise."""
    return Incident(
        incident_id=incident_id,
        occurred_on=occurred_on,
        area=area,
        is_crime=bool(categories) if is_crime is None else is_crime,
        offence_categories=tuple(categories),
        victim_ids=victims,
    )


def perpetrator(
    person_id: str,
    *incidents: Incident,
    date_of_birth: date | None = date(1990, 1, 1),
    age: int | None = None,
    status_changes: tuple[StatusChange, ...] = (),
    nomination: Nomination | None = None,
) -> Perpetrator:
    return Perpetrator(
        person_id=person_id,
        incidents=tuple(incidents),
        date_of_birth=date_of_birth,
        age=age,
        status_changes=status_changes,
        nomination=nomination,
    )
