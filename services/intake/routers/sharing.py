"""Audit trail, erasure and person-match decisions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from projections.sharing import access_log, match_proposals
from services.intake.api_examples import ERASED_SUBJECT_ID, MATCH_PROPOSAL_ID
from services.intake.auth import require_role
from services.intake.deps import Db, Idempotency, PlatformDep
from services.intake.web.core import PageRoute, agency_name, render, require
from services.intake.web.referral_form import Errors
from services.kernel.commands import CommandSession
from services.kernel.events import new_event
from services.sharing.errors import SubjectAlreadyErased
from services.sharing.service import Caller, SharingService, SubjectNotFound

router = APIRouter(prefix="/api", tags=["sharing"])

DpoOrCoordinator = Annotated[Caller, Depends(require_role("dpo", "coordinator"))]
Dpo = Annotated[Caller, Depends(require_role("dpo"))]
Coordinator = Annotated[Caller, Depends(require_role("coordinator"))]


class Access(BaseModel):
    user: str
    agency: str
    data_classes: list[str]
    purpose: str
    agreement_id: str
    agreement_version: int
    route: str
    accessed_at: dt.datetime


class AccessReport(BaseModel):
    subject_id: str
    accesses: list[Access]


@router.get(
    "/audit/access",
    response_model=AccessReport,
    summary="Who has accessed a data subject's sensitive fields",
    description=(
        "Every decrypting read is recorded as a DataAccessed event; this lists them. The trail "
        "belongs to the data controller: a caller reads it for subjects their agency recorded "
        "data about, or for any subject when the agreement names their agency partnership-wide; "
        "any other subject answers 404, as an unknown one does."
    ),
    responses={404: {"description": "no such subject, or none the caller's agency holds"}},
)
def who_accessed(
    caller: DpoOrCoordinator,
    db: Db,
    platform: PlatformDep,
    subject_id: Annotated[str, Query(description="person, case or nominal id", min_length=1)],
) -> AccessReport:
    _check_scope(platform.sharing, caller, subject_id)
    rows = db.execute(
        select(access_log)
        .where(access_log.c.subject_id == subject_id)
        .order_by(access_log.c.accessed_at, access_log.c.event_id)
    ).all()
    return AccessReport(
        subject_id=subject_id, accesses=[Access.model_validate(r._mapping) for r in rows]
    )


def _check_scope(sharing: SharingService, caller: Caller, subject_id: str) -> None:
    try:
        sharing.check_scope(caller.agency, subject_id)
    except SubjectNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


class ErasureRequest(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "subject_id": ERASED_SUBJECT_ID,
                    "reason": "Right to erasure request ref DPO-2026-114",
                }
            ]
        }
    }

    subject_id: str = Field(min_length=1, max_length=128, examples=[ERASED_SUBJECT_ID])
    reason: str = Field(
        min_length=3,
        max_length=1000,
        examples=["Right to erasure request ref DPO-2026-114"],
        description="why, e.g. the request reference; recorded encrypted (erasure.reason)",
    )


class ErasureResult(BaseModel):
    subject_id: str
    keys_destroyed: int
    event_id: str


@router.post(
    "/sharing/erasures",
    response_model=ErasureResult,
    status_code=status.HTTP_201_CREATED,
    summary="Erase a data subject by destroying their keys (crypto-shredding)",
    description=(
        "Irreversible. A DPO erases subjects their agency recorded data about; the DPO of an "
        "agency the agreement names partnership-wide erases any known subject. The event "
        "records who asked and why (the reason encrypted)."
    ),
    responses={
        404: {"description": "no such subject, or none the caller's agency holds data about"},
        409: {"description": "the subject was already erased"},
    },
)
def erase_subject(caller: Dpo, request: ErasureRequest, platform: PlatformDep) -> ErasureResult:
    try:
        event = platform.sharing.erasure_event(request.subject_id, request.reason, caller)
    except SubjectNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except SubjectAlreadyErased:
        erased_at = platform.vault.erased_at(request.subject_id)
        when = f" on {erased_at:%Y-%m-%d}" if erased_at else ""
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"subject {request.subject_id} was already erased{when}; "
            "an erasure is done once and cannot be repeated",
        ) from None
    platform.record([event])
    return ErasureResult(
        subject_id=request.subject_id,
        keys_destroyed=event.payload["keys_destroyed"],
        event_id=event.event_id,
    )


class MatchProposal(BaseModel):
    proposal_id: str
    person_id: str
    candidate_person_id: str
    variants: list[str] = Field(description="which blind-index variants agreed")
    status: Literal["pending", "confirmed", "rejected"]
    proposed_by_agency: str
    proposed_at: dt.datetime
    decided_by: str | None = None


@router.get(
    "/persons/matches",
    response_model=list[MatchProposal],
    summary="Near matches between persons awaiting a coordinator's decision",
)
def list_matches(
    caller: Coordinator,
    db: Db,
    status_filter: Annotated[
        Literal["pending", "confirmed", "rejected"], Query(alias="status")
    ] = "pending",
) -> list[MatchProposal]:
    rows = db.execute(
        select(match_proposals)
        .where(match_proposals.c.status == status_filter)
        .order_by(match_proposals.c.proposed_at)
    ).all()
    return [MatchProposal.model_validate(r._mapping) for r in rows]


class MatchDecision(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"decision": "confirmed"}]}}

    decision: Literal["confirmed", "rejected"]


@router.post(
    "/persons/matches/{proposal_id}/decision",
    response_model=MatchProposal,
    summary="Confirm or reject a proposed person link",
    responses={404: {"description": "no such proposal"}, 409: {"description": "already decided"}},
)
def decide_match(
    proposal_id: Annotated[str, Path(description="the proposal id", examples=[MATCH_PROPOSAL_ID])],
    body: MatchDecision,
    caller: Coordinator,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> MatchProposal:
    with platform.commands.begin(idempotency) as command:
        return command.answer(_decide_match(command, caller, proposal_id, body), 200)


def _decide_match(
    command: CommandSession, caller: Caller, proposal_id: str, body: MatchDecision
) -> MatchProposal:
    """Decided on the proposal as it is now: two coordinators cannot both decide it."""
    row = command.conn.execute(
        select(match_proposals).where(match_proposals.c.proposal_id == proposal_id)
    ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no match proposal {proposal_id}")
    if row.status != "pending":
        raise HTTPException(status.HTTP_409_CONFLICT, f"proposal is already {row.status}")
    event = new_event(
        "PersonMatchDecided",
        {
            "proposal_id": proposal_id,
            "person_id": row.person_id,
            "candidate_person_id": row.candidate_person_id,
            "decision": body.decision,
        },
        aggregate_id=row.person_id,
        agency=caller.agency,
        actor=caller.user,
    )
    command.record([event])
    return MatchProposal.model_validate(
        {**row._mapping, "status": body.decision, "decided_by": f"{caller.user} ({caller.agency})"}
    )


# -- the access trail as a page (the DPO's job in the browser) -------------------------------


pages = APIRouter(route_class=PageRoute, include_in_schema=False)
TrailReader = Annotated[Caller, Depends(require("dpo", "coordinator"))]


@pages.get("/audit")
def access_trail_page(request: Request, caller: TrailReader, subject_id: str = ""):
    """Who has seen a subject's sensitive details: the same rule and scope as the API."""
    platform = request.app.state.platform
    subject_id = subject_id.strip()
    context: dict = {"subject_id": subject_id, "report": None}
    if subject_id:
        try:
            with platform.engine.connect() as db:
                report = who_accessed(caller, db, platform, subject_id)
        except HTTPException as exc:
            if exc.status_code != status.HTTP_404_NOT_FOUND:
                raise
            errors = Errors()
            errors.add(
                "subject_id",
                "There is no person, case or nominal with that id in your agency's records",
            )
            context |= {"errors": errors.messages, "error_list": errors.summary()}
            return render(request, "audit.html", context, status_code=404)
        context["report"] = [
            access.model_dump() | {"agency_name": agency_name(platform, access.agency)}
            for access in report.accesses
        ]
    return render(request, "audit.html", context)
