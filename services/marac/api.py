"""MARAC routes: referrals, meetings, agendas, actions and the quarterly return."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection, RowMapping

from services.bootstrap import Platform
from services.intake.api_examples import ACTION_ID, CASE_ID, MEETING_ID, REFERRAL_ID
from services.intake.auth import CurrentCaller, require_role
from services.intake.deps import Db, Idempotency, PlatformDep
from services.intake.disclosure import Stored, disclose
from services.intake.downloads import agency_names, csv_download
from services.intake.errors import refused
from services.kernel.commands import CommandSession
from services.kernel.events import new_event
from services.marac import agendas, exports, queries
from services.marac.domain.actions import (
    ActionError,
    ActionStatus,
    Actor,
    NotDoneReason,
    change_status,
    is_overdue,
)
from services.marac.domain.agenda import AgendaError, added_on_the_day
from services.marac.domain.amendments import AmendmentClosed
from services.marac.domain.returns import ReturnError, parse_quarter
from services.marac.domain.working_days import agenda_cutoff
from services.marac.intake import (
    DuplicateReferral,
    NotTheReferrer,
    ReferralClosed,
    ReferralNotFound,
    ReferralRefused,
    amendable_until,
    correct_referral,
    marac_policy,
    submit_referral,
    withdraw_referral,
)
from services.marac.models import (
    ActionRequest,
    ActionStatusRequest,
    ActionView,
    AgendaView,
    CaseView,
    CorrectionRequest,
    DuplicateReferralDetail,
    DuplicateReferralProblem,
    Listing,
    MeetingRequest,
    MeetingView,
    PublishRequest,
    ReferralAccepted,
    ReferralAmended,
    ReferralRequest,
    ReferralView,
    WithdrawRequest,
)
from services.marac.returns import build_return
from services.sharing.service import Caller

router = APIRouter(prefix="/api/marac", tags=["marac"])

Referrer = Annotated[Caller, Depends(require_role("referrer", "coordinator"))]
Coordinator = Annotated[Caller, Depends(require_role("coordinator"))]
ReferralIdPath = Annotated[str, Path(description="the referral id", examples=[REFERRAL_ID])]
MeetingIdPath = Annotated[str, Path(description="the meeting id", examples=[MEETING_ID])]
CaseIdPath = Annotated[str, Path(description="the case id", examples=[CASE_ID])]
ActionIdPath = Annotated[str, Path(description="the action id", examples=[ACTION_ID])]
PURPOSE = "marac"


def _is_party(platform: Platform, agency: str) -> bool:
    agreements = platform.sharing.agreements.get().in_force(platform.today())
    return any(a.party(agency) for a in agreements)


# -- referrals -------------------------------------------------------------------------------


@router.post(
    "/referrals",
    response_model=ReferralAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="Refer a victim to MARAC",
    description=(
        "Scores DASH, works out which referral criteria are met, links the victim, "
        "perpetrators and children to existing persons by blind index, encrypts the sensitive "
        "fields and publishes ReferralSubmitted. A referral meeting no criterion, or to an "
        "area not in the MARAC policy, is refused with the reason (422 naming the field) and "
        "nothing is published. A referral your agency already sent (same victim, same DASH "
        "answers, same referral date) is refused with 409 naming it, unless "
        "`confirm_duplicate` is true; a confirmed duplicate joins the same case and is not "
        "flagged as a repeat. A retry with the same `Idempotency-Key` gets the first answer."
    ),
    responses={
        409: {
            "model": DuplicateReferralProblem,
            "description": "your agency already sent this referral: confirm it or withdraw one",
        }
    },
)
def submit(
    request: ReferralRequest,
    caller: Referrer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> ReferralAccepted:
    try:
        with platform.commands.begin(idempotency) as command:
            submission = submit_referral(platform, command.conn, caller, request)
            command.record(submission.events)
            return command.answer(submission.accepted)
    except ReferralRefused as exc:
        raise refused(exc.field, str(exc)) from exc
    except DuplicateReferral as exc:
        detail = DuplicateReferralDetail(
            msg=str(exc),
            existing_referral=exc.existing,
            to_send_anyway='send the referral again with "confirm_duplicate": true',
        )
        raise HTTPException(status.HTTP_409_CONFLICT, detail.model_dump(mode="json")) from exc


AMENDMENT_RESPONSES = {
    403: {"description": "only the referring agency may change its referral"},
    404: {"description": "no such referral, or not one your agency may see"},
    409: {"description": "withdrawn already, or past the cut-off (named) of its meeting"},
}


def _amend(platform: Platform, idempotency, change) -> ReferralAmended:
    try:
        with platform.commands.begin(idempotency) as command:
            amendment = change(command.conn)
            command.record(amendment.events)
            return command.answer(amendment.amended, 200)
    except ReferralNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except NotTheReferrer as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    except ReferralClosed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except ReferralRefused as exc:
        raise refused(exc.field, str(exc)) from exc


@router.post(
    "/referrals/{referral_id}/withdraw",
    response_model=ReferralAmended,
    summary="Withdraw a referral before its meeting's cut-off",
    description=(
        "Only the referring agency, and only until the agenda cut-off of the meeting the "
        "referral is for (the first of its MARAC whose cut-off is on or after the day it was "
        "received). Publishes ReferralWithdrawn with the reason (encrypted): the referral "
        "leaves the draft agenda, shows as withdrawn on an agenda already published, and no "
        "longer counts toward repeats or duplicates."
    ),
    responses=AMENDMENT_RESPONSES,
)
def withdraw(
    referral_id: ReferralIdPath,
    request: WithdrawRequest,
    caller: Referrer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> ReferralAmended:
    return _amend(
        platform,
        idempotency,
        lambda conn: withdraw_referral(platform, conn, caller, referral_id, request.reason),
    )


@router.post(
    "/referrals/{referral_id}/correction",
    response_model=ReferralAmended,
    summary="Correct a referral's DASH answers or reasons before its meeting's cut-off",
    description=(
        "Only the referring agency, and only until the cut-off (as for withdrawing). The fields "
        "given replace the referral's (the DASH answers as a whole); the score, risk level and "
        "criteria are re-evaluated from them (422 if no criterion is met any more: withdraw "
        "it instead). Publishes ReferralCorrected, encrypted like the referral; the agenda "
        "orders on the corrected score and marks the case corrected. To correct who the "
        "victim or perpetrator is, withdraw the referral and send a new one."
    ),
    responses=AMENDMENT_RESPONSES,
)
def correct(
    referral_id: ReferralIdPath,
    request: CorrectionRequest,
    caller: Referrer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> ReferralAmended:
    return _amend(
        platform,
        idempotency,
        lambda conn: correct_referral(platform, conn, caller, referral_id, request),
    )


def _visible_referral(db: Connection, caller: Caller, referral_id: str) -> RowMapping:
    """The referral, if the caller's agency made it or coordinates; otherwise 404, not 403."""
    row = queries.referral(db, referral_id)
    if row is None or (caller.role != "coordinator" and row["referring_agency"] != caller.agency):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
    return row


def _listings(db: Connection, case_id: str, today: dt.date) -> list[Listing]:
    return [
        Listing(
            meeting_id=m["meeting_id"],
            meeting_date=m["meeting_date"],
            heard=m["meeting_date"] <= today,
        )
        for m in queries.listings_for_case(db, case_id)
    ]


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralView,
    summary="What happened to a referral",
    description=(
        "The referring agency (and MARAC coordinators) see the referral, the meetings it was "
        "listed for, whether it was heard, and the actions on the case owned by their agency. "
        "Fields the agreement withholds from the caller's agency come back as withheld."
    ),
    responses={404: {"description": "no such referral, or not one your agency may see"}},
)
def get_referral(
    referral_id: ReferralIdPath, caller: CurrentCaller, db: Db, platform: PlatformDep
) -> ReferralView:
    row = _visible_referral(db, caller, referral_id)
    today = platform.today()
    own_actions = [
        a for a in queries.actions(db, case_ids=[row["case_id"]])
        if caller.role == "coordinator" or a["owner_agency"] == caller.agency
    ]  # fmt: skip
    stored = [Stored("ReferralSubmitted", row["event_id"], row["payload"])]
    stored += [
        Stored("ActionAssigned", a["assigned_event_id"], a["assigned_payload"]) for a in own_actions
    ]
    amendments = []
    if row["corrected_event_id"]:
        amendments.append(
            Stored("ReferralCorrected", row["corrected_event_id"], row["corrected_payload"])
        )
    if row["withdrawn_event_id"]:
        amendments.append(
            Stored("ReferralWithdrawn", row["withdrawn_event_id"], row["withdrawn_payload"])
        )
    shown = disclose(
        platform, caller, PURPOSE, f"GET /api/marac/referrals/{referral_id}", stored + amendments
    )
    detail = shown[0]
    correction = withdrawal = None
    rest = shown[len(stored) :]
    if row["corrected_event_id"]:
        correction, rest = rest[0], rest[1:]
        detail = detail | {  # the referral as corrected
            k: correction[k]
            for k in (
                "dash_form", "dash_answers", "dash_answers_health", "dash_answers_children",
                "dash_answers_offending", "dash_score", "risk_level", "criteria",
                "judgement_flags", "reason", "professional_judgement_reason",
            )
        }  # fmt: skip
    if row["withdrawn_event_id"]:
        withdrawal = rest[0]
    until, amendable = None, False
    if row["withdrawn_on"] is None and row["referring_agency"] == caller.agency:
        with contextlib.suppress(AmendmentClosed):  # past the cut-off: neither is set
            until, amendable = amendable_until(platform, db, row), True
    shown = shown[: len(stored)]
    return ReferralView(
        referral_id=row["referral_id"],
        reference=row["reference"],
        case_id=row["case_id"],
        case_reference=queries.case_reference(db, row["case_id"]),
        marac_area=row["marac_area"],
        referral_date=row["referral_date"],
        referring_agency=row["referring_agency"],
        dash_score=row["dash_score"],
        risk_level=row["risk_level"],
        criteria=list(row["criteria"]),
        repeat=row["is_repeat"],
        last_referral_date=row["last_referral_date"],
        listed_for=_listings(db, row["case_id"], today),
        withdrawn_on=row["withdrawn_on"],
        withdrawal_reason=withdrawal["reason"] if withdrawal else None,
        corrected_on=row["corrected_on"],
        correction_note=correction["correction_note"] if correction else None,
        amendable_until=until,
        amendable=amendable,
        actions=[
            agendas.action_view(a, payload["description"], today)
            for a, payload in zip(own_actions, shown[1:], strict=True)
        ],
        detail=detail,
    )


# -- cases -----------------------------------------------------------------------------------


def may_see_case(db: Connection, caller: Caller, referrals: list[RowMapping], case_id: str) -> bool:
    """Coordinators, an agency that referred the case, and an agency that owns an action on
    it (it must know whom the action is for): no one else learns that the case exists."""
    return (
        caller.role == "coordinator"
        or any(r["referring_agency"] == caller.agency for r in referrals)
        or queries.owns_action_on(db, caller.agency, case_id)
    )


@router.get(
    "/cases/{case_id}",
    response_model=CaseView,
    summary="A case: its latest referral as your agency may see it, its listings and actions",
    description=(
        "For MARAC coordinators, the agencies that referred the case and the agencies that own "
        "an action on it. The latest referral's fields come back as the agreement lets the "
        "caller's agency see them: what it is not granted is withheld, with the reason. Any "
        "other agency gets 404, as for a case that does not exist."
    ),
    responses={404: {"description": "no such case, or not one your agency may see"}},
)
def get_case(case_id: CaseIdPath, caller: CurrentCaller, db: Db, platform: PlatformDep) -> CaseView:
    referrals = queries.case_referrals(db, case_id)
    if not referrals or not may_see_case(db, caller, referrals, case_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no case {case_id}")
    latest = referrals[-1]
    today = platform.today()
    actions = [
        a for a in queries.actions(db, case_ids=[case_id])
        if caller.role == "coordinator" or a["owner_agency"] == caller.agency
    ]  # fmt: skip
    stored = [Stored("ReferralSubmitted", latest["event_id"], latest["payload"])]
    stored += [
        Stored("ActionAssigned", a["assigned_event_id"], a["assigned_payload"]) for a in actions
    ]
    shown = disclose(platform, caller, PURPOSE, f"GET /api/marac/cases/{case_id}", stored)
    return CaseView(
        case_id=case_id,
        case_reference=queries.case_reference(db, case_id),
        marac_area=latest["marac_area"],
        referral_date=latest["referral_date"],
        referring_agency=latest["referring_agency"],
        referrals=len(referrals),
        dash_score=latest["dash_score"],
        risk_level=latest["risk_level"],
        criteria=list(latest["criteria"]),
        repeat=latest["is_repeat"],
        last_referral_date=latest["last_referral_date"],
        listed_for=_listings(db, case_id, today),
        actions=[
            agendas.action_view(a, payload["description"], today)
            for a, payload in zip(actions, shown[1:], strict=True)
        ],
        detail=shown[0],
    )


# -- meetings and agendas --------------------------------------------------------------------


@router.post(
    "/meetings",
    response_model=MeetingView,
    status_code=status.HTTP_201_CREATED,
    summary="Schedule a MARAC meeting, or record one already held",
    description=(
        "The agenda cut-off is computed in working days (bank holidays excluded). The area must "
        "be one of the MARAC policy's areas. An area has at most one meeting a date (409), and "
        "its meetings' agenda windows may not overlap: each cut-off after the previous "
        "meeting's (422 naming `meeting_date`). A date in the past records a meeting already "
        "held: `recorded_after_the_event_reason` is then required and stored with it."
    ),
    responses={409: {"description": "the area already has a meeting on that date"}},
)
def schedule_meeting(
    request: MeetingRequest,
    caller: Coordinator,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> MeetingView:
    policy = marac_policy(platform)
    today = platform.today()
    _check_area(policy.areas, request.marac_area, "marac_area")
    reason = request.recorded_after_the_event_reason
    if request.meeting_date < today and not reason:
        raise refused(
            "recorded_after_the_event_reason",
            f"meeting_date {request.meeting_date} is in the past: to record a meeting already "
            "held, say why in recorded_after_the_event_reason",
        )
    if request.meeting_date > today and reason:
        raise refused(
            "recorded_after_the_event_reason",
            f"meeting_date {request.meeting_date} is in the future: only a meeting already "
            "held is recorded after the event",
        )
    if request.chair_agency and not _is_party(platform, request.chair_agency):
        raise refused("chair_agency", f"{request.chair_agency} is not a party to the agreement")
    meeting_id = f"m-{uuid.uuid4().hex[:10]}"
    payload = {
        "meeting_id": meeting_id,
        "marac_area": request.marac_area,
        "meeting_date": request.meeting_date,
        "cutoff_date": agenda_cutoff(
            request.meeting_date,
            policy.agenda_cutoff_working_days,
            extra_holidays=policy.extra_closure_dates,
        ),
        "capacity": request.capacity or policy.meeting_capacity,
        "venue": request.venue,
        "chair_agency": request.chair_agency,
        "recorded_after_the_event_reason": reason,
    }
    with platform.commands.begin(idempotency) as command:
        _check_meeting_fits(command.conn, payload)  # on current state, under the append lock
        command.record(
            [
                new_event(
                    "MeetingScheduled",
                    payload,
                    aggregate_id=meeting_id,
                    agency=caller.agency,
                    actor=caller.user,
                )
            ]
        )
        return command.answer(MeetingView(**payload))


def _check_area(areas: tuple[str, ...], area: str, field: str, where: str = "body") -> None:
    if area not in areas:
        raise refused(
            field,
            f"{area} is not a MARAC area of the policy (areas: {', '.join(areas)})",
            where,
        )


def _check_meeting_fits(conn: Connection, new: dict) -> None:
    """One meeting per area and date; cut-offs in date order, so agenda windows never overlap
    (the agenda rules need the previous meeting's cut-off before this one's)."""
    area, day, cutoff = new["marac_area"], new["meeting_date"], new["cutoff_date"]
    same_day = queries.meeting_on(conn, area, day)
    if same_day is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the {area} MARAC already has a meeting on {day}: {same_day['meeting_id']}",
        )
    before, after = queries.neighbouring_meetings(conn, area, day)
    if before is not None and before["cutoff_date"] >= cutoff:
        raise refused(
            "meeting_date",
            f"a meeting on {day} would have its agenda cut-off on {cutoff}, not after the "
            f"cut-off {before['cutoff_date']} of the {area} meeting on "
            f"{before['meeting_date']} ({before['meeting_id']}): the agendas would overlap",
        )
    if after is not None and after["cutoff_date"] <= cutoff:
        raise refused(
            "meeting_date",
            f"a meeting on {day} would have its agenda cut-off on {cutoff}, not before the "
            f"cut-off {after['cutoff_date']} of the {area} meeting on "
            f"{after['meeting_date']} ({after['meeting_id']}): the agendas would overlap",
        )


@router.get("/meetings", response_model=list[MeetingView], summary="Meetings, by MARAC area")
def list_meetings(
    caller: CurrentCaller,
    db: Db,
    area: Annotated[str | None, Query(description="MARAC area")] = None,
) -> list[MeetingView]:
    return [agendas.meeting_view(db, m) for m in queries.meetings(db, area)]


def _meeting(db: Connection, meeting_id: str) -> RowMapping:
    row = queries.meeting(db, meeting_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no meeting {meeting_id}")
    return row


@router.get(
    "/meetings/{meeting_id}/agenda",
    response_model=AgendaView,
    summary="A meeting's agenda (JSON, CSV or printable HTML)",
    description=(
        "The latest published version, or the draft the rules give now if none is published "
        "(or `draft=true`). Cases are ordered by the policy (repeats first, then DASH score, "
        "then referral date); cases over capacity are listed as overflow. Each reader sees "
        "what their agency may see under the agreement."
    ),
    responses={
        200: {
            "content": {"text/csv": {}, "text/html": {}},
            "description": "the agenda in the requested format",
        }
    },
)
def get_agenda(
    meeting_id: MeetingIdPath,
    caller: CurrentCaller,
    db: Db,
    platform: PlatformDep,
    format: Literal["json", "csv", "html"] = "json",
    version: Annotated[int | None, Query(ge=1)] = None,
    draft: bool = False,
):
    meeting = _meeting(db, meeting_id)
    try:
        agenda = agendas.view(
            platform, db, caller, meeting, version=version, draft_only=draft,
            route=f"GET /api/marac/meetings/{meeting_id}/agenda",
        )  # fmt: skip
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    if format == "csv":
        return csv_download(
            exports.agenda_csv(agenda, agency_names(platform)), f"agenda-{meeting_id}.csv"
        )
    if format == "html":
        return HTMLResponse(exports.agenda_html(agenda, caller, agency_names(platform)))
    return agenda


@router.post(
    "/meetings/{meeting_id}/agenda/publish",
    response_model=AgendaView,
    summary="Publish (or re-issue) a meeting's agenda",
    description=(
        "Freezes the draft as a new agenda version (AgendaPublished). Cases received after the "
        "cut-off, up to the end of the meeting day, are added only if listed in "
        "`late_case_ids`, and are marked late; a case received on the meeting day itself needs "
        "`late_reason`, which is recorded (encrypted) against each late case. Cases already "
        "heard at an earlier meeting are not listed again unless a referral since brings them "
        "back. The response shows what changed since the previous version."
    ),
)
def publish_agenda(
    meeting_id: MeetingIdPath,
    request: PublishRequest,
    caller: Coordinator,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> AgendaView:
    with platform.commands.begin(idempotency) as command:
        db = command.conn  # versions are numbered on current state: two publishes never clash
        meeting = _meeting(db, meeting_id)
        try:
            agenda = agendas.draft(platform, db, meeting, late_case_ids=request.late_case_ids)
        except AgendaError as exc:
            raise refused("late_case_ids", str(exc)) from exc
        on_the_day = added_on_the_day(agenda)
        if on_the_day and not request.late_reason:
            raise refused(
                "late_reason",
                f"case(s) {', '.join(on_the_day)} were received on the meeting day "
                f"{meeting['meeting_date']}: say why they are added on the day in late_reason",
            )
        late = [i.case.case_id for i in agenda.items + agenda.overflow if i.late]
        if request.late_reason and not late:
            raise refused("late_reason", "late_reason is for late cases, and none is added")
        versions = queries.agenda_versions(db, meeting_id)
        version = len(versions) + 1
        payload = {
            "meeting_id": meeting_id,
            "version": version,
            "case_ids": [i.case.case_id for i in agenda.items],
            "late_case_ids": [i.case.case_id for i in agenda.items if i.late],
            "overflow_case_ids": [i.case.case_id for i in agenda.overflow],
            "late_reasons": [
                {"case_id": c, "reason": request.late_reason} for c in late if request.late_reason
            ],
        }
        command.record(
            [
                new_event(
                    "AgendaPublished",
                    payload,
                    aggregate_id=meeting_id,
                    agency=caller.agency,
                    actor=caller.user,
                )
            ]
        )
        previous = agendas.published_version(db, meeting, versions[-1]) if versions else None
        return command.answer(
            agendas.present(
                platform,
                db,
                caller,
                meeting,
                agenda,
                "published",
                version,
                previous,
                route=f"POST /api/marac/meetings/{meeting_id}/agenda/publish",
                session=command,
            ),  # fmt: skip
            status_code=200,
        )


# -- actions ---------------------------------------------------------------------------------


@router.post(
    "/actions",
    response_model=ActionView,
    status_code=status.HTTP_201_CREATED,
    summary="Record an action agreed at a meeting",
    description=(
        "Refused with 422 naming the field for an unknown case or agency. With `meeting_id`, "
        "the meeting must be of the case's MARAC area and hear the case: list it on its latest "
        "published agenda or, while none is published, on its draft (422 naming `meeting_id`)."
    ),
)
def assign_action(
    request: ActionRequest,
    caller: Coordinator,
    db: Db,  # kept for callers that pass their connection; decisions read command.conn
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> ActionView:
    with platform.commands.begin(idempotency) as command:
        conn = command.conn
        if not queries.case_exists(conn, request.case_id):
            raise refused("case_id", f"no case {request.case_id}")
        if request.meeting_id:
            _check_meeting_hears(platform, conn, request.meeting_id, request.case_id)
        if not _is_party(platform, request.owner_agency):
            raise refused("owner_agency", f"{request.owner_agency} is not a party to the agreement")
        action_id = f"a-{uuid.uuid4().hex[:10]}"
        payload = {
            "case_id": request.case_id,
            "action_id": action_id,
            "meeting_id": request.meeting_id,
            "owner_agency": request.owner_agency,
            "description": request.description,
            "due_date": request.due_date,
        }
        command.record(
            [
                new_event(
                    "ActionAssigned",
                    payload,
                    aggregate_id=request.case_id,
                    agency=caller.agency,
                    actor=caller.user,
                )
            ]
        )
        return command.answer(
            ActionView(
                **{k: v for k, v in payload.items() if k != "description"},
                case_reference=queries.case_reference(command.conn, request.case_id),
                description={
                    "status": "shown",
                    "data_class": "risk.narrative",
                    "value": request.description,
                },
                status="open",
                overdue=request.due_date < platform.today(),
            )
        )


def _check_meeting_hears(platform: Platform, conn: Connection, meeting_id: str, case_id: str):
    """An action agreed at a meeting: a meeting of the case's area that hears the case."""
    meeting = queries.meeting(conn, meeting_id)
    if meeting is None:
        raise refused("meeting_id", f"no meeting {meeting_id}")
    case_area = queries.case_area(conn, case_id)
    if case_area != meeting["marac_area"]:
        raise refused(
            "meeting_id",
            f"meeting {meeting_id} is a {meeting['marac_area']} MARAC meeting; case {case_id} "
            f"is referred to the {case_area} MARAC",
        )
    try:
        heard = agendas.cases_heard(platform, conn, meeting)
    except AgendaError as exc:
        raise refused(
            "meeting_id", f"meeting {meeting_id}'s agenda cannot be built: {exc}"
        ) from exc
    if case_id not in heard:
        raise refused(
            "meeting_id",
            f"case {case_id} is not on the agenda of meeting {meeting_id} "
            f"({meeting['meeting_date']}): record the action at a meeting that hears the case",
        )


@router.post(
    "/actions/{action_id}/status",
    response_model=ActionView,
    summary="Mark an action done, or not done with a reason",
    description="Only the owning agency may change an action's status.",
    responses={
        403: {"description": "your agency does not own the action"},
        404: {"description": "no such action"},
        409: {"description": "the action is already closed"},
    },
)
def change_action_status(
    action_id: ActionIdPath,
    request: ActionStatusRequest,
    caller: CurrentCaller,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> ActionView:
    with platform.commands.begin(idempotency) as command:
        return command.answer(
            _change_action_status(platform, command, caller, action_id, request), 200
        )


def _change_action_status(
    platform: Platform,
    command: CommandSession,
    caller: Caller,
    action_id: str,
    request: ActionStatusRequest,
) -> ActionView:
    """Decided on the action as it is now: two owners closing it at once cannot both win."""
    db = command.conn
    row = queries.action(db, action_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no action {action_id}")
    if row["owner_agency"] != caller.agency:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"only the owning agency ({row['owner_agency']}) may change this action's status",
        )
    if request.status == "not_done" and request.reason is None:
        raise refused("reason", "a reason is required when an action is not done")
    try:
        change_status(
            queries.to_action(row),
            ActionStatus(request.status),
            Actor(agency=caller.agency, is_coordinator=caller.role == "coordinator"),
            reason=NotDoneReason(request.reason) if request.reason else None,
        )
    except ActionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    payload = {
        "case_id": row["case_id"],
        "action_id": action_id,
        "outcome": request.status,
        "not_done_reason": request.reason,
        "note": request.note,
        "completed_on": platform.today(),
    }
    command.record(
        [
            new_event(
                "ActionCompleted",
                payload,
                aggregate_id=row["case_id"],
                agency=caller.agency,
                actor=caller.user,
            )
        ]
    )
    [shown] = disclose(
        platform, caller, PURPOSE, f"POST /api/marac/actions/{action_id}/status",
        [Stored("ActionAssigned", row["assigned_event_id"], row["assigned_payload"])],
        session=command,
    )  # fmt: skip
    view = agendas.action_view(row, shown["description"], platform.today())
    return view.model_copy(
        update={"status": request.status, "not_done_reason": request.reason, "overdue": False}
    )


@router.get(
    "/actions",
    response_model=list[ActionView],
    summary="Actions by agency, optionally only the overdue ones",
    description="Coordinators see every agency's actions; others see their own agency's.",
)
def list_actions(
    caller: CurrentCaller,
    db: Db,
    platform: PlatformDep,
    agency: Annotated[str | None, Query(description="owning agency")] = None,
    overdue: Annotated[bool, Query(description="only open actions past their due date")] = False,
) -> list[ActionView]:
    if caller.role != "coordinator":
        if agency and agency != caller.agency:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "you may list only your agency's actions"
            )
        agency = caller.agency
    today = platform.today()
    rows = queries.actions(db, agency=agency)
    if overdue:
        rows = [r for r in rows if is_overdue(queries.to_action(r), today)]
    shown = disclose(
        platform, caller, PURPOSE, "GET /api/marac/actions",
        [Stored("ActionAssigned", r["assigned_event_id"], r["assigned_payload"]) for r in rows],
    )  # fmt: skip
    return [
        agendas.action_view(r, s["description"], today) for r, s in zip(rows, shown, strict=True)
    ]


# -- quarterly return ------------------------------------------------------------------------


@router.get(
    "/returns",
    summary="The quarterly data return for a MARAC (CSV)",
    description=(
        "SafeLives-style meeting-level aggregates for meetings held in a calendar quarter: "
        "cases, repeats, referrals by agency, diversity counts, children and young perpetrators. "
        "`marac` must be one of the MARAC policy's areas and `quarter` like 2026Q3; otherwise "
        "422 naming the parameter, in the validation-error shape documented below."
    ),
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "one row per meeting and a total"},
        409: {"description": "the stored meetings and cases cannot make a return (data error)"},
    },
)
def quarterly_return(
    caller: Coordinator,
    db: Db,
    platform: PlatformDep,
    marac: Annotated[str, Query(min_length=1, description="MARAC area", examples=["oxford"])],
    quarter: Annotated[str, Query(description="calendar quarter", examples=["2026Q3"])],
) -> Response:
    _check_area(marac_policy(platform).areas, marac, "marac", where="query")
    try:
        parsed = parse_quarter(quarter)
    except (ValueError, ReturnError) as exc:
        raise refused("quarter", str(exc), where="query") from exc
    try:
        result = build_return(platform, db, caller, marac, parsed, "GET /api/marac/returns")
    except ReturnError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return csv_download(
        exports.quarterly_return_csv(result, quarter), f"marac-return-{marac}-{quarter}.csv"
    )
