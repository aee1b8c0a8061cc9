"""From a stored MAPPA event payload to the plain facts the domain fold reads.

The read model keeps each event's payload as published: structure in the clear, identity and
narrative as ciphertext tokens, dates as ISO text. The fold (``services.mappa.domain.nominal``)
wants ``datetime.date`` values and never needs a sensitive value. ``facts`` therefore keeps
only the fields the fold documents, parses their dates, and puts ``PROTECTED`` in place of the
sensitive values the fold requires to be present (a level decision's ``reason``,
``decided_by`` and ``senior_oversight_need``, and why management ended), so a folded state
can never carry a token or a plaintext.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from services.mappa.domain import events as ev

PROTECTED = "(protected)"
"""Stands in for a sensitive value in folded state; the value itself is read by disclosure."""

_FIELDS: dict[str, tuple[str, ...]] = {
    ev.NOMINAL_REGISTERED: ("nominal_id", "area", "registered_on", "lead_agency"),
    ev.CATEGORY_ASSIGNED: (
        "category",
        "effective_on",
        "notification_end",
        "notification_indefinite",
    ),
    ev.LEVEL_SET: (
        "level",
        "effective_on",
        "reason",
        "decided_by",
        "senior_oversight_need",
        "next_review_on",
    ),
    ev.REVIEW_HELD: ("held_on", "next_review_on", "attended_agencies"),
    ev.LEAD_AGENCY_CHANGED: ("lead_agency", "effective_on"),
    ev.TRANSFERRED: ("direction", "other_area", "effective_on"),
    ev.MANAGEMENT_ENDED: ("ended_on", "reason"),
}

_DATE_FIELDS = frozenset(
    {"registered_on", "effective_on", "notification_end", "held_on", "next_review_on", "ended_on"}
)
_SENSITIVE: dict[str, frozenset[str]] = {
    ev.LEVEL_SET: frozenset({"reason", "decided_by", "senior_oversight_need"}),
    ev.MANAGEMENT_ENDED: frozenset({"reason"}),  # encrypted from MappaManagementEnded v2
}


class FactsError(ValueError):
    """A stored payload the fold cannot read (an unknown type or a malformed date)."""


def facts(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The fold's view of one event: ``type`` plus the structural fields, dates parsed."""
    try:
        names = _FIELDS[event_type]
    except KeyError:
        raise FactsError(f"{event_type!r} is not a MAPPA event type") from None
    sensitive = _SENSITIVE.get(event_type, frozenset())
    result: dict[str, Any] = {"type": event_type}
    for name in names:
        if name not in payload:
            continue
        value = payload[name]
        if value is not None and name in sensitive:
            value = PROTECTED
        elif value is not None and name in _DATE_FIELDS:
            value = _date(event_type, name, value)
        result[name] = value
    return result


def _date(event_type: str, name: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise FactsError(f"{event_type}: {name} is not a date: {value!r}")
