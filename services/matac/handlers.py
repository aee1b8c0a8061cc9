"""MATAC projection handlers: each applies one event type to the MATAC read model.

Handlers refuse (raise ``EventRejected``, so the runtime dead-letters the event) what the
rules could never score: an incident with no suspect, an offence category the policy has no
harm points for, an incident id already recorded, and cohort moves that contradict the
cohort as recorded. Everything they keep is order-independent where order could differ
(the latest name, the latest date of birth, the birth-date bound), so a replay rebuilds the
same read model.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Connection, delete, select, update

from projections.matac import (
    TABLES,
    matac_cohort,
    matac_incidents,
    matac_nominations,
    matac_perpetrators,
    matac_person_links,
    matac_status_changes,
)
from projections.runtime import EventRejected, Projection
from services.kernel.conform import to_json
from services.kernel.events import Event
from services.kernel.settings import Settings
from services.matac.config import matac_policy
from services.matac.domain.ages import latest_birth_date
from services.matac.domain.model import Status
from services.matac.policy import MatacPolicy, known_offence_categories
from services.sharing.matching import canonical, confirmed_link, record_link

_UNSET = object()


def _by(event: Event) -> str:
    return f"{event.envelope.actor} ({event.envelope.agency})"


def _person(conn: Connection, person_id: str) -> str:
    """The id MATAC keeps for the person: a confirmed match makes two ids one perpetrator."""
    return canonical(conn, person_id, matac_person_links)


def incident_recorded(policy: MatacPolicy):
    known = known_offence_categories(policy)

    def handle(conn: Connection, event: Event) -> None:
        p = event.payload
        person_id = (p["suspect_person_id"] or "").strip()
        if not person_id:
            raise EventRejected(f"incident {p['incident_id']}: no suspect person id")
        person_id = _person(conn, person_id)
        unknown = sorted(set(p["offence_categories"]) - known)
        if unknown:
            raise EventRejected(
                f"incident {p['incident_id']}: unknown offence category {unknown[0]!r}; "
                f"the MATAC policy {policy.name} ({policy.source}) has no harm points for it"
            )
        age = p["suspect_age"]
        if age is not None and age < 0:
            raise EventRejected(f"incident {p['incident_id']}: suspect_age {age} is negative")
        existing = conn.execute(
            select(matac_incidents.c.event_id).where(
                matac_incidents.c.incident_id == p["incident_id"]
            )
        ).scalar()
        if existing is not None:
            raise EventRejected(
                f"incident {p['incident_id']} is already recorded (event {existing}); "
                "counting it twice would inflate frequency and gravity"
            )
        conn.execute(
            matac_incidents.insert().values(
                incident_id=p["incident_id"],
                event_id=event.event_id,
                person_id=person_id,
                occurred_on=p["occurred_on"],
                area=p["policing_area"],
                is_crime=p["is_crime"],
                offence_categories=list(p["offence_categories"]),
                victim_person_ids=[_person(conn, v) for v in p["victim_person_ids"]],
                suspect_age=age,
                recorded_at=event.envelope.recorded_at,
                payload=to_json(p),
            )
        )
        _update_perpetrator(conn, event, person_id)

    return handle


def _latest(row, prefix: str, occurred_on: dt.date, incident_id: str) -> bool:
    """Whether the incident is later (by date, then incident id) than the one the row keeps."""
    kept_on = getattr(row, f"{prefix}_occurred_on")
    return kept_on is None or (occurred_on, incident_id) > (
        kept_on,
        getattr(row, f"{prefix}_incident_id"),
    )


def _update_perpetrator(conn: Connection, event: Event, person_id: str) -> None:
    """Keep the birth-date bound, and the latest incidents carrying a name and a date of birth.

    The name and the date of birth are tracked separately: an incident may give a person id
    with a date of birth and no name, and that date of birth must not be lost.
    """
    p = event.payload
    occurred_on: dt.date = p["occurred_on"]
    born_by = None if p["suspect_age"] is None else latest_birth_date(occurred_on, p["suspect_age"])
    carries = {
        prefix: {
            f"{prefix}_event_id": event.event_id,
            f"{prefix}_incident_id": p["incident_id"],
            f"{prefix}_occurred_on": occurred_on,
        }
        for prefix, field in (("name", "suspect_name"), ("birth", "suspect_date_of_birth"))
        if p.get(field) is not None
    }
    row = conn.execute(
        select(matac_perpetrators).where(matac_perpetrators.c.person_id == person_id)
    ).first()
    if row is None:
        values = {key: value for kept in carries.values() for key, value in kept.items()}
        conn.execute(
            matac_perpetrators.insert().values(
                person_id=person_id, born_on_or_before=born_by, **values
            )
        )
        return
    changes: dict = {}
    if born_by is not None and (row.born_on_or_before is None or born_by < row.born_on_or_before):
        changes["born_on_or_before"] = born_by
    for prefix, kept in carries.items():
        if _latest(row, prefix, occurred_on, p["incident_id"]):
            changes.update(kept)
    if changes:
        conn.execute(
            update(matac_perpetrators)
            .where(matac_perpetrators.c.person_id == person_id)
            .values(**changes)
        )


def status_changed(conn: Connection, event: Event) -> None:
    p = event.payload
    try:
        status = Status(p["status"])
    except ValueError:
        raise EventRejected(
            f"unknown perpetrator status {p['status']!r}; "
            f"statuses are {', '.join(s.value for s in Status)}"
        ) from None
    conn.execute(
        matac_status_changes.insert().values(
            event_id=event.event_id,
            person_id=_person(conn, p["person_id"]),
            status=status.value,
            effective_on=p["effective_on"],
            agency=event.envelope.agency,
            recorded_at=event.envelope.recorded_at,
        )
    )


def nominated(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        matac_nominations.insert().values(
            event_id=event.event_id,
            person_id=_person(conn, p["person_id"]),
            area=p["area"],
            nominating_agency=p["nominating_agency"],
            nominated_on=p["nominated_on"],
            recorded_at=event.envelope.recorded_at,
            payload=to_json(p),
        )
    )


def _open_membership(conn: Connection, person_id: str):
    return conn.execute(
        select(matac_cohort).where(
            matac_cohort.c.person_id == person_id, matac_cohort.c.left_event_id.is_(None)
        )
    ).first()


def cohort_joined(conn: Connection, event: Event) -> None:
    p = event.payload
    person_id = _person(conn, p["person_id"])
    current = _open_membership(conn, person_id)
    if current is not None:
        raise EventRejected(
            f"{p['person_id']} is already in the cohort (joined {current.joined_on.isoformat()})"
        )
    if p["entry_score"] < 0:
        raise EventRejected(f"entry score {p['entry_score']} is negative")
    conn.execute(
        matac_cohort.insert().values(
            joined_event_id=event.event_id,
            person_id=person_id,
            area=p["area"],
            joined_on=p["joined_on"],
            entry_score=p["entry_score"],
            joined_by=_by(event),
        )
    )


def cohort_left(conn: Connection, event: Event) -> None:
    p = event.payload
    current = _open_membership(conn, _person(conn, p["person_id"]))
    if current is None:
        raise EventRejected(f"{p['person_id']} is not in the cohort, so cannot leave it")
    if p["left_on"] < current.joined_on:
        raise EventRejected(
            f"{p['person_id']} cannot leave on {p['left_on'].isoformat()}, before joining on "
            f"{current.joined_on.isoformat()}"
        )
    if p["exit_score"] < 0:
        raise EventRejected(f"exit score {p['exit_score']} is negative")
    conn.execute(
        update(matac_cohort)
        .where(matac_cohort.c.joined_event_id == current.joined_event_id)
        .values(
            left_event_id=event.event_id,
            left_on=p["left_on"],
            exit_score=p["exit_score"],
            exit_reason=p["reason"],
            left_by=_by(event),
        )
    )


def person_match_decided(conn: Connection, event: Event) -> None:
    """A confirmed match: the merged id's incidents, statuses, nominations and cohort
    membership become the kept id's, so the perpetrator is scored and ranked once, on every
    incident of both. Victims are counted once too. Rebuilt the same whichever of the link
    and the incidents the projector meets first (incidents after it resolve through it)."""
    link = confirmed_link(event)
    if link is None:
        return
    moved = record_link(conn, matac_person_links, *link)
    if moved is None:
        return
    source, target = moved
    for table in (matac_incidents, matac_status_changes, matac_nominations, matac_cohort):
        conn.execute(update(table).where(table.c.person_id == source).values(person_id=target))
    rows = conn.execute(select(matac_incidents.c.incident_id, matac_incidents.c.victim_person_ids))
    for incident_id, victims in rows.all():
        if source in victims:
            merged = list(dict.fromkeys(target if v == source else v for v in victims))
            conn.execute(
                update(matac_incidents)
                .where(matac_incidents.c.incident_id == incident_id)
                .values(victim_person_ids=merged)
            )
    _merge_perpetrator(conn, source, target)


def _merge_perpetrator(conn: Connection, source: str, target: str) -> None:
    """One summary row for the person: the tighter birth-date bound, and the latest name and
    date-of-birth records of either id (by incident date, then id, as for new incidents)."""
    rows = {
        row.person_id: row
        for row in conn.execute(
            select(matac_perpetrators).where(matac_perpetrators.c.person_id.in_([source, target]))
        )
    }
    gone = rows.get(source)
    if gone is None:
        return
    conn.execute(delete(matac_perpetrators).where(matac_perpetrators.c.person_id == source))
    kept = rows.get(target)
    columns = [c.name for c in matac_perpetrators.columns if c.name != "person_id"]
    if kept is None:
        conn.execute(
            matac_perpetrators.insert().values(
                person_id=target, **{c: getattr(gone, c) for c in columns}
            )
        )
        return
    changes: dict = {}
    bounds = [b for b in (gone.born_on_or_before, kept.born_on_or_before) if b is not None]
    if bounds and min(bounds) != kept.born_on_or_before:
        changes["born_on_or_before"] = min(bounds)
    for prefix in ("name", "birth"):
        occurred_on = getattr(gone, f"{prefix}_occurred_on")
        if occurred_on is not None and _latest(
            kept, prefix, occurred_on, getattr(gone, f"{prefix}_incident_id")
        ):
            changes.update(
                {
                    f"{prefix}_{part}": getattr(gone, f"{prefix}_{part}")
                    for part in ("event_id", "incident_id", "occurred_on")
                }
            )
    if changes:
        conn.execute(
            update(matac_perpetrators)
            .where(matac_perpetrators.c.person_id == target)
            .values(**changes)
        )


def projection(policy_dir: Path | None | object = _UNSET) -> Projection:
    """The MATAC projection under the policy of ``policy_dir`` (default: TANDEM_POLICY_DIR).

    The policy is loaded here, so a broken policy file stops the projector from starting
    (with the file, key and problem named) instead of dead-lettering good incidents.
    """
    folder = Settings.from_env().policy_dir if policy_dir is _UNSET else policy_dir
    assert folder is None or isinstance(folder, Path)
    policy = matac_policy(folder)
    return Projection(
        name="matac",
        streams=("police.incidents", "matac.perpetrators", "persons"),
        handlers={
            "IncidentRecorded": incident_recorded(policy),
            "PerpetratorStatusChanged": status_changed,
            "MatacNominated": nominated,
            "CohortJoined": cohort_joined,
            "CohortLeft": cohort_left,
            "PersonMatchDecided": person_match_decided,
        },
        tables=TABLES,
    )
