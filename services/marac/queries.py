"""Read-model queries for the MARAC service: what intake and the routes need to know."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, RowMapping, and_, func, select

from projections.marac import (
    marac_actions,
    marac_agenda_versions,
    marac_cases,
    marac_incident_victims,
    marac_meetings,
    marac_person_links,
    marac_referrals,
)
from services.marac.domain.actions import Action, ActionStatus, NotDoneReason
from services.marac.domain.repeats import PriorReferral
from services.sharing.matching import canonical


def kept_person(conn: Connection, person_id: str) -> str:
    """The id MARAC keeps for a person a confirmed match merged: both ids' referrals count."""
    return canonical(conn, person_id, marac_person_links)


def kept_cases(conn: Connection, case_ids: list[str]) -> dict[str, str]:
    """Each case's kept case: itself, or the earlier case a confirmed match made it part of."""
    rows = conn.execute(
        select(marac_cases.c.case_id, marac_cases.c.merged_into_case_id).where(
            marac_cases.c.case_id.in_(case_ids)
        )
    ).all()
    merged = {r.case_id: r.merged_into_case_id for r in rows if r.merged_into_case_id}
    return {case_id: merged.get(case_id, case_id) for case_id in case_ids}


def linked_case_ids(conn: Connection, case_ids: list[str]) -> dict[str, list[str]]:
    """For each kept case, the cases that are part of it (confirmed match), oldest id first."""
    rows = conn.execute(
        select(marac_cases.c.case_id, marac_cases.c.merged_into_case_id)
        .where(marac_cases.c.merged_into_case_id.in_(case_ids))
        .order_by(marac_cases.c.case_id)
    ).all()
    result: dict[str, list[str]] = {case_id: [] for case_id in case_ids}
    for row in rows:
        result[row.merged_into_case_id].append(row.case_id)
    return result


def _as_kept_case(row: RowMapping, kept: str) -> RowMapping | dict:
    return row if row["case_id"] == kept else {**row, "case_id": kept}


def prior_referrals(
    conn: Connection, victim_person_id: str, received_before: dt.datetime | None = None
) -> list[PriorReferral]:
    """The victim's referrals, under the kept person id (withdrawn ones do not count),
    optionally only those received before a moment (re-evaluating a referral compares it with
    those sent before it)."""
    victim_person_id = kept_person(conn, victim_person_id)
    query = select(
        marac_referrals.c.referral_id,
        marac_referrals.c.perpetrator_ids,
        marac_referrals.c.referral_date,
    ).where(
        marac_referrals.c.victim_person_id == victim_person_id,
        marac_referrals.c.withdrawn_on.is_(None),
    )
    if received_before is not None:
        query = query.where(marac_referrals.c.received_at < received_before)
    rows = conn.execute(query).all()
    return [
        PriorReferral(
            r.referral_id, victim_person_id, frozenset(r.perpetrator_ids), r.referral_date
        )
        for r in rows
    ]


def same_day_referrals(
    conn: Connection, agency: str, victim_person_id: str, referral_date: dt.date
) -> list[RowMapping]:
    """The agency's live (not withdrawn) referrals of the victim dated that day: the only
    candidates a new referral can duplicate."""
    rows = conn.execute(
        select(marac_referrals)
        .where(
            marac_referrals.c.referring_agency == agency,
            marac_referrals.c.victim_person_id == victim_person_id,
            marac_referrals.c.referral_date == referral_date,
            marac_referrals.c.withdrawn_on.is_(None),
        )
        .order_by(marac_referrals.c.received_at)
    ).all()
    return [r._mapping for r in rows]


def case_of_referral(conn: Connection, referral_id: str) -> str | None:
    """The referral's case (the kept one, when a confirmed match made it part of another)."""
    case_id = conn.execute(
        select(marac_referrals.c.case_id).where(marac_referrals.c.referral_id == referral_id)
    ).scalar()
    return None if case_id is None else kept_cases(conn, [case_id])[case_id]


def case_reference(conn: Connection, case_id: str) -> str | None:
    """The case's human reference, or None for a case opened before references existed."""
    return conn.execute(
        select(marac_cases.c.reference).where(marac_cases.c.case_id == case_id)
    ).scalar()


def case_references(conn: Connection, case_ids: list[str]) -> dict[str, str]:
    """Each case's human reference; cases opened before references are absent."""
    if not case_ids:
        return {}
    rows = conn.execute(
        select(marac_cases.c.case_id, marac_cases.c.reference).where(
            marac_cases.c.case_id.in_(case_ids), marac_cases.c.reference.is_not(None)
        )
    )
    return {r.case_id: r.reference for r in rows}


def police_incident_dates(conn: Connection, victim_person_id: str) -> tuple[dt.date, ...]:
    victim_person_id = kept_person(conn, victim_person_id)
    rows = conn.execute(
        select(marac_incident_victims.c.occurred_on).where(
            marac_incident_victims.c.victim_person_id == victim_person_id
        )
    ).scalars()
    return tuple(sorted(rows))


def referral(conn: Connection, referral_id: str) -> RowMapping | None:
    row = conn.execute(
        select(marac_referrals).where(marac_referrals.c.referral_id == referral_id)
    ).first()
    return row._mapping if row else None


def _referral_columns(payload: bool):
    """Every referral column, or all but the encrypted payload (the agenda's rules never read
    it, and decoding its JSON was nearly half of drafting an agenda)."""
    if payload:
        return (marac_referrals,)
    return tuple(c for c in marac_referrals.c if c.name != "payload")


def latest_referral_per_case(
    conn: Connection, case_ids: list[str], *, payload: bool = True
) -> dict[str, RowMapping]:
    """Each case's latest referral, counting the referrals of the cases that are part of it
    (a confirmed person match), shown under the case asked for. ``payload=False`` leaves out
    the encrypted payload."""
    kept = kept_cases(conn, case_ids)
    members = linked_case_ids(conn, sorted(set(kept.values())))
    wanted = set(kept.values()) | {m for ids in members.values() for m in ids}
    rows = conn.execute(
        select(*_referral_columns(payload))
        .where(marac_referrals.c.case_id.in_(sorted(wanted)))
        .order_by(marac_referrals.c.received_at)
    ).all()
    kept_of = {m: k for k, ids in members.items() for m in ids}
    # later referrals overwrite earlier ones, and a live one a withdrawn one
    rows = sorted(rows, key=lambda r: r.withdrawn_on is None)
    latest = {kept_of.get(r.case_id, r.case_id): r._mapping for r in rows}
    return {
        case_id: _as_kept_case(latest[kept[case_id]], case_id)
        for case_id in case_ids
        if kept[case_id] in latest
    }


def case_exists(conn: Connection, case_id: str) -> bool:
    found = conn.execute(select(marac_cases.c.case_id).where(marac_cases.c.case_id == case_id))
    return found.first() is not None


def case_referrals(conn: Connection, case_id: str) -> list[RowMapping]:
    """Every referral on the case, oldest first."""
    rows = conn.execute(
        select(marac_referrals)
        .where(marac_referrals.c.case_id == case_id)
        .order_by(marac_referrals.c.received_at)
    ).all()
    return [r._mapping for r in rows]


def owns_action_on(conn: Connection, agency: str, case_id: str) -> bool:
    """True when the agency owns an action (open or closed) on the case."""
    found = conn.execute(
        select(marac_actions.c.action_id)
        .where(marac_actions.c.case_id == case_id, marac_actions.c.owner_agency == agency)
        .limit(1)
    )
    return found.first() is not None


def case_area(conn: Connection, case_id: str) -> str | None:
    """The MARAC area of the case's latest referral (a case moves with a referral elsewhere)."""
    return conn.execute(
        select(marac_referrals.c.marac_area)
        .where(marac_referrals.c.case_id == case_id)
        .order_by(marac_referrals.c.received_at.desc())
        .limit(1)
    ).scalar()


def meeting(conn: Connection, meeting_id: str) -> RowMapping | None:
    row = conn.execute(
        select(marac_meetings).where(marac_meetings.c.meeting_id == meeting_id)
    ).first()
    return row._mapping if row else None


def meetings(conn: Connection, area: str | None = None) -> list[RowMapping]:
    query = select(marac_meetings).order_by(marac_meetings.c.meeting_date)
    if area:
        query = query.where(marac_meetings.c.marac_area == area)
    return [r._mapping for r in conn.execute(query).all()]


def previous_meeting(conn: Connection, meeting: RowMapping) -> RowMapping | None:
    row = conn.execute(
        select(marac_meetings)
        .where(
            marac_meetings.c.marac_area == meeting["marac_area"],
            marac_meetings.c.meeting_date < meeting["meeting_date"],
        )
        .order_by(marac_meetings.c.meeting_date.desc())
        .limit(1)
    ).first()
    return row._mapping if row else None


def agenda_versions(conn: Connection, meeting_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(marac_agenda_versions)
        .where(marac_agenda_versions.c.meeting_id == meeting_id)
        .order_by(marac_agenda_versions.c.version)
    ).all()
    return [r._mapping for r in rows]


def referrals_in_area(
    conn: Connection,
    area: str,
    received_after: dt.datetime | None,
    received_before: dt.datetime,
    *,
    payload: bool = True,
) -> list[RowMapping]:
    """Referrals received in a window, latest per case (the candidates for an agenda).
    Withdrawn referrals are left out: they leave the draft agenda. ``payload=False`` leaves
    out the encrypted payload."""
    conditions = [
        marac_referrals.c.marac_area == area,
        marac_referrals.c.received_at < received_before,
        marac_referrals.c.withdrawn_on.is_(None),
    ]
    if received_after is not None:
        conditions.append(marac_referrals.c.received_at >= received_after)
    rows = conn.execute(
        select(*_referral_columns(payload))
        .where(and_(*conditions))
        .order_by(marac_referrals.c.received_at)
    ).all()
    kept = kept_cases(conn, sorted({row.case_id for row in rows}))
    latest: dict[str, RowMapping] = {}
    for row in rows:  # a case that is part of another (confirmed match) is listed as that one
        latest[kept[row.case_id]] = _as_kept_case(row._mapping, kept[row.case_id])
    return list(latest.values())


def to_action(row: RowMapping) -> Action:
    return Action(
        action_id=row["action_id"],
        case_id=row["case_id"],
        owning_agency=row["owner_agency"],
        description="",  # encrypted; decrypted per caller where shown
        due_date=row["due_date"],
        status=ActionStatus(row["status"]),
        not_done_reason=NotDoneReason(row["not_done_reason"]) if row["not_done_reason"] else None,
    )


def action(conn: Connection, action_id: str) -> RowMapping | None:
    row = conn.execute(
        select(marac_actions, marac_cases.c.reference.label("case_reference"))
        .outerjoin(marac_cases, marac_cases.c.case_id == marac_actions.c.case_id)
        .where(marac_actions.c.action_id == action_id)
    ).first()
    return row._mapping if row else None


def actions(
    conn: Connection,
    *,
    agency: str | None = None,
    case_ids: list[str] | None = None,
    status: str | None = None,
    due_before: dt.date | None = None,
) -> list[RowMapping]:
    query = (
        select(marac_actions, marac_cases.c.reference.label("case_reference"))
        .outerjoin(marac_cases, marac_cases.c.case_id == marac_actions.c.case_id)
        .order_by(marac_actions.c.due_date, marac_actions.c.action_id)
    )
    if agency:
        query = query.where(marac_actions.c.owner_agency == agency)
    if case_ids is not None:
        query = query.where(marac_actions.c.case_id.in_(case_ids))
    if status:
        query = query.where(marac_actions.c.status == status)
    if due_before:
        query = query.where(marac_actions.c.due_date < due_before)
    return [r._mapping for r in conn.execute(query).all()]


def latest_agenda_versions(conn: Connection, meeting_ids: list[str]) -> dict[str, RowMapping]:
    """Each meeting's latest published agenda version (meetings never published are absent)."""
    if not meeting_ids:
        return {}
    latest = (
        select(
            marac_agenda_versions.c.meeting_id,
            func.max(marac_agenda_versions.c.version).label("version"),
        )
        .where(marac_agenda_versions.c.meeting_id.in_(meeting_ids))
        .group_by(marac_agenda_versions.c.meeting_id)
        .subquery()
    )
    rows = conn.execute(
        select(marac_agenda_versions).join(
            latest,
            and_(
                latest.c.meeting_id == marac_agenda_versions.c.meeting_id,
                latest.c.version == marac_agenda_versions.c.version,
            ),
        )
    ).all()
    return {r.meeting_id: r._mapping for r in rows}


def cases_listed_at(conn: Connection, meeting_ids: list[str]) -> dict[str, list[str]]:
    """The cases on each meeting's latest published agenda."""
    return {m: list(v["case_ids"]) for m, v in latest_agenda_versions(conn, meeting_ids).items()}


def meeting_on(conn: Connection, area: str, meeting_date: dt.date) -> RowMapping | None:
    """The area's meeting on that date, if one is scheduled."""
    row = conn.execute(
        select(marac_meetings).where(
            marac_meetings.c.marac_area == area, marac_meetings.c.meeting_date == meeting_date
        )
    ).first()
    return row._mapping if row else None


def neighbouring_meetings(
    conn: Connection, area: str, meeting_date: dt.date
) -> tuple[RowMapping | None, RowMapping | None]:
    """The area's meetings just before and just after a date."""
    before = conn.execute(
        select(marac_meetings)
        .where(marac_meetings.c.marac_area == area, marac_meetings.c.meeting_date < meeting_date)
        .order_by(marac_meetings.c.meeting_date.desc())
        .limit(1)
    ).first()
    after = conn.execute(
        select(marac_meetings)
        .where(marac_meetings.c.marac_area == area, marac_meetings.c.meeting_date > meeting_date)
        .order_by(marac_meetings.c.meeting_date)
        .limit(1)
    ).first()
    return (before._mapping if before else None, after._mapping if after else None)


def earlier_meetings(
    conn: Connection, meeting: RowMapping, held_after: dt.date | None
) -> list[RowMapping]:
    """The MARAC's meetings before this one (and, if given, after ``held_after``)."""
    query = select(marac_meetings).where(
        marac_meetings.c.marac_area == meeting["marac_area"],
        marac_meetings.c.meeting_date < meeting["meeting_date"],
    )
    if held_after is not None:
        query = query.where(marac_meetings.c.meeting_date > held_after)
    return [r._mapping for r in conn.execute(query.order_by(marac_meetings.c.meeting_date))]


def listings_for_case(conn: Connection, case_id: str) -> list[RowMapping]:
    """Meetings whose latest published agenda lists the case, oldest first."""
    listed = []
    all_meetings = {m["meeting_id"]: m for m in meetings(conn)}
    for meeting_id, case_ids in cases_listed_at(conn, list(all_meetings)).items():
        if case_id in case_ids:
            listed.append(all_meetings[meeting_id])
    return sorted(listed, key=lambda m: m["meeting_date"])


def open_actions_from_earlier_meetings(conn: Connection, meeting: RowMapping) -> list[RowMapping]:
    """Open actions agreed at this MARAC's earlier meetings: reviewed at the next one."""
    rows = conn.execute(
        select(marac_actions)
        .join(marac_meetings, marac_meetings.c.meeting_id == marac_actions.c.meeting_id)
        .where(
            marac_actions.c.status == "open",
            marac_meetings.c.marac_area == meeting["marac_area"],
            marac_meetings.c.meeting_date < meeting["meeting_date"],
        )
        .order_by(marac_actions.c.due_date, marac_actions.c.action_id)
    ).all()
    return [r._mapping for r in rows]
