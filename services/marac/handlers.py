"""MARAC projection handlers: each applies one event type to the MARAC read model."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from projections.marac import (
    TABLES,
    marac_actions,
    marac_agenda_versions,
    marac_cases,
    marac_incident_victims,
    marac_meetings,
    marac_referrals,
)
from projections.runtime import EventRejected, Projection
from services.kernel.conform import to_json
from services.kernel.events import Event


def referral_submitted(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        marac_referrals.insert().values(
            referral_id=p["referral_id"],
            reference=p.get("reference"),
            case_id=p["case_id"],
            victim_person_id=p["victim"]["person_id"],
            event_id=event.event_id,
            marac_area=p["marac_area"],
            referral_date=p["referral_date"],
            received_at=event.envelope.recorded_at,
            referring_agency=p["referring_agency"],
            referring_agency_type=p["referring_agency_type"],
            dash_score=p["dash_score"],
            risk_level=p["risk_level"],
            criteria=list(p["criteria"]),
            is_repeat=p["repeat"],
            last_referral_date=p["last_referral_date"],
            children_count=len(p["children"]),
            perpetrator_ids=[x["person_id"] for x in p["perpetrators"]],
            agencies_involved=list(p["agencies_involved"]),
            idva_allocated=p["idva_allocated"],
            payload=to_json(p),
        )
    )
    existing = conn.execute(
        select(marac_cases).where(marac_cases.c.case_id == p["case_id"])
    ).first()
    if existing is None:
        conn.execute(
            marac_cases.insert().values(
                case_id=p["case_id"],
                reference=p.get("case_reference"),
                marac_area=p["marac_area"],
                victim_person_id=p["victim"]["person_id"],
                first_referral_date=p["referral_date"],
                last_referral_date=p["referral_date"],
                referral_count=1,
                repeat_count=1 if p["repeat"] else 0,
                latest_dash_score=p["dash_score"],
                latest_risk_level=p["risk_level"],
            )
        )
        return
    conn.execute(
        update(marac_cases)
        .where(marac_cases.c.case_id == p["case_id"])
        .values(
            last_referral_date=max(existing.last_referral_date, p["referral_date"]),
            referral_count=existing.referral_count + 1,
            repeat_count=existing.repeat_count + (1 if p["repeat"] else 0),
            latest_dash_score=p["dash_score"],
            latest_risk_level=p["risk_level"],
            # a case opened before references gets one with its first v3 referral
            reference=existing.reference or p.get("case_reference"),
        )
    )


def risk_assessed(conn: Connection, event: Event) -> None:
    p = event.payload
    result = conn.execute(
        update(marac_cases)
        .where(marac_cases.c.case_id == p["case_id"])
        .values(latest_dash_score=p["dash_score"], latest_risk_level=p["risk_level"])
    )
    if result.rowcount == 0:
        raise EventRejected(f"RiskAssessed for unknown case {p['case_id']}")


def meeting_scheduled(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        marac_meetings.insert().values(
            meeting_id=p["meeting_id"],
            marac_area=p["marac_area"],
            meeting_date=p["meeting_date"],
            cutoff_date=p["cutoff_date"],
            capacity=p["capacity"],
            venue=p["venue"],
            chair_agency=p["chair_agency"],
            recorded_after_the_event_reason=p.get("recorded_after_the_event_reason"),
        )
    )


def agenda_published(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        marac_agenda_versions.insert().values(
            meeting_id=p["meeting_id"],
            version=p["version"],
            published_at=event.envelope.recorded_at,
            published_by=f"{event.envelope.actor} ({event.envelope.agency})",
            case_ids=list(p["case_ids"]),
            late_case_ids=list(p["late_case_ids"]),
            overflow_case_ids=list(p["overflow_case_ids"]),
            event_id=event.event_id,
            late_reasons=to_json(list(p.get("late_reasons") or [])),
        )
    )


def action_assigned(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        marac_actions.insert().values(
            action_id=p["action_id"],
            case_id=p["case_id"],
            meeting_id=p["meeting_id"],
            owner_agency=p["owner_agency"],
            due_date=p["due_date"],
            status="open",
            assigned_event_id=event.event_id,
            assigned_payload=to_json(p),
        )
    )


def action_completed(conn: Connection, event: Event) -> None:
    p = event.payload
    result = conn.execute(
        update(marac_actions)
        .where(marac_actions.c.action_id == p["action_id"])
        .values(
            status=p["outcome"],
            not_done_reason=p["not_done_reason"],
            completed_on=p["completed_on"],
            completed_event_id=event.event_id,
            completed_payload=to_json(p),
        )
    )
    if result.rowcount == 0:
        raise EventRejected(f"ActionCompleted for unknown action {p['action_id']}")


def incident_recorded(conn: Connection, event: Event) -> None:
    """Police incidents count toward a victim's potential escalation."""
    p = event.payload
    victims = sorted(set(p["victim_person_ids"]))
    if victims:
        conn.execute(
            marac_incident_victims.insert(),
            [
                {
                    "incident_id": p["incident_id"],
                    "victim_person_id": v,
                    "occurred_on": p["occurred_on"],
                }
                for v in victims
            ],
        )


def projection() -> Projection:
    return Projection(
        name="marac",
        streams=("marac.cases", "marac.meetings", "police.incidents"),
        handlers={
            "ReferralSubmitted": referral_submitted,
            "RiskAssessed": risk_assessed,
            "MeetingScheduled": meeting_scheduled,
            "AgendaPublished": agenda_published,
            "ActionAssigned": action_assigned,
            "ActionCompleted": action_completed,
            "IncidentRecorded": incident_recorded,
        },
        tables=TABLES,
    )
