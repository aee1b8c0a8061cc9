"""MAPPA projection handlers: append each event to its nominal's log, refresh the summary.

Every MAPPA event type has the same handler. It folds the nominal's stored events plus the
new one with the domain ``fold``, so an event the fold cannot make sense of (a second
registration, an event for a nominal never registered, a level outside 1-3, a malformed
date) is refused and dead-lettered instead of corrupting the record. Business rules are not
re-checked: events are facts, the rules ran before the event was published.

The fold needs a policy only for review dates, which this projection never stores (see
``projections.mappa``), so the packaged default is used here and the read model is the same
whichever policy an area runs; replaying it always gives the same rows.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Connection, update

from projections.mappa import TABLES, mappa_nominal_events, mappa_nominals
from projections.runtime import EventRejected, Projection
from services.kernel.conform import to_json
from services.kernel.events import Event
from services.mappa.domain import events as ev
from services.mappa.domain.nominal import EventError, NominalState, fold
from services.mappa.domain.policy_model import MappaPolicy
from services.mappa.facts import FactsError, facts
from services.mappa.policy import load_policy
from services.mappa.queries import load_events


@cache
def _structural_policy() -> MappaPolicy:
    return load_policy()


def mappa_event(conn: Connection, event: Event) -> None:
    payload = to_json(event.payload)
    nominal_id = payload.get("nominal_id")
    if not nominal_id or nominal_id != event.aggregate_id:
        raise EventRejected(
            f"{event.event_type}: nominal_id {nominal_id!r} is not the aggregate id "
            f"{event.aggregate_id!r}"
        )
    history = load_events(conn, nominal_id)
    try:
        state = fold(
            [*(e.facts() for e in history), facts(event.event_type, payload)],
            _structural_policy(),
        )
    except (EventError, FactsError) as exc:
        raise EventRejected(str(exc)) from exc
    assert state is not None  # the stream has at least this event
    conn.execute(
        mappa_nominal_events.insert().values(
            event_id=event.event_id,
            nominal_id=nominal_id,
            position=len(history) + 1,
            event_type=event.event_type,
            agency=event.envelope.agency,
            actor=event.envelope.actor,
            recorded_at=event.envelope.recorded_at,
            payload=payload,
        )
    )
    summary = _summary(state) | {
        "event_count": len(history) + 1,
        "last_event_id": event.event_id,
        "updated_at": event.envelope.recorded_at,
    }
    if not history:
        conn.execute(
            mappa_nominals.insert().values(
                nominal_id=nominal_id, reference=payload.get("reference"), **summary
            )
        )
    else:
        conn.execute(
            update(mappa_nominals)
            .where(mappa_nominals.c.nominal_id == nominal_id)
            .values(**summary)
        )


def _summary(state: NominalState) -> dict:
    return {
        "area": state.area,
        "lead_agency": state.lead_agency,
        "registered_on": state.registered_on,
        "category": state.category,
        "level": state.level,
        "management_ended_on": state.management_ended_on,
    }


def projection() -> Projection:
    return Projection(
        name="mappa",
        streams=("mappa.nominals",),
        handlers={event_type: mappa_event for event_type in ev.ALL_EVENT_TYPES},
        tables=TABLES,
    )
