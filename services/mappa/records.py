"""A nominal's record as one caller may see it: structure, plus what the agreement shows.

Only MAPPA parties see a record at all: an agency with no ``mappa`` purpose in any agreement
in force (an IDVA service, the MARAC coordination team) is answered as if the nominal did not
exist. Structure (area, category, level and its history, lead agency, key dates, the review
clock) travels in the clear and is shown to every MAPPA party. Identity, offence, address
risk and minutes are decrypted by ``disclose`` under the agreement in force for the
``mappa`` purpose, so each party sees only the data classes the agreement gives it, and the
read is audited (one DataAccessed event per nominal whose fields were shown).

Minutes of a review (its ``outcome``, class ``mappa.minutes``) have a second gate on top of
the agreement: DOMAIN says MAPPA minutes are shared only with the agencies that attended,
and onward sharing needs the chair's approval. A review's minutes are therefore shown only
to a party the agreement lets read ``mappa.minutes`` *and* that

- is listed in the review's ``attended_agencies``, or
- recorded the review (the agency that published it holds the minutes it wrote), or
- is a MAPPA coordination party (agreement party type ``coordinator`` with MAPPA access):
  the unit that runs the meetings and keeps the minutes for the chair.

Anyone else gets the minutes as withheld with the reason, e.g. "withheld: prisons-tv did not
attend this review ...", and the ciphertext is never decrypted for them. Where the agreement
itself withholds the class, its reason (naming the agreement) is given instead. Onward
sharing approved by a chair is not modelled yet. Level decision reasons and the risk
management plan are also ``mappa.minutes`` but carry no attendance list; the agreement alone
governs them, as it does who decided a level and why management ended (both ``mappa.minutes``,
encrypted from MappaLevelSet v3 and MappaManagementEnded v2; plain text in older events is
shown or withheld under the same rule).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from services.bootstrap import Platform
from services.intake.disclosure import Stored, disclose
from services.mappa.domain import events as ev
from services.mappa.domain.nominal import NominalState
from services.mappa.domain.policy_model import MappaPolicy
from services.mappa.domain.reviews import days_overdue, review_status
from services.mappa.intake import mappa_party
from services.mappa.queries import StoredEvent, fold_events, load_events, references_of
from services.sharing.service import Caller

PURPOSE = "mappa"
MINUTES = "mappa.minutes"
_SENSITIVE_TYPES = (ev.NOMINAL_REGISTERED, ev.LEVEL_SET, ev.REVIEW_HELD, ev.MANAGEMENT_ENDED)


def attendance_refusal(platform: Platform, caller: Caller, review: StoredEvent) -> str | None:
    """Why the caller may not see this review's minutes by attendance, or None if they may."""
    attended = review.payload.get("attended_agencies") or []
    if caller.agency in attended or caller.agency == review.agency:
        return None
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        party = agreement.party(caller.agency)
        if party is not None and party.party_type == "coordinator" and party.reads.get(PURPOSE):
            return None
    return (
        f"withheld: {caller.agency} did not attend this review (MAPPA minutes are shared only "
        "with the agencies that attended; onward sharing needs the chair's approval)"
    )


def _may_read_minutes(platform: Platform, caller: Caller) -> bool:
    decision = platform.sharing.agreements.get().decide(
        caller.agency, PURPOSE, MINUTES, platform.today()
    )
    return decision.allowed


def review_summary(state: NominalState, policy: MappaPolicy, today: dt.date) -> dict[str, Any]:
    """Where the next review stands today."""
    return {
        "due_on": state.next_review_due,
        "status": review_status(state, today, policy.due_soon_horizon_days).value,
        "days_overdue": days_overdue(state, today),
        "set_by_panel": state.next_review_set_by_panel,
        "last_review_on": state.last_review_on,
    }


def management_status(state: NominalState) -> str:
    if state.transferred_out:
        return "transferred_out"
    if state.ended_on is not None:
        return "ended"
    return "managed"


def summary(
    state: NominalState, policy: MappaPolicy, today: dt.date, reference: str | None = None
) -> dict[str, Any]:
    """The structural part of a record: no sensitive field, so nothing to disclose."""
    return {
        "nominal_id": state.nominal_id,
        "reference": reference,
        "area": state.area,
        "status": management_status(state),
        "registered_on": state.registered_on,
        "lead_agency": state.lead_agency,
        "category": state.category,
        "level": state.level,
        "level_set_on": state.level_set_on,
        "next_review": review_summary(state, policy, today),
    }


def nominal_names(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    nominal_ids: list[str],
    route: str,
) -> dict[str, dict]:
    """Each nominal's name as the caller may see it under the agreement, audited.

    Only the name from the registration is decrypted; nothing else is read.
    """
    stored: list[Stored] = []
    ids: list[str] = []
    for nominal_id in dict.fromkeys(nominal_ids):
        registration = next(
            (e for e in load_events(conn, nominal_id) if e.event_type == ev.NOMINAL_REGISTERED),
            None,
        )
        if registration is None:
            continue
        ids.append(nominal_id)
        stored.append(
            Stored(
                registration.event_type,
                registration.event_id,
                {"nominal_id": nominal_id, "name": registration.payload["name"]},
            )
        )
    shown = disclose(platform, caller, PURPOSE, route, stored) if stored else []
    return {n: payload["name"] for n, payload in zip(ids, shown, strict=True)}


def nominal_record(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    nominal_id: str,
    policy: MappaPolicy,
    route: str,
) -> dict[str, Any] | None:
    """The full record as ``caller`` may see it; None for an unknown nominal, and for a caller
    whose agency is not a MAPPA party (so ids cannot be probed)."""
    if mappa_party(platform, caller.agency) is None:
        return None
    events = load_events(conn, nominal_id)
    state = fold_events(events, policy)
    if state is None:
        return None
    today = platform.today()

    minutes_allowed = _may_read_minutes(platform, caller)
    refusals: dict[str, str] = {}
    items: list[Stored] = []
    for event in events:
        if event.event_type not in _SENSITIVE_TYPES:
            continue
        payload = event.payload
        if event.event_type == ev.REVIEW_HELD and minutes_allowed:
            refusal = attendance_refusal(platform, caller, event)
            if refusal is not None:
                refusals[event.event_id] = refusal
                payload = {**payload, "outcome": None}  # never decrypted for this caller
        items.append(Stored(event.event_type, event.event_id, payload))
    shown = dict(
        zip(
            (i.event_id for i in items),
            disclose(platform, caller, PURPOSE, route, items),
            strict=True,
        )
    )
    for event_id, reason in refusals.items():
        shown[event_id]["outcome"] = {"status": "withheld", "data_class": MINUTES, "reason": reason}

    reference = references_of(conn, [nominal_id]).get(nominal_id)
    record = summary(state, policy, today, reference) | {
        "notification_end": state.notification_end,
        "notification_indefinite": state.notification_indefinite,
        "ended_on": state.ended_on,
        "ended_reason": None,
        "category_history": [],
        "level_history": [],
        "reviews": [],
        "lead_agency_history": [],
        "transfers": [],
    }
    for event in events:
        p = shown.get(event.event_id, event.payload)
        kind = event.event_type
        base = {"event_id": event.event_id, "recorded_by": event.agency}
        if kind == ev.NOMINAL_REGISTERED:
            record |= _registration(p)
            record["lead_agency_history"].append(
                base | {"lead_agency": p["lead_agency"], "effective_on": p["registered_on"]}
            )
        elif kind == ev.CATEGORY_ASSIGNED:
            record["category_history"].append(
                base
                | {
                    "category": p["category"],
                    "effective_on": p["effective_on"],
                    "notification_end": p.get("notification_end"),
                    "notification_indefinite": p.get("notification_indefinite", False),
                }
            )
        elif kind == ev.LEVEL_SET:
            record["level_history"].append(
                base
                | {
                    "level": p["level"],
                    "effective_on": p["effective_on"],
                    "decided_by": p["decided_by"],
                    "reason": p["reason"],
                    "senior_oversight_need": p.get("senior_oversight_need"),
                    "next_review_on": p.get("next_review_on"),
                }
            )
        elif kind == ev.REVIEW_HELD:
            record["reviews"].append(
                base
                | {
                    "held_on": p["held_on"],
                    "next_review_on": p.get("next_review_on"),
                    "attended_agencies": list(p.get("attended_agencies") or []),
                    "outcome": p["outcome"],
                }
            )
        elif kind == ev.MANAGEMENT_ENDED:
            record["ended_reason"] = p["reason"]  # the last ending is the one in force
        elif kind == ev.LEAD_AGENCY_CHANGED:
            record["lead_agency_history"].append(
                base | {"lead_agency": p["lead_agency"], "effective_on": p["effective_on"]}
            )
        elif kind == ev.TRANSFERRED:
            record["transfers"].append(
                base
                | {
                    "direction": p["direction"],
                    "other_area": p["other_area"],
                    "effective_on": p["effective_on"],
                }
            )
    if state.ended_on is None:
        record["ended_reason"] = None  # management resumed: no ending in force
    return record


def _registration(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "rosh_level": p.get("rosh_level"),
        "identity": {
            "name": p["name"],
            "aliases": list(p.get("aliases") or []),
            "date_of_birth": p["date_of_birth"],
            "visor_reference": p.get("visor_reference"),
            "pnc_id": p.get("pnc_id"),
            "probation_reference": p.get("probation_reference"),
        },
        "offence": {
            "index_offence": p["index_offence"],
            "sentence": p.get("sentence"),
            "sentence_date": p.get("sentence_date"),
            "release_date": p.get("release_date"),
            "licence_end_date": p.get("licence_end_date"),
        },
        "address": {"address": p.get("address"), "address_risk": p.get("address_risk")},
        "risk_management_plan": p.get("risk_management_plan"),
    }
