"""The MAPPA nominal aggregate: its state, built by folding events.

A *nominal record* is one offender as managed under MAPPA in one area; its id is the
aggregate id (the stream key). A transfer between areas closes the record in the sending
area (``MappaTransferred`` direction ``"out"``) and the receiving area opens its own record
(``MappaNominalRegistered`` then ``MappaTransferred`` direction ``"in"``), so each area's
figures and review lists only ever see the time a nominal was managed there.

The state holds structure only (ids, dates, levels, agency codes). Identity and narrative
(names, addresses, minutes) travel encrypted in the events and never reach this module.

Events are plain mappings with a ``type`` key and snake_case fields. Dates are
``datetime.date``. Fields marked optional may be absent or ``None``. Anything else an
event carries (the envelope, ``nominal_id`` on every event, identity, minutes, attended
agencies) is ignored here. Field names follow ``schemas/avro/mappa_*``.

``MappaNominalRegistered``
    ``nominal_id`` (str), ``area`` (str), ``registered_on`` (date), ``lead_agency`` (str).
``MappaCategoryAssigned``
    ``category`` (int, 1-4), ``effective_on`` (date), optional ``notification_end`` (date),
    optional ``notification_indefinite`` (bool, default False).
``MappaLevelSet``
    ``level`` (int, 1-3), ``effective_on`` (date), ``reason`` (str), ``decided_by`` (str),
    optional ``senior_oversight_need`` (str), optional ``next_review_on`` (date, a date the
    panel set explicitly).
``MappaReviewHeld``
    ``held_on`` (date), optional ``next_review_on`` (date, set explicitly by the panel).
``MappaLeadAgencyChanged``
    ``lead_agency`` (str), ``effective_on`` (date).
``MappaTransferred``
    ``direction`` (``"in"`` or ``"out"``), ``other_area`` (str; where from for ``"in"``,
    where to for ``"out"``), ``effective_on`` (date).
``MappaManagementEnded``
    ``ended_on`` (date), ``reason`` (str).

Events are facts: the fold does not re-check the business rules (that is ``rules``, before
an event is written). It refuses only what it cannot make sense of (an unknown type, a
missing field, a level outside 1-3, an event before registration) with ``EventError``, so
the consumer can dead-letter it.

The review clock (``schedule``): it runs from the last review (``held_on``), or from
registration while there has been none. The next review is due one policy interval for the
level in force after that date, unless the event carries a ``next_review_on`` the panel
chose, which wins. A level set does *not* restart the clock: it recomputes the due date from
the last review (or registration) with the new level's interval, so raising the level of a
nominal whose review is long past makes it overdue at once. Ending management or
transferring out clears the next review date: nothing is due for a nominal no longer managed
here.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.mappa.domain import events as ev
from services.mappa.domain.policy_model import MAPPA_LEVELS, MappaPolicy
from services.mappa.domain.schedule import clock_start, next_review_due

Event = Mapping[str, Any]


class EventError(ValueError):
    """An event the fold cannot apply; the stream or the producer is wrong, not the user."""


@dataclass(frozen=True)
class LevelChange:
    """One entry of the level history: the level in force from ``from_date``."""

    level: int
    from_date: date
    reason: str
    decided_by: str
    senior_oversight_need: str | None = None


@dataclass(frozen=True)
class CategoryChange:
    """One entry of the category history: the category in force from ``from_date``."""

    category: int
    from_date: date
    notification_end: date | None = None
    notification_indefinite: bool = False


@dataclass(frozen=True)
class NominalState:
    """Everything the rules, the review lists and the annual figures need about a nominal."""

    nominal_id: str
    area: str
    registered_on: date
    lead_agency: str
    category: int | None = None
    notification_end: date | None = None
    notification_indefinite: bool = False
    category_history: tuple[CategoryChange, ...] = ()
    level: int | None = None
    level_history: tuple[LevelChange, ...] = ()
    last_review_on: date | None = None
    next_review_due: date | None = None
    next_review_set_by_panel: bool = False
    ended_on: date | None = None
    ended_reason: str | None = None
    transferred_in_from: str | None = None
    transferred_in_on: date | None = None
    transferred_out: bool = False
    transferred_out_to: str | None = None
    transferred_out_on: date | None = None

    @property
    def level_set_on(self) -> date | None:
        """The date the current level took effect."""
        return self.level_history[-1].from_date if self.level_history else None

    @property
    def management_ended_on(self) -> date | None:
        """The date management in this area stopped, by ending or by transfer out."""
        return self.ended_on if self.ended_on is not None else self.transferred_out_on

    @property
    def is_managed(self) -> bool:
        """True while this area still actively manages the nominal."""
        return self.management_ended_on is None

    def is_managed_on(self, day: date) -> bool:
        """True if managed here on ``day``: from registration up to, not including, the end."""
        ended = self.management_ended_on
        return self.registered_on <= day and (ended is None or day < ended)

    def level_on(self, day: date) -> int | None:
        """The level in force at the end of ``day`` (the last change dated on or before it)."""
        in_force = [change.level for change in self.level_history if change.from_date <= day]
        return in_force[-1] if in_force else None

    def category_on(self, day: date) -> int | None:
        """The category in force at the end of ``day``."""
        in_force = [c.category for c in self.category_history if c.from_date <= day]
        return in_force[-1] if in_force else None


def fold(events: Iterable[Event], policy: MappaPolicy) -> NominalState | None:
    """Build a nominal's state from its whole stream; ``None`` for an empty stream."""
    state: NominalState | None = None
    for event in events:
        state = apply(state, event, policy)
    return state


def apply(state: NominalState | None, event: Event, policy: MappaPolicy) -> NominalState:
    """Return the state after ``event``.

    The policy is needed because the next review date follows the review interval of the
    current level; replaying under the same policy always gives the same state.
    """
    event_type = _required(event, "type")
    if event_type == ev.NOMINAL_REGISTERED:
        if state is not None:
            raise EventError(f"{event_type}: nominal {state.nominal_id!r} is already registered")
        return NominalState(
            nominal_id=_required(event, "nominal_id"),
            area=_required(event, "area"),
            registered_on=_required(event, "registered_on"),
            lead_agency=_required(event, "lead_agency"),
        )
    if event_type not in ev.ALL_EVENT_TYPES:
        raise EventError(f"unknown MAPPA event type {event_type!r}")
    if state is None:
        raise EventError(f"{event_type}: the nominal has not been registered")
    if event_type == ev.CATEGORY_ASSIGNED:
        return _category_assigned(state, event)
    if event_type == ev.LEVEL_SET:
        return _level_set(state, event, policy)
    if event_type == ev.REVIEW_HELD:
        return _review_held(state, event, policy)
    if event_type == ev.LEAD_AGENCY_CHANGED:
        return replace(state, lead_agency=_required(event, "lead_agency"))
    if event_type == ev.TRANSFERRED:
        return _transferred(state, event)
    return replace(
        state,
        ended_on=_required(event, "ended_on"),
        ended_reason=_required(event, "reason"),
        next_review_due=None,
        next_review_set_by_panel=False,
    )


def _category_assigned(state: NominalState, event: Event) -> NominalState:
    change = CategoryChange(
        category=_required(event, "category"),
        from_date=_required(event, "effective_on"),
        notification_end=event.get("notification_end"),
        notification_indefinite=bool(event.get("notification_indefinite") or False),
    )
    return replace(
        state,
        category=change.category,
        notification_end=change.notification_end,
        notification_indefinite=change.notification_indefinite,
        category_history=(*state.category_history, change),
    )


def _level_set(state: NominalState, event: Event, policy: MappaPolicy) -> NominalState:
    change = LevelChange(
        level=_required(event, "level"),
        from_date=_required(event, "effective_on"),
        reason=_required(event, "reason"),
        decided_by=_required(event, "decided_by"),
        senior_oversight_need=event.get("senior_oversight_need"),
    )
    if change.level not in MAPPA_LEVELS:
        raise EventError(f"{ev.LEVEL_SET}: level must be 1, 2 or 3, not {change.level!r}")
    explicit_next = event.get("next_review_on")
    return replace(
        state,
        level=change.level,
        level_history=(*state.level_history, change),
        next_review_due=next_review_due(
            change.level,
            clock_start(state.last_review_on, state.registered_on),
            policy,
            explicit_next,
        ),
        next_review_set_by_panel=explicit_next is not None,
    )


def _review_held(state: NominalState, event: Event, policy: MappaPolicy) -> NominalState:
    held_on = _required(event, "held_on")
    explicit_next = event.get("next_review_on")
    if state.level is None:
        due = explicit_next
    else:
        due = next_review_due(state.level, held_on, policy, explicit_next)
    return replace(
        state,
        last_review_on=held_on,
        next_review_due=due,
        next_review_set_by_panel=explicit_next is not None,
    )


def _transferred(state: NominalState, event: Event) -> NominalState:
    direction = _required(event, "direction")
    other_area = _required(event, "other_area")
    transferred_on = _required(event, "effective_on")
    if direction == ev.TRANSFER_IN:
        return replace(state, transferred_in_from=other_area, transferred_in_on=transferred_on)
    if direction == ev.TRANSFER_OUT:
        return replace(
            state,
            transferred_out=True,
            transferred_out_to=other_area,
            transferred_out_on=transferred_on,
            next_review_due=None,
            next_review_set_by_panel=False,
        )
    raise EventError(f"{ev.TRANSFERRED}: direction must be 'in' or 'out', not {direction!r}")


def _required(event: Event, field: str) -> Any:
    value = event.get(field)
    if value is None:
        event_type = event.get("type", "event")
        raise EventError(f"{event_type}: required field {field!r} is missing")
    return value
