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
    marac_referrals,
)
from services.marac.domain.actions import Action, ActionStatus, NotDoneReason
from services.marac.domain.repeats import PriorReferral


def prior_referrals(conn: Connection, victim_person_id: str) -> list[PriorReferral]:
    rows = conn.execute(
        select(
            marac_referrals.c.referral_id,
            marac_referrals.c.perpetrator_ids,
            marac_referrals.c.referral_date,
        ).where(marac_referrals.c.victim_person_id == victim_person_id)
    ).all()
    return [
        PriorReferral(
            r.referral_id, victim_person_id, frozenset(r.perpetrator_ids), r.referral_date
        )
        for r in rows
    ]


def case_of_referral(conn: Connection, referral_id: str) -> str | None:
    return conn.execute(
        select(marac_referrals.c.case_id).where(marac_referrals.c.referral_id == referral_id)
    ).scalar()


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


def latest_referral_per_case(conn: Connection, case_ids: list[str]) -> dict[str, RowMapping]:
    rows = conn.execute(
        select(marac_referrals)
        .where(marac_referrals.c.case_id.in_(case_ids))
        .order_by(marac_referrals.c.received_at)
    ).all()
    return {r.case_id: r._mapping for r in rows}  # later referrals overwrite earlier ones


def case_exists(conn: Connection, case_id: str) -> bool:
    found = conn.execute(select(marac_cases.c.case_id).where(marac_cases.c.case_id == case_id))
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
    conn: Connection, area: str, received_after: dt.datetime | None, received_before: dt.datetime
) -> list[RowMapping]:
    """Referrals received in a window, latest per case (the candidates for an agenda)."""
    conditions = [
        marac_referrals.c.marac_area == area,
        marac_referrals.c.received_at < received_before,
    ]
    if received_after is not None:
        conditions.append(marac_referrals.c.received_at >= received_after)
    rows = conn.execute(
        select(marac_referrals).where(and_(*conditions)).order_by(marac_referrals.c.received_at)
    ).all()
    latest: dict[str, RowMapping] = {}
    for row in rows:
        latest[row.case_id] = row._mapping
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
