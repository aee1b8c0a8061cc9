"""MARAC projection handlers: each applies one event type to the MARAC read model."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from projections.marac import TABLES, marac_cases, marac_referrals
from projections.runtime import Projection
from services.kernel.conform import to_json
from services.kernel.events import Event


def referral_submitted(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        marac_referrals.insert().values(
            referral_id=p["referral_id"],
            case_id=p["case_id"],
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
        )
    )


def projection() -> Projection:
    return Projection(
        name="marac",
        streams=("marac.cases", "marac.meetings", "police.incidents"),
        handlers={"ReferralSubmitted": referral_submitted},
        tables=TABLES,
    )
