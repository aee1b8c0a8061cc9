"""Turning a referral request into a ReferralSubmitted event: score, match, decide, build.

The order matters: everything that can refuse the referral (DASH keys, dates, criteria) runs
before anything is published, so a refused referral leaves no trace on any topic.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping

from services.bootstrap import Platform
from services.kernel import references
from services.kernel.events import Event, new_event
from services.kernel.references import ReferenceKind
from services.marac import queries
from services.marac.domain.amendments import (
    AmendmentClosed,
    ScheduledMeeting,
    SentReferral,
    check_amendable,
    find_duplicate,
)
from services.marac.domain.criteria import CriteriaError, ReferralFacts, assess_criteria
from services.marac.domain.dash import DashForm, InvalidDashAnswer, UnknownDashQuestion, score_dash
from services.marac.models import (
    CorrectionRequest,
    ExistingReferral,
    PersonLink,
    ReferralAccepted,
    ReferralAmended,
    ReferralRequest,
)
from services.marac.policy import MaracPolicy, load_policy
from services.sharing.matching import match_person
from services.sharing.service import Caller


class ReferralRefused(ValueError):
    """The referral cannot be accepted; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class DuplicateReferral(Exception):
    """The caller's agency already sent this referral today; it needs confirming."""

    def __init__(self, existing: ExistingReferral):
        self.existing = existing
        super().__init__(
            f"your agency already referred this victim with the same DASH answers on "
            f"{existing.referral_date.isoformat()}: referral {existing.referral_id} (case "
            f"{existing.case_id}). If this second referral is meant, send it again with "
            '"confirm_duplicate": true; to replace the first, withdraw it'
        )


class ReferralNotFound(LookupError):
    """No such referral, or not one the caller's agency may see."""


class NotTheReferrer(PermissionError):
    """Only the referring agency may withdraw or correct its referral."""


class ReferralClosed(Exception):
    """The referral is withdrawn, or past its meeting's cut-off: it can no longer change."""

    def __init__(self, message: str, meeting: ScheduledMeeting | None = None):
        self.meeting = meeting  # set when the cut-off of this meeting has passed
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
    duplicates = _duplicates(platform, conn, caller, victim.person_id, referral_date, request)
    if duplicates and not request.confirm_duplicate:
        first = duplicates[0]
        raise DuplicateReferral(
            ExistingReferral(
                referral_id=first["referral_id"],
                case_id=first["case_id"],
                case_reference=queries.case_reference(conn, first["case_id"]),
                referral_date=first["referral_date"],
                received_at=_utc(first["received_at"]),
            )
        )
    perpetrators = [match("perpetrator", p.name, p.date_of_birth) for p in request.perpetrators]
    children = [match("child", c.name, c.date_of_birth) for c in request.children]
    # a confirmed duplicate is not a repeat of the referrals it duplicates
    duplicated_ids = {d["referral_id"] for d in duplicates}
    prior = [
        p for p in queries.prior_referrals(conn, victim.person_id)
        if p.referral_id not in duplicated_ids
    ]  # fmt: skip

    facts = ReferralFacts(
        referral_date=referral_date,
        victim_id=victim.person_id,
        perpetrator_ids=frozenset(p.person_id for p in perpetrators),
        dash_score=dash.score,
        professional_judgement=request.professional_judgement_reason is not None,
        professional_judgement_reason=request.professional_judgement_reason,
        police_incident_dates=queries.police_incident_dates(conn, victim.person_id),
        prior_referrals=tuple(prior),
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
    if case_id is None and duplicates:
        case_id = duplicates[0]["case_id"]  # the same victim, the same day: the same case
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
        "stalking_screen": (
            json.dumps(request.stalking_screen.answers, sort_keys=True)
            if request.stalking_screen
            else None
        ),
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


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment  # SQLite: naive


# -- duplicates ------------------------------------------------------------------------------

DASH_FIELDS = (
    "dash_answers",
    "dash_answers_health",
    "dash_answers_children",
    "dash_answers_offending",
)


def joined_dash_answers(record: Mapping[str, Any]) -> dict[str, str] | None:
    """All DASH answers from a decrypted record's four groups (None if a group is not shown).

    Takes Protected values or their JSON form; events before the split hold every answer in
    ``dash_answers`` and the other groups are null.
    """
    answers: dict[str, str] = {}
    for name in DASH_FIELDS:
        value = record.get(name)
        if value is None:
            continue
        status = value["status"] if isinstance(value, Mapping) else value.status
        if status != "shown":
            return None
        text = value["value"] if isinstance(value, Mapping) else value.value
        answers.update(json.loads(text))
    return answers


def current_dash(platform: Platform, row: RowMapping) -> tuple[str, dict[str, str] | None]:
    """A referral's DASH form and answers as they stand (as corrected, if corrected), read
    back for the agency that supplied them."""
    if row["corrected_event_id"]:
        payload = row["corrected_payload"]
        record = platform.sharing.reveal_to_supplier(
            "ReferralCorrected", row["corrected_event_id"], payload
        )
    else:
        payload = row["payload"]
        record = platform.sharing.reveal_to_supplier("ReferralSubmitted", row["event_id"], payload)
    return payload["dash_form"], joined_dash_answers(record)


def _duplicates(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    victim_id: str,
    referral_date: dt.date,
    request: ReferralRequest,
) -> list[RowMapping]:
    """The caller's agency's referrals this one duplicates (on current state, in the command's
    transaction). Only the agency's own same-day referrals of the victim are candidates, so
    only what it supplied itself is decrypted, and usually nothing at all."""
    found = []
    for row in queries.same_day_referrals(conn, caller.agency, victim_id, referral_date):
        form, answers = current_dash(platform, row)
        sent = SentReferral(
            referral_id=row["referral_id"],
            case_id=row["case_id"],
            referring_agency=row["referring_agency"],
            victim_id=row["victim_person_id"],
            referral_date=row["referral_date"],
            dash_form=form,
            dash_answers=answers or {},
        )
        if answers is not None and find_duplicate(
            referring_agency=caller.agency,
            victim_id=victim_id,
            referral_date=referral_date,
            dash_form=request.dash.form,
            dash_answers=request.dash.answers,
            earlier=[sent],
        ):
            found.append(row)
    return found


# -- withdrawal and correction ---------------------------------------------------------------


@dataclass(frozen=True)
class Amendment:
    events: list[Event]
    amended: ReferralAmended


def amendable_until(platform: Platform, conn: Connection, row: RowMapping) -> dt.date | None:
    """The cut-off up to which the referral may still change (None: no meeting scheduled
    yet); raises AmendmentClosed once it has passed."""
    from services.marac.agendas import received_on  # agendas imports this module

    meetings = [
        ScheduledMeeting(m["meeting_id"], m["meeting_date"], m["cutoff_date"])
        for m in queries.meetings(conn, row["marac_area"])
    ]
    meeting = check_amendable(platform.today(), received_on(row), meetings)
    return meeting.cutoff if meeting else None


def _amendable_referral(
    platform: Platform, conn: Connection, caller: Caller, referral_id: str
) -> RowMapping:
    """The referral, if the caller's agency sent it and it may still change."""
    row = queries.referral(conn, referral_id)
    if row is None or (caller.role != "coordinator" and row["referring_agency"] != caller.agency):
        raise ReferralNotFound(f"no referral {referral_id}")
    if row["referring_agency"] != caller.agency:
        raise NotTheReferrer(
            f"only the referring agency ({row['referring_agency']}) may withdraw or correct "
            "this referral"
        )
    if row["withdrawn_on"] is not None:
        raise ReferralClosed(f"referral {referral_id} was withdrawn on {row['withdrawn_on']}")
    try:
        amendable_until(platform, conn, row)
    except AmendmentClosed as exc:
        raise ReferralClosed(str(exc), exc.meeting) from exc
    return row


def withdraw_referral(
    platform: Platform, conn: Connection, caller: Caller, referral_id: str, reason: str
) -> Amendment:
    row = _amendable_referral(platform, conn, caller, referral_id)
    today = platform.today()
    event = new_event(
        "ReferralWithdrawn",
        {
            "case_id": row["case_id"],
            "referral_id": referral_id,
            "withdrawn_on": today,
            "reason": reason,
        },
        aggregate_id=row["case_id"],
        agency=caller.agency,
        actor=caller.user,
    )
    flags = (row["corrected_payload"] or row["payload"]).get("judgement_flags") or []
    return Amendment(
        [event],
        ReferralAmended(
            referral_id=referral_id,
            case_id=row["case_id"],
            status="withdrawn",
            on=today,
            dash_score=row["dash_score"],
            risk_level=row["risk_level"],
            criteria_met=list(row["criteria"]),
            judgement_flags=list(flags),
        ),
    )


def correct_referral(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    referral_id: str,
    request: CorrectionRequest,
) -> Amendment:
    """Re-score and re-assess the referral with the corrected answers, on current state."""
    row = _amendable_referral(platform, conn, caller, referral_id)
    policy = marac_policy(platform)
    today = platform.today()
    current = (
        platform.sharing.reveal_to_supplier(
            "ReferralCorrected", row["corrected_event_id"], row["corrected_payload"]
        )
        if row["corrected_event_id"]
        else platform.sharing.reveal_to_supplier(
            "ReferralSubmitted", row["event_id"], row["payload"]
        )
    )
    form, answers = current_dash(platform, row)
    if request.dash is not None:
        form, answers = request.dash.form, dict(request.dash.answers)
    if answers is None:
        raise ReferralRefused("dash", "the referral's DASH answers were erased: give them again")

    def text(name: str, given: str | None) -> str | None:
        if given is not None:
            return given
        value = current.get(name)
        return value.value if value is not None and value.status == "shown" else None

    reason = text("reason", request.reason)
    if reason is None:
        raise ReferralRefused("reason", "the referral's reason was erased: give it again")
    judgement = text("professional_judgement_reason", request.professional_judgement_reason)
    try:
        dash = score_dash(answers, DashForm(form), bands=policy.dash_bands)
    except (UnknownDashQuestion, InvalidDashAnswer) as exc:
        raise ReferralRefused("dash.answers", str(exc)) from exc
    victim_id = row["victim_person_id"]
    facts = ReferralFacts(
        referral_date=row["referral_date"],
        victim_id=victim_id,
        perpetrator_ids=frozenset(row["perpetrator_ids"]),
        dash_score=dash.score,
        professional_judgement=judgement is not None,
        professional_judgement_reason=judgement,
        police_incident_dates=queries.police_incident_dates(conn, victim_id),
        prior_referrals=tuple(
            p
            for p in queries.prior_referrals(conn, victim_id, received_before=row["received_at"])
            if p.referral_id != referral_id
        ),  # fmt: skip
    )
    try:
        decision = assess_criteria(facts, policy.criteria)
    except CriteriaError as exc:
        raise ReferralRefused("professional_judgement_reason", str(exc)) from exc
    if not decision.accepted:
        raise ReferralRefused(
            "criteria",
            f"as corrected, the referral meets no MARAC criterion "
            f"({decision.refusal_reason or 'none is met'}): withdraw it instead",
        )
    payload = {
        "case_id": row["case_id"],
        "referral_id": referral_id,
        "corrected_on": today,
        "dash_form": form,
        "dash_answers": json.dumps(answers, sort_keys=True),
        "dash_score": dash.score,
        "risk_level": str(dash.risk_level),
        "criteria": [str(c) for c in decision.criteria_met],
        "judgement_flags": sorted(str(f) for f in dash.judgement_flags),
        "reason": reason,
        "professional_judgement_reason": judgement,
        "correction_note": request.correction_note,
    }
    event = new_event(
        "ReferralCorrected",
        payload,
        aggregate_id=row["case_id"],
        agency=caller.agency,
        actor=caller.user,
    )
    return Amendment(
        [event],
        ReferralAmended(
            referral_id=referral_id,
            case_id=row["case_id"],
            status="corrected",
            on=today,
            dash_score=dash.score,
            risk_level=payload["risk_level"],
            criteria_met=payload["criteria"],
            judgement_flags=payload["judgement_flags"],
        ),
    )
