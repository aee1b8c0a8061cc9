"""Turning a referral request into a ReferralSubmitted event: score, match, decide, build.

The order matters: everything that can refuse the referral (DASH keys, dates, criteria) runs
before anything is published, so a refused referral leaves no trace on any topic.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection

from services.bootstrap import Platform
from services.kernel import references
from services.kernel.events import Event, new_event
from services.kernel.references import ReferenceKind
from services.marac import queries
from services.marac.domain.criteria import CriteriaError, ReferralFacts, assess_criteria
from services.marac.domain.dash import DashForm, InvalidDashAnswer, UnknownDashQuestion, score_dash
from services.marac.models import PersonLink, ReferralAccepted, ReferralRequest
from services.marac.policy import MaracPolicy, load_policy
from services.sharing.matching import match_person
from services.sharing.service import Caller


class ReferralRefused(ValueError):
    """The referral cannot be accepted; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def marac_policy(platform: Platform) -> MaracPolicy:
    return load_policy(platform.policy_path("marac"))


def policy_areas(platform: Platform) -> list[str]:
    """The MARAC policy's areas: the only ones referrals, meetings and returns may name."""
    return list(marac_policy(platform).areas)


def _check_dates(request: ReferralRequest, today: dt.date) -> None:
    dates = [
        ("referral_date", request.referral_date),
        ("victim.date_of_birth", request.victim.date_of_birth),
    ]
    dates += [
        (f"perpetrators[{i}].date_of_birth", p.date_of_birth)
        for i, p in enumerate(request.perpetrators)
    ]
    dates += [
        (f"children[{i}].date_of_birth", c.date_of_birth) for i, c in enumerate(request.children)
    ]
    for field, value in dates:
        if value is not None and value > today:
            raise ReferralRefused(field, f"{field} {value} is in the future")


def _agency_type(platform: Platform, agency: str) -> str:
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        party = agreement.party(agency)
        if party:
            return party.party_type if party.party_type in (
                "police", "idva", "housing", "health", "csc", "probation"
            ) else "other"  # fmt: skip
    return "other"


@dataclass(frozen=True)
class Submission:
    events: list[Event]
    accepted: ReferralAccepted


def submit_referral(
    platform: Platform, conn: Connection, caller: Caller, request: ReferralRequest
) -> Submission:
    today = platform.today()
    policy = marac_policy(platform)
    if request.marac_area not in policy.areas:
        raise ReferralRefused(
            "marac_area",
            f"{request.marac_area} is not a MARAC area of the policy "
            f"(areas: {', '.join(policy.areas)})",
        )
    _check_dates(request, today)
    referral_date = request.referral_date or today
    try:
        dash = score_dash(
            request.dash.answers, DashForm(request.dash.form), bands=policy.dash_bands
        )
    except (UnknownDashQuestion, InvalidDashAnswer) as exc:
        raise ReferralRefused("dash.answers", str(exc)) from exc

    correlation_id = str(uuid.uuid4())
    person_events: list[Event] = []

    def match(role: str, name: str | None, dob: dt.date | None):
        found = match_person(
            conn,
            platform.blind_index_key,
            role=role,
            full_name=name,
            date_of_birth=dob.isoformat() if dob else None,
            agency=caller.agency,
            actor=caller.user,
            correlation_id=correlation_id,
        )
        person_events.extend(found.events)
        return found

    victim = match("victim", request.victim.name, request.victim.date_of_birth)
    perpetrators = [match("perpetrator", p.name, p.date_of_birth) for p in request.perpetrators]
    children = [match("child", c.name, c.date_of_birth) for c in request.children]

    facts = ReferralFacts(
        referral_date=referral_date,
        victim_id=victim.person_id,
        perpetrator_ids=frozenset(p.person_id for p in perpetrators),
        dash_score=dash.score,
        professional_judgement=request.professional_judgement_reason is not None,
        professional_judgement_reason=request.professional_judgement_reason,
        police_incident_dates=queries.police_incident_dates(conn, victim.person_id),
        prior_referrals=tuple(queries.prior_referrals(conn, victim.person_id)),
    )
    try:
        decision = assess_criteria(facts, policy.criteria)
    except CriteriaError as exc:
        raise ReferralRefused("professional_judgement_reason", str(exc)) from exc
    if not decision.accepted:
        raise ReferralRefused("criteria", decision.refusal_reason or "no referral criterion is met")

    repeat = decision.repeat
    case_id = None
    if repeat.is_repeat and repeat.last_referral_id:
        case_id = queries.case_of_referral(conn, repeat.last_referral_id)
    case_reference = queries.case_reference(conn, case_id) if case_id else None
    case_id = case_id or f"c-{uuid.uuid4().hex[:10]}"
    referral_id = f"r-{uuid.uuid4().hex[:10]}"
    # Inside the command's transaction (append lock held): unique under concurrent posts.
    year = today.year
    reference = references.allocate(conn, ReferenceKind.MARAC_REFERRAL, request.marac_area, year)
    if case_reference is None:  # a new case, or one opened before references existed
        case_reference = references.allocate(
            conn, ReferenceKind.MARAC_CASE, request.marac_area, year
        )

    payload = {
        "case_id": case_id,
        "referral_id": referral_id,
        "reference": reference,
        "case_reference": case_reference,
        "marac_area": request.marac_area,
        "referral_date": referral_date,
        "referring_agency": caller.agency,
        "referring_agency_type": _agency_type(platform, caller.agency),
        "referrer": {"referral_id": referral_id, **request.referrer.model_dump()},
        "victim": {
            "person_id": victim.person_id,
            **request.victim.model_dump(mode="json"),
        },
        "perpetrators": [
            {"person_id": m.person_id, **p.model_dump(mode="json")}
            for m, p in zip(perpetrators, request.perpetrators, strict=True)
        ],
        "children": [
            {"person_id": m.person_id, **c.model_dump(mode="json")}
            for m, c in zip(children, request.children, strict=True)
        ],
        "dash_form": request.dash.form,
        "dash_answers": json.dumps(request.dash.answers, sort_keys=True),
        "dash_score": dash.score,
        "risk_level": str(dash.risk_level),
        "criteria": [str(c) for c in decision.criteria_met],
        "judgement_flags": sorted(str(f) for f in dash.judgement_flags),
        "repeat": repeat.is_repeat,
        "last_referral_date": repeat.last_referral_date,
        "victim_aware": request.victim_aware,
        "victim_consented": request.victim_consented,
        "consent_override_reason": request.consent_override_reason,
        "feared_person": request.feared_person,
        "previous_maracs": request.previous_maracs,
        "reason": request.reason,
        "professional_judgement_reason": request.professional_judgement_reason,
        "police": {"case_id": case_id, **request.police.model_dump()} if request.police else None,
        "agencies_involved": request.agencies_involved,
        "idva_allocated": request.idva_allocated,
    }
    referral = new_event(
        "ReferralSubmitted",
        payload,
        aggregate_id=case_id,
        agency=caller.agency,
        actor=caller.user,
        correlation_id=correlation_id,
    )
    accepted = ReferralAccepted(
        case_id=case_id,
        referral_id=referral_id,
        reference=reference,
        case_reference=case_reference,
        dash_score=dash.score,
        risk_level=str(dash.risk_level),
        criteria_met=payload["criteria"],
        repeat=repeat.is_repeat,
        last_referral_date=repeat.last_referral_date if repeat.is_repeat else None,
        judgement_flags=payload["judgement_flags"],
        stalking_screen_needed=dash.stalking_screen_needed,
        victim=PersonLink(person_id=victim.person_id, match=victim.kind),
        perpetrators=[PersonLink(person_id=p.person_id, match=p.kind) for p in perpetrators],
    )
    return Submission(person_events + [referral], accepted)
