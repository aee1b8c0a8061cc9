"""What a MAPPA coordinator asks the platform to do to a nominal record.

Each command, once ``rules.check`` accepts it, becomes exactly one event (``to_event``),
a plain dict in the shape ``nominal`` documents. The dict holds the structural fields
only: the service adds the envelope, the ``nominal_id`` (the aggregate the command was
checked against) and any identity or narrative fields, which it encrypts.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.mappa.domain import events as ev


@dataclass(frozen=True)
class RegisterNominal:
    """Open a nominal record in an area."""

    nominal_id: str
    area: str
    registered_on: date
    lead_agency: str

    def to_event(self) -> dict[str, Any]:
        return {
            "type": ev.NOMINAL_REGISTERED,
            "nominal_id": self.nominal_id,
            "area": self.area,
            "registered_on": self.registered_on,
            "lead_agency": self.lead_agency,
        }


@dataclass(frozen=True)
class AssignCategory:
    """Assign (or re-assign) the MAPPA category; category 1 carries notification dates."""

    category: int
    effective_on: date
    notification_end: date | None = None
    notification_indefinite: bool = False

    def to_event(self) -> dict[str, Any]:
        return {
            "type": ev.CATEGORY_ASSIGNED,
            "category": self.category,
            "effective_on": self.effective_on,
            "notification_end": self.notification_end,
            "notification_indefinite": self.notification_indefinite,
        }


@dataclass(frozen=True)
class SetLevel:
    """Set the management level, with the reason and who decided it."""

    level: int
    effective_on: date
    reason: str
    decided_by: str
    senior_oversight_need: str | None = None
    next_review_on: date | None = None

    def to_event(self) -> dict[str, Any]:
        return {
            "type": ev.LEVEL_SET,
            "level": self.level,
            "effective_on": self.effective_on,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "senior_oversight_need": self.senior_oversight_need,
            "next_review_on": self.next_review_on,
        }


@dataclass(frozen=True)
class RecordReview:
    """Record that a review was held; the panel may fix the next review date.

    ``attended_agencies`` decides who may later read the minutes; the minutes themselves
    (``outcome``) are narrative and are added, encrypted, by the service.
    """

    held_on: date
    next_review_on: date | None = None
    attended_agencies: tuple[str, ...] = ()

    def to_event(self) -> dict[str, Any]:
        return {
            "type": ev.REVIEW_HELD,
            "held_on": self.held_on,
            "next_review_on": self.next_review_on,
            "attended_agencies": list(self.attended_agencies),
        }


@dataclass(frozen=True)
class ChangeLeadAgency:
    """Hand lead responsibility to another agency."""

    lead_agency: str
    effective_on: date

    def to_event(self) -> dict[str, Any]:
        return {
            "type": ev.LEAD_AGENCY_CHANGED,
            "lead_agency": self.lead_agency,
            "effective_on": self.effective_on,
        }


@dataclass(frozen=True)
class TransferNominal:
    """Record a transfer: ``"in"`` from ``other_area``, or ``"out"`` to it."""

    direction: str
    other_area: str
    effective_on: date

    def to_event(self) -> dict[str, Any]:
        return {
            "type": ev.TRANSFERRED,
            "direction": self.direction,
            "other_area": self.other_area,
            "effective_on": self.effective_on,
        }


@dataclass(frozen=True)
class EndManagement:
    """End MAPPA management of the nominal in this area."""

    ended_on: date
    reason: str

    def to_event(self) -> dict[str, Any]:
        return {"type": ev.MANAGEMENT_ENDED, "ended_on": self.ended_on, "reason": self.reason}


Command = (
    RegisterNominal
    | AssignCategory
    | SetLevel
    | RecordReview
    | ChangeLeadAgency
    | TransferNominal
    | EndManagement
)
