"""The MAPPA API: nominal records, categories, levels, reviews, the reviews-due list, figures.

Who may do what
    Commands (POST) need the ``mappa_coordinator`` role, which only police, probation, prisons
    and coordinator parties may hold, and the caller's agency must be a party to MAPPA under
    the agreement in force (the MARAC coordination team, for one, is not). Reads are for
    MAPPA parties only, whatever their role: an agency with no ``mappa`` purpose in any
    agreement in force (an IDVA service, the MARAC coordination team) gets 404 for a record,
    exactly as for a nominal that does not exist, and 403 for the reviews lists and the
    figures. What a MAPPA party sees of identity, offence, address risk and minutes is decided
    field by field by the agreement for the ``mappa`` purpose (see ``services.mappa.records``),
    and every decrypting read is audited.

Errors
    422: a malformed request, naming the field. 409: a domain rule refuses the command; the
    body names the rule (``detail.rule``). 404: no such nominal. Nothing is published on any
    of them. Commands are decided against the nominal's current state, see
    ``services.mappa.intake`` for how the read model's lag is handled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from sqlalchemy import Connection

from services.intake.api_examples import NOMINAL_ID
from services.intake.auth import CurrentCaller, require_role
from services.intake.deps import Db, Idempotency, PlatformDep
from services.intake.disclosure import Stored, disclose
from services.intake.downloads import agency_names, csv_download
from services.kernel.commands import CommandSession, IdempotencyKey
from services.kernel.events import Event
from services.mappa import duplicates, exports, intake, queries, records
from services.mappa.domain.commands import (
    AssignCategory,
    ChangeLeadAgency,
    Command,
    EndManagement,
    RecordReview,
    RegisterNominal,
    SetLevel,
    TransferNominal,
)
from services.mappa.domain.rules import RuleViolation
from services.mappa.domain.stats import reporting_period
from services.mappa.models import (
    AssignCategoryRequest,
    ChangeLeadAgencyRequest,
    CommandAccepted,
    EndManagementRequest,
    ListedNominalView,
    NominalList,
    NominalRecord,
    RecordReviewRequest,
    RegisterNominalRequest,
    ReviewsDue,
    RuleProblem,
    SetLevelRequest,
    Stats,
    TransferRequest,
)
from services.sharing.service import Caller

router = APIRouter(prefix="/api/mappa", tags=["mappa"])

NOMINAL_ROUTE = "GET /api/mappa/nominals/{nominal_id}"

_MappaCoordinator = Annotated[Caller, Depends(require_role("mappa_coordinator"))]


def mappa_reader(caller: CurrentCaller, platform: PlatformDep) -> Caller:
    """A caller whose agency is a party to MAPPA under an agreement in force (403 otherwise).

    The read routes call it in their body rather than declaring it as a dependency, so the
    web pages, which call those functions directly, are refused the same way.
    """
    try:
        intake.check_party(platform, caller)
    except intake.NotAParty as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
    return caller


def mappa_writer(caller: _MappaCoordinator, platform: PlatformDep) -> Caller:
    """A MAPPA coordinator whose agency is a party to MAPPA under the agreement in force."""
    return mappa_reader(caller, platform)


Writer = Annotated[Caller, Depends(mappa_writer)]


NominalId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="the nominal id", examples=[NOMINAL_ID]),
]

REGISTER_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"model": RuleProblem, "description": "a rule refuses the command; nothing published"},
    422: {"description": "malformed request; the field is named; nothing published"},
}
COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such nominal"},
    **REGISTER_RESPONSES,
}


def _unprocessable(loc: tuple[str | int, ...], message: str, value: Any) -> HTTPException:
    """A 422 in FastAPI's own validation format, naming the field."""
    return HTTPException(
        422,
        detail=[{"type": "value_error", "loc": ["body", *loc], "msg": message, "input": value}],
    )


def _accepted(platform, accepted: intake.Accepted, conn: Connection) -> CommandAccepted:
    nominal_id = accepted.state.nominal_id
    reference = queries.references_of(conn, [nominal_id]).get(nominal_id)
    return CommandAccepted(
        nominal_id=nominal_id,
        event_id=accepted.event.event_id,
        event_type=accepted.event.event_type,
        nominal=records.summary(accepted.state, accepted.policy, platform.today(), reference),
    )


def _run(
    platform,
    caller: Caller,
    nominal_id: str,
    command: Command,
    idempotency: IdempotencyKey | None,
    sensitive: dict[str, Any] | None = None,
    must_exist: bool = True,
    prepare: Callable[[CommandSession], list[Event]] | None = None,
) -> CommandAccepted:
    """Run the command; ``prepare`` checks current state first and gives events to add."""
    try:
        with platform.commands.begin(idempotency) as session:
            also = prepare(session) if prepare is not None else []
            accepted = intake.execute(
                platform, session, caller, nominal_id, command, sensitive, must_exist
            )
            if also:
                session.record(also)
            return session.answer(_accepted(platform, accepted, session.conn))
    except intake.NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no MAPPA nominal {nominal_id}") from None
    except RuleViolation as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail={"rule": exc.rule, "message": exc.message}
        ) from exc


def _check_agency(platform, loc: tuple[str | int, ...], agency: str) -> None:
    try:
        intake.check_agency(platform, loc, agency)
    except intake.InputRefused as exc:
        raise _unprocessable(exc.loc, str(exc), agency) from exc


# -- commands ---------------------------------------------------------------------------------


@router.post(
    "/nominals",
    response_model=CommandAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="Register a MAPPA nominal (MappaNominalRegistered)",
    description="Opens the nominal's record in an area with a new nominal id. Identity, "
    "offence, address and plan are encrypted before publishing. Set the category and level "
    "with the routes below. A nominal with the same PNC ID, ViSOR reference, or name and date "
    "of birth (found by keyed blind index, nothing decrypted) refuses it with 409 "
    "`possible_duplicate` naming the existing nominal, unless `confirmed_not_duplicate`.",
    responses=REGISTER_RESPONSES,
)
def register_nominal(
    body: RegisterNominalRequest,
    caller: Writer,
    platform: PlatformDep,
    response: Response,
    idempotency: Idempotency = None,
) -> CommandAccepted:
    _check_agency(platform, ("lead_agency",), body.lead_agency)
    # A date of birth on or after registered_on is refused by the request model.
    if body.date_of_birth >= platform.today():
        raise _unprocessable(
            ("date_of_birth",), "date_of_birth must be in the past", body.date_of_birth.isoformat()
        )
    nominal_id = intake.new_nominal_id()
    indexed = duplicates.terms(
        platform.blind_index_key,
        duplicates.Identity(body.name, body.date_of_birth, body.pnc_id, body.visor_reference),
    )

    def refuse_duplicates(session: CommandSession) -> list[Event]:
        found = duplicates.possible_duplicates(session.conn, indexed)
        if found and not body.confirmed_not_duplicate:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail={
                    "rule": "possible_duplicate",
                    "message": "possibly already registered: "
                    + "; ".join(d.in_words() for d in found)
                    + " (set confirmed_not_duplicate to register anyway)",
                    "existing_nominal_ids": [d.nominal_id for d in found],
                    "matched_on": sorted({m for d in found for m in d.matched_on}),
                },
            )
        return [duplicates.index_event(caller, nominal_id, indexed)]

    command = RegisterNominal(
        nominal_id=nominal_id,
        area=body.area,
        registered_on=body.registered_on,
        lead_agency=body.lead_agency,
    )
    sensitive = body.model_dump(
        include={
            "name",
            "aliases",
            "visor_reference",
            "pnc_id",
            "probation_reference",
            "index_offence",
            "sentence",
            "sentence_date",
            "release_date",
            "licence_end_date",
            "address",
            "address_risk",
            "rosh_level",
            "risk_management_plan",
        }
    ) | {"date_of_birth": body.date_of_birth.isoformat()}
    result = _run(
        platform,
        caller,
        nominal_id,
        command,
        idempotency,
        sensitive,
        must_exist=False,
        prepare=refuse_duplicates,
    )
    response.headers["Location"] = f"{router.prefix}/nominals/{nominal_id}"
    return result


@router.post(
    "/nominals/{nominal_id}/category",
    response_model=CommandAccepted,
    summary="Assign the MAPPA category (MappaCategoryAssigned)",
    description="Category 1 (registered sexual offenders) needs `notification_end` or "
    "`notification_indefinite`; category 4 only where the area's policy enables it.",
    responses=COMMAND_RESPONSES,
)
def assign_category(
    nominal_id: NominalId,
    body: AssignCategoryRequest,
    caller: Writer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> CommandAccepted:
    command = AssignCategory(
        category=body.category,
        effective_on=body.effective_on,
        notification_end=body.notification_end,
        notification_indefinite=body.notification_indefinite,
    )
    return _run(platform, caller, nominal_id, command, idempotency)


@router.post(
    "/nominals/{nominal_id}/level",
    response_model=CommandAccepted,
    summary="Set the management level (MappaLevelSet)",
    description="Does not restart the review clock: the next review is due one interval of "
    "the new level (level 3: 8 weeks, level 2: 16 weeks, level 1: 12 months by default) after "
    "the last review, or after registration when there has been none, so raising the level of "
    "a nominal whose review is long past makes it overdue at once; unless the panel gives "
    "`next_review_on`. Level 3 needs `senior_oversight_need`.",
    responses=COMMAND_RESPONSES,
)
def set_level(
    nominal_id: NominalId,
    body: SetLevelRequest,
    caller: Writer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> CommandAccepted:
    command = SetLevel(
        level=body.level,
        effective_on=body.effective_on,
        reason=body.reason,
        decided_by=body.decided_by or f"{caller.user} ({caller.agency})",
        senior_oversight_need=body.senior_oversight_need,
        next_review_on=body.next_review_on,
    )
    return _run(platform, caller, nominal_id, command, idempotency)


@router.post(
    "/nominals/{nominal_id}/reviews",
    response_model=CommandAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="Record a MAPPA review (MappaReviewHeld)",
    description="Restarts the review clock from `held_on` unless the panel gives "
    "`next_review_on`. The minutes (`outcome`) are shown only to agencies that attended, the "
    "recording agency and the MAPPA coordination unit, on top of the agreement.",
    responses=COMMAND_RESPONSES,
)
def record_review(
    nominal_id: NominalId,
    body: RecordReviewRequest,
    caller: Writer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> CommandAccepted:
    for index, agency in enumerate(body.attended_agencies):
        _check_agency(platform, ("attended_agencies", index), agency)
    command = RecordReview(
        held_on=body.held_on,
        next_review_on=body.next_review_on,
        attended_agencies=tuple(dict.fromkeys(body.attended_agencies)),
    )
    return _run(platform, caller, nominal_id, command, idempotency, {"outcome": body.outcome})


@router.post(
    "/nominals/{nominal_id}/lead-agency",
    response_model=CommandAccepted,
    summary="Change the lead agency (MappaLeadAgencyChanged)",
    responses=COMMAND_RESPONSES,
)
def change_lead_agency(
    nominal_id: NominalId,
    body: ChangeLeadAgencyRequest,
    caller: Writer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> CommandAccepted:
    _check_agency(platform, ("lead_agency",), body.lead_agency)
    command = ChangeLeadAgency(lead_agency=body.lead_agency, effective_on=body.effective_on)
    return _run(platform, caller, nominal_id, command, idempotency)


@router.post(
    "/nominals/{nominal_id}/transfer",
    response_model=CommandAccepted,
    summary="Record a transfer into or out of this area (MappaTransferred)",
    description="`out` ends management here: no review falls due afterwards. The receiving "
    "area registers its own record and records a transfer `in`.",
    responses=COMMAND_RESPONSES,
)
def transfer(
    nominal_id: NominalId,
    body: TransferRequest,
    caller: Writer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> CommandAccepted:
    command = TransferNominal(
        direction=body.direction, other_area=body.other_area, effective_on=body.effective_on
    )
    return _run(platform, caller, nominal_id, command, idempotency)


@router.post(
    "/nominals/{nominal_id}/end",
    response_model=CommandAccepted,
    summary="End MAPPA management (MappaManagementEnded)",
    responses=COMMAND_RESPONSES,
)
def end_management(
    nominal_id: NominalId,
    body: EndManagementRequest,
    caller: Writer,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> CommandAccepted:
    command = EndManagement(ended_on=body.ended_on, reason=body.reason)
    return _run(platform, caller, nominal_id, command, idempotency)


# -- reads ------------------------------------------------------------------------------------


@router.get(
    "/nominals/{nominal_id}",
    response_model=NominalRecord,
    summary="A nominal's record as the caller may see it",
    description="Category, level with its full history and reasons, lead agency, key dates, "
    "reviews and the next review (with `status` overdue/due/scheduled). Identity, offence, "
    "address risk and minutes are shown or withheld per the agreement for `mappa`, with the "
    "reason; minutes also need attendance. An agency that is no party to MAPPA gets 404, as "
    "for an unknown nominal.",
    responses={404: {"description": "no such nominal, or the caller is no MAPPA party"}},
)
def get_nominal(
    nominal_id: NominalId, caller: CurrentCaller, platform: PlatformDep, db: Db
) -> dict[str, Any]:
    policy = intake.mappa_policy(platform)
    record = records.nominal_record(platform, db, caller, nominal_id, policy, NOMINAL_ROUTE)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no MAPPA nominal {nominal_id}")
    return record


@router.get(
    "/nominals",
    response_model=NominalList,
    summary="The nominals, filtered by area, lead agency, level and whether still managed",
    description="Latest registered first, a page at a time. Each name is shown or withheld "
    "per the agreement for `mappa`, and every name shown is audited. To find one person by "
    "name, date of birth or PNC ID, use `GET /api/search`. MAPPA parties only (403 otherwise).",
    responses={403: {"description": "the caller is no MAPPA party"}},
)
def list_nominals(
    caller: CurrentCaller,
    platform: PlatformDep,
    db: Db,
    area: Annotated[
        str | None, Query(max_length=64, description="only this MAPPA area", examples=["tv"])
    ] = None,
    lead_agency: Annotated[
        str | None, Query(max_length=64, description="only this lead agency", examples=["tvp"])
    ] = None,
    level: Annotated[int | None, Query(ge=1, le=3, description="only this level")] = None,
    management: Annotated[
        Literal["managed", "ended", "all"],
        Query(
            description="`managed` (default): still managed here; `ended`: management "
            "ended or transferred out; `all`"
        ),
    ] = "managed",
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="nominals to skip")] = 0,
) -> NominalList:
    mappa_reader(caller, platform)
    policy = intake.mappa_policy(platform)
    total, listed = queries.nominal_list(
        db,
        policy,
        area=area,
        lead_agency=lead_agency,
        level=level,
        managed={"managed": True, "ended": False}.get(management),
        limit=limit,
        offset=offset,
    )
    names = disclose(
        platform,
        caller,
        records.PURPOSE,
        "GET /api/mappa/nominals",
        [
            Stored(
                n.registration.event_type,
                n.registration.event_id,
                {"nominal_id": n.state.nominal_id, "name": n.registration.payload.get("name")},
            )
            for n in listed
        ],
    )
    today = platform.today()
    return NominalList(
        total=total,
        limit=limit,
        offset=offset,
        nominals=[
            ListedNominalView(**records.summary(n.state, policy, today), name=shown["name"])
            for n, shown in zip(listed, names, strict=True)
        ],
    )


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
}
Format = Annotated[
    Literal["json", "csv"], Query(description="`csv` downloads the same rows as a CSV file")
]
AreaFilter = Annotated[
    str | None, Query(max_length=64, description="only this MAPPA area", examples=["thames-valley"])
]


@router.get(
    "/reviews",
    response_model=ReviewsDue,
    summary="Overdue reviews, and reviews due in the next N days",
    description="Overdue reviews come first (earliest due first) and are counted apart, so "
    "none is missed. `overdue=true` lists only overdue ones. Without `due_within_days`, the "
    "area policy's horizon (28 days by default) applies. `format=csv` exports the list. "
    "MAPPA parties only (403 otherwise).",
    responses={**CSV_RESPONSE, 403: {"description": "the caller is no MAPPA party"}},
)
def list_reviews(
    caller: CurrentCaller,
    platform: PlatformDep,
    db: Db,
    due_within_days: Annotated[
        int | None, Query(ge=0, le=3660, description="days ahead, today counted", examples=[28])
    ] = None,
    overdue: Annotated[bool, Query(description="only overdue reviews")] = False,
    area: AreaFilter = None,
    lead_agency: Annotated[
        str | None, Query(max_length=64, description="only this lead agency", examples=["tvp"])
    ] = None,
    format: Format = "json",
) -> Any:
    mappa_reader(caller, platform)
    policy = intake.mappa_policy(platform)
    today = platform.today()
    within = policy.due_soon_horizon_days if due_within_days is None else due_within_days
    rows = queries.due_reviews(
        db, policy, today, within, area=area, lead_agency=lead_agency, overdue_only=overdue
    )
    found = queries.references_of(db, (r.nominal_id for r in rows))
    reviews = [
        {
            "nominal_id": r.nominal_id,
            "reference": found.get(r.nominal_id),
            "area": r.area,
            "lead_agency": r.lead_agency,
            "level": r.level,
            "due_on": r.due_on,
            "status": r.status.value,
            "days_overdue": r.days_overdue,
        }
        for r in rows
    ]
    if format == "csv":
        name = "mappa-overdue-reviews" if overdue else "mappa-reviews-due"
        return csv_download(
            exports.reviews_csv(reviews, agency_names(platform)), f"{name}-{today.isoformat()}.csv"
        )
    overdue_count = sum(1 for r in reviews if r["status"] == "overdue")
    return ReviewsDue(
        as_of=today,
        due_within_days=within,
        overdue_only=overdue,
        area=area,
        lead_agency=lead_agency,
        overdue_count=overdue_count,
        due_count=len(reviews) - overdue_count,
        reviews=reviews,
    )


@router.get(
    "/stats",
    response_model=Stats,
    summary="MAPPA annual report figures: nominals by category and level per area",
    description="For the reporting year (1 April to 31 March by default, named by the year it "
    "ends in; the current one by default): the nominals managed on the as-at date (the year's "
    "last day, or today while it runs) and those managed at any time in the year, each by "
    "category x level. `format=csv` exports them. MAPPA parties only (403 otherwise).",
    responses={**CSV_RESPONSE, 403: {"description": "the caller is no MAPPA party"}},
)
def stats(
    caller: CurrentCaller,
    platform: PlatformDep,
    db: Db,
    area: AreaFilter = None,
    year: Annotated[
        int | None,
        Query(ge=2000, le=2100, description="the year the reporting year ends in", examples=[2026]),
    ] = None,
    format: Format = "json",
) -> Any:
    mappa_reader(caller, platform)
    policy = intake.mappa_policy(platform)
    today = platform.today()
    start_month = policy.reporting_year_start_month
    year = year if year is not None else queries.reporting_year_of(today, start_month)
    period = reporting_period(year, start_month)
    as_at = min(period.end, today) if today >= period.start else period.end
    found = queries.figures(db, policy, period, as_at, area)
    report = queries.stats_report(
        found, year=year, period=period, as_at=as_at, area=area, policy=policy
    )
    if format == "csv":
        suffix = f"-{area}" if area else ""
        return csv_download(exports.stats_csv(report), f"mappa-figures-{year}{suffix}.csv")
    return report
