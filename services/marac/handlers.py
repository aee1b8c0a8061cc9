"""MARAC projection handlers: each applies one event type to the MARAC read model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Connection, delete, select, update

from projections.marac import (
    TABLES,
    marac_actions,
    marac_agenda_versions,
    marac_cases,
    marac_incident_victims,
    marac_meetings,
    marac_person_links,
    marac_referrals,
)
from projections.runtime import EventRejected, Projection
from services.kernel.conform import to_json
from services.kernel.events import Event
from services.kernel.settings import Settings
from services.marac.domain.linked import CaseReferral, linked_cases
from services.marac.domain.repeats import RepeatMatch
from services.marac.policy import load_policy
from services.sharing.matching import canonical, confirmed_link, record_link

_UNSET = object()


def _person(conn: Connection, person_id: str) -> str:
    """The id MARAC keeps for the person: a confirmed match makes two ids one victim."""
    return canonical(conn, person_id, marac_person_links)


def _has_merged_ids(conn: Connection, person_id: str) -> bool:
    found = conn.execute(
        select(marac_person_links.c.person_id)
        .where(marac_person_links.c.canonical_person_id == person_id)
        .limit(1)
    ).first()
    return found is not None


def referral_submitted(conn: Connection, event: Event) -> None:
    p = event.payload
    victim = _person(conn, p["victim"]["person_id"])
    conn.execute(
        marac_referrals.insert().values(
            referral_id=p["referral_id"],
            reference=p.get("reference"),
            case_id=p["case_id"],
            victim_person_id=victim,
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
            perpetrator_ids=list(
                dict.fromkeys(_person(conn, x["person_id"]) for x in p["perpetrators"])
            ),
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
                victim_person_id=victim,
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


def referral_withdrawn(conn: Connection, event: Event) -> None:
    p = event.payload
    result = conn.execute(
        update(marac_referrals)
        .where(marac_referrals.c.referral_id == p["referral_id"])
        .values(
            withdrawn_on=p["withdrawn_on"],
            withdrawn_event_id=event.event_id,
            withdrawn_payload=to_json(p),
        )
    )
    if result.rowcount == 0:
        raise EventRejected(f"ReferralWithdrawn for unknown referral {p['referral_id']}")


def referral_corrected(conn: Connection, event: Event) -> None:
    """The referral's score, risk and criteria become the corrected ones (the agenda orders on
    them), and so does the case's latest risk if this is the case's latest referral."""
    p = event.payload
    row = conn.execute(
        select(marac_referrals.c.case_id, marac_referrals.c.received_at).where(
            marac_referrals.c.referral_id == p["referral_id"]
        )
    ).first()
    if row is None:
        raise EventRejected(f"ReferralCorrected for unknown referral {p['referral_id']}")
    conn.execute(
        update(marac_referrals)
        .where(marac_referrals.c.referral_id == p["referral_id"])
        .values(
            dash_score=p["dash_score"],
            risk_level=p["risk_level"],
            criteria=list(p["criteria"]),
            corrected_on=p["corrected_on"],
            corrected_event_id=event.event_id,
            corrected_payload=to_json(p),
        )
    )
    later = conn.execute(
        select(marac_referrals.c.referral_id).where(
            marac_referrals.c.case_id == row.case_id,
            marac_referrals.c.received_at > row.received_at,
        )
    ).first()
    if later is None:
        conn.execute(
            update(marac_cases)
            .where(marac_cases.c.case_id == row.case_id)
            .values(latest_dash_score=p["dash_score"], latest_risk_level=p["risk_level"])
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
    victims = sorted({_person(conn, v) for v in p["victim_person_ids"]})
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


def _relink(conn: Connection, victim: str, rules: tuple[int, RepeatMatch]) -> None:
    """Judge the victim's referrals together (see ``domain.linked``): cases that are part of
    an earlier case say so, and referrals now found repeats are flagged. Computed from the
    victim's referrals alone, so the same whatever order links and referrals arrived in."""
    rows = conn.execute(
        select(
            marac_referrals.c.referral_id,
            marac_referrals.c.case_id,
            marac_referrals.c.referral_date,
            marac_referrals.c.perpetrator_ids,
            marac_referrals.c.is_repeat,
            marac_referrals.c.received_at,
        ).where(marac_referrals.c.victim_person_id == victim)
    ).all()
    window_months, match = rules
    found = linked_cases(
        victim,
        [
            CaseReferral(r.referral_id, r.case_id, r.referral_date, frozenset(r.perpetrator_ids),
                         r.is_repeat, _naive_utc(r.received_at))
            for r in rows
        ],
        window_months=window_months,
        match=match,
    )  # fmt: skip
    for case_id in sorted({r.case_id for r in rows}):
        conn.execute(
            update(marac_cases)
            .where(marac_cases.c.case_id == case_id)
            .values(merged_into_case_id=found.merged_into.get(case_id))
        )
    case_of = {r.referral_id: r.case_id for r in rows}
    for referral_id, last_date in sorted(found.new_repeats.items()):
        conn.execute(
            update(marac_referrals)
            .where(marac_referrals.c.referral_id == referral_id)
            .values(is_repeat=True, last_referral_date=last_date)
        )
        conn.execute(
            update(marac_cases)
            .where(marac_cases.c.case_id == case_of[referral_id])
            .values(repeat_count=marac_cases.c.repeat_count + 1)
        )


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """Received times compare alike on both databases (SQLite gives them back naive UTC)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def referral_then_relink(rules: tuple[int, RepeatMatch]):
    """A referral for a person with merged ids is judged with the merged ids' referrals."""

    def handle(conn: Connection, event: Event) -> None:
        referral_submitted(conn, event)
        victim = _person(conn, event.payload["victim"]["person_id"])
        if _has_merged_ids(conn, victim):
            _relink(conn, victim, rules)

    return handle


def person_match_decided(rules: tuple[int, RepeatMatch]):
    """A confirmed match: the merged id's referrals, cases and incidents become the kept
    id's, so repeat detection sees both ids' referrals and the agenda lists one case."""

    def handle(conn: Connection, event: Event) -> None:
        link = confirmed_link(event)
        if link is None:
            return
        moved = record_link(conn, marac_person_links, *link)
        if moved is None:
            return
        source, target = moved
        for table in (marac_referrals, marac_cases):
            conn.execute(
                update(table)
                .where(table.c.victim_person_id == source)
                .values(victim_person_id=target)
            )
        referrals = conn.execute(
            select(marac_referrals.c.referral_id, marac_referrals.c.perpetrator_ids)
        ).all()
        for referral_id, perpetrators in referrals:
            if source in perpetrators:
                merged = list(dict.fromkeys(target if x == source else x for x in perpetrators))
                conn.execute(
                    update(marac_referrals)
                    .where(marac_referrals.c.referral_id == referral_id)
                    .values(perpetrator_ids=merged)
                )
        victims = marac_incident_victims
        both = select(victims.c.incident_id).where(victims.c.victim_person_id == target)
        conn.execute(
            delete(victims).where(
                victims.c.victim_person_id == source, victims.c.incident_id.in_(both)
            )
        )
        conn.execute(
            update(victims)
            .where(victims.c.victim_person_id == source)
            .values(victim_person_id=target)
        )
        _relink(conn, target, rules)

    return handle


def projection(policy_dir: Path | None | object = _UNSET) -> Projection:
    """The MARAC projection; ``policy_dir`` (default: TANDEM_POLICY_DIR) gives the repeat
    rule that judges a merged person's referrals together, the one intake applies."""
    folder = Settings.from_env().policy_dir if policy_dir is _UNSET else policy_dir
    assert folder is None or isinstance(folder, Path)
    path = None if folder is None else folder / "marac.yaml"
    criteria = load_policy(path if path is not None and path.is_file() else None).criteria
    rules = (criteria.repeat_window_months, criteria.repeat_match)
    return Projection(
        name="marac",
        streams=("marac.cases", "marac.meetings", "police.incidents", "persons"),
        handlers={
            "ReferralSubmitted": referral_then_relink(rules),
            "PersonMatchDecided": person_match_decided(rules),
            "ReferralWithdrawn": referral_withdrawn,
            "ReferralCorrected": referral_corrected,
            "RiskAssessed": risk_assessed,
            "MeetingScheduled": meeting_scheduled,
            "AgendaPublished": agenda_published,
            "ActionAssigned": action_assigned,
            "ActionCompleted": action_completed,
            "IncidentRecorded": incident_recorded,
        },
        tables=TABLES,
    )
