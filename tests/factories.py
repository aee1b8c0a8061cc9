"""Realistic test data, built by hand so tests state what they expect."""

from __future__ import annotations

import datetime as dt
import uuid

from services.kernel.events import Event, new_event


def referral_payload(
    *,
    case_id: str | None = None,
    referral_id: str | None = None,
    victim_id: str = "p-victim-1",
    victim_name: str = "Jane Smith",
    referral_date: dt.date = dt.date(2026, 11, 2),
    dash_score: int = 15,
    repeat: bool = False,
    agency: str = "idva-oxon",
) -> dict:
    referral_id = referral_id or f"r-{uuid.uuid4().hex[:8]}"
    return {
        "case_id": case_id or f"c-{uuid.uuid4().hex[:8]}",
        "referral_id": referral_id,
        "marac_area": "oxford",
        "referral_date": referral_date,
        "referring_agency": agency,
        "referring_agency_type": "idva",
        "referrer": {"referral_id": referral_id, "name": "Sam Patel", "email": "sam@idva.example"},
        "victim": {
            "person_id": victim_id,
            "name": victim_name,
            "date_of_birth": "1990-02-03",
            "address": "12 Cowley Road, Oxford OX4 1AA",
            "phone": "07700 900123",
            "safe_to_call": False,
            "gender": "female",
            "ethnicity": "white",
        },
        "perpetrators": [
            {
                "person_id": "p-perp-1",
                "name": "John Smith",
                "date_of_birth": "1987-06-30",
                "relationship_to_victim": "ex-partner",
            }
        ],
        "children": [
            {"person_id": "p-child-1", "name": "Amy Smith", "date_of_birth": "2018-04-01"}
        ],
        "dash_form": "partner",
        "dash_answers": '{"injury": "yes", "strangulation": "yes"}',
        "dash_score": dash_score,
        "risk_level": "high" if dash_score >= 14 else "medium",
        "criteria": ["visible_high_risk"] if dash_score >= 14 else ["professional_judgement"],
        "repeat": repeat,
        "last_referral_date": None,
        "victim_aware": "yes",
        "victim_consented": "yes",
        "reason": "Strangled last week; separation in progress.",
    }


def referral_event(**kwargs) -> Event:
    payload = referral_payload(**kwargs)
    return new_event(
        "ReferralSubmitted",
        payload,
        aggregate_id=payload["case_id"],
        agency=payload["referring_agency"],
        actor="test-user",
    )


def meeting_event(meeting_id: str = "m-1", **overrides) -> Event:
    payload = {
        "meeting_id": meeting_id,
        "marac_area": "oxford",
        "meeting_date": dt.date(2026, 12, 10),
        "cutoff_date": dt.date(2026, 12, 3),
        "capacity": 20,
        **overrides,
    }
    return new_event(
        "MeetingScheduled", payload, aggregate_id=meeting_id, agency="marac-coord", actor="t"
    )
