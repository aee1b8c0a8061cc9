"""The plain data MATAC rules work on: incidents, perpetrators, status changes, nominations.

These are built at the edge from events or read models; the rules never fetch anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


@dataclass(frozen=True)
class Incident:
    """A domestic abuse incident record (crime or non-crime) naming the perpetrator."""

    incident_id: str
    occurred_on: date
    area: str
    is_crime: bool
    offence_categories: tuple[str, ...]
    victim_ids: tuple[str, ...]


class Status(StrEnum):
    """A recorded change that takes a perpetrator out of, or back into, the population."""

    CUSTODY = "custody"
    RELEASED = "released"
    DECEASED = "deceased"
    LEFT_AREA = "left_area"
    RETURNED = "returned"


@dataclass(frozen=True)
class StatusChange:
    """A status in force from `effective_on` (inclusive) until a later change clears it."""

    effective_on: date
    status: Status


@dataclass(frozen=True)
class Nomination:
    """A partner agency's request to review a perpetrator whatever their score.

    `area` is the policing area the nomination is made in; it places a nominated
    perpetrator who has no incident in the window.
    """

    nominated_on: date
    agency: str
    area: str
    reason: str


@dataclass(frozen=True)
class Perpetrator:
    """A person to rank. Give `date_of_birth` when known; `age` (as at the as-of date)
    is only a fallback, and one of the two is required so nobody is guessed into range."""

    person_id: str
    incidents: tuple[Incident, ...]
    date_of_birth: date | None = None
    age: int | None = None
    status_changes: tuple[StatusChange, ...] = ()
    nomination: Nomination | None = None

    def __post_init__(self) -> None:
        if self.date_of_birth is None and self.age is None:
            raise ValueError(f"perpetrator {self.person_id}: need a date of birth or an age")
        if self.age is not None and self.age < 0:
            raise ValueError(f"perpetrator {self.person_id}: age must not be negative")

    def nominated_at(self, as_of: date) -> bool:
        """Nominated on or before the as-of date (a later nomination did not exist yet)."""
        return self.nomination is not None and self.nomination.nominated_on <= as_of
