"""The MATAC API: incidents in; rankings, profiles, score histories and the cohort out.

Who may do what (the agreement then decides what each caller may *read*):

* record incidents and perpetrator status changes: analysts of a police party;
* nominate a perpetrator: any partner (every role except dpo);
* add to and remove from the cohort: analysts (police analysts, MATAC coordinators);
* read rankings and the cohort: analysts and coordinators;
* read a perpetrator's profile and score history: analysts and coordinators, and any other
  partner whose agency has nominated that perpetrator (others get 403, whether or not the
  person exists, so ids cannot be probed).

Identities come from the encrypted fields of incident events and are disclosed per caller
for the ``matac`` purpose: police and coordinators see names; a housing provider sees them
withheld, with the agreement that withholds them. Every disclosure is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from sqlalchemy import Connection

from services.bootstrap import Platform
from services.intake.api_examples import PERPETRATOR_ID
from services.intake.auth import require_role
from services.intake.deps import Db, Idempotency, PlatformDep
from services.intake.disclosure import Stored, disclose
from services.intake.downloads import csv_download
from services.intake.errors import refused
from services.intake.models import ProtectedText
from services.kernel.commands import CommandSession
from services.matac import commands, exports, queries
from services.matac.config import matac_policy
from services.matac.domain.cohort import CohortEntry, cohort_measure
from services.matac.domain.dates import subtract_months
from services.matac.domain.history import score_history
from services.matac.domain.json_values import json_number
from services.matac.domain.model import Perpetrator
from services.matac.domain.ranking import exclusion_reason
from services.matac.domain.scoring import Score, score_perpetrator
from services.matac.models import (
    AREA_DESCRIPTION,
    AREA_PATTERN,
    CohortJoinedOut,
    CohortJoinIn,
    CohortLeftOut,
    CohortMeasureOut,
    CohortMember,
    CohortReport,
    HistoryOut,
    HistoryPoint,
    IncidentAccepted,
    IncidentIn,
    IncidentRecord,
    IsoDate,
    Membership,
    NominationAccepted,
    NominationIn,
    NominationOut,
    ProfileOut,
    RankingOut,
    RankingRow,
    RuleRefusal,
    ScoreExplanation,
    StatusChangeOut,
    StatusIn,
    StatusRecorded,
    Unranked,
)
from services.matac.policy import MatacPolicy, PolicyError
from services.sharing.service import Caller

router = APIRouter(prefix="/api/matac", tags=["matac"])

PURPOSE = "matac"
READERS = ("analyst", "coordinator")
PARTNERS = ("analyst", "coordinator", "agency_contact", "referrer", "mappa_coordinator")
HISTORY_MONTHS = 12
HISTORY_STEP_DAYS = 28
MAX_HISTORY_POINTS = 1000

Analyst = Annotated[Caller, Depends(require_role("analyst"))]
Reader = Annotated[Caller, Depends(require_role(*READERS))]
Partner = Annotated[Caller, Depends(require_role(*PARTNERS))]

Format = Annotated[
    Literal["json", "csv"], Query(alias="format", description="json (default) or csv")
]
PersonId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="Tandem person id of the perpetrator",
        examples=[PERPETRATOR_ID],
    ),
]
AreaQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        pattern=AREA_PATTERN,
        description=AREA_DESCRIPTION + "; omit for every area",
        examples=["oxford"],
    ),
]
AsOf = Annotated[
    IsoDate | None,
    Query(
        description="the date to score on (default today; not after today)",
        examples=["2026-03-02"],
    ),
]

Responses = dict[int | str, dict[str, Any]]
FORBIDDEN: Responses = {403: {"description": "the caller's role or party may not do this"}}
RULE: Responses = {
    409: {"model": RuleRefusal, "description": "a MATAC rule refuses it; nothing published"}
}
POLICY: Responses = {
    503: {"description": "the MATAC policy file is invalid (the message names file and key)"}
}
NOT_FOUND: Responses = {404: {"description": "no incident is recorded for the person"}}
CSV: Responses = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON or CSV"}
}


# -- dependencies and errors -------------------------------------------------------------------


def police_analyst(caller: Analyst, platform: PlatformDep) -> Caller:
    """Analysts of a police party: the only callers who record police incidents."""
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        party = agreement.party(caller.agency)
        if party is not None and party.party_type == "police":
            return caller
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail=f"{caller.agency} is not a police party; only police analysts record this",
    )


PoliceAnalyst = Annotated[Caller, Depends(police_analyst)]


def current_policy(platform: PlatformDep) -> MatacPolicy:
    try:
        return matac_policy(platform.settings.policy_dir)
    except PolicyError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=f"the MATAC policy cannot be used: {exc}"
        ) from exc


Policy = Annotated[MatacPolicy, Depends(current_policy)]


def conflict(violation: commands.RuleViolation) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT, detail={"rule": violation.rule, "message": violation.message}
    )


@contextmanager
def command_errors(where: str = "body") -> Iterator[None]:
    """A refused command as HTTP: 422 naming the field, 409 naming the rule, 404 if absent."""
    try:
        yield
    except commands.FieldProblem as exc:
        raise refused(exc.field, exc.message, where) from exc
    except commands.RuleViolation as exc:
        raise conflict(exc) from exc
    except commands.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


def _date_param(name: str, value: dt.date | None, today: dt.date) -> dt.date:
    value = value or today
    if value > today:
        raise refused(name, f"{value.isoformat()} is after today ({today.isoformat()})", "query")
    return value


def _number(value: int | Decimal) -> float:
    return float(json_number(value))


def _explanation(score: Score) -> ScoreExplanation:
    return ScoreExplanation.model_validate(score.to_dict())


def _protected(value: Any) -> ProtectedText | None:
    return None if value is None else ProtectedText.model_validate(value)


def _names(
    platform: Platform, db: Connection, caller: Caller, route: str, person_ids: list[str]
) -> dict[str, ProtectedText]:
    """Each person's name from their latest named incident, disclosed for the caller."""
    sources = queries.identity_payloads(db, person_ids)
    order = sorted(sources)
    revealed = disclose(
        platform,
        caller,
        PURPOSE,
        route,
        [Stored("IncidentRecorded", *sources[person_id]) for person_id in order],
    )
    return {
        person_id: name
        for person_id, payload in zip(order, revealed, strict=True)
        if (name := _protected(payload.get("suspect_name"))) is not None
    }


def _exit_reasons(
    platform: Platform,
    caller: Caller,
    route: str,
    memberships: list[queries.CohortMembership],
) -> dict[str, ProtectedText]:
    """Why each member left (by joined event id), disclosed for the caller (risk.narrative)."""
    left = [m for m in memberships if m.left_event_id is not None and m.exit_reason is not None]
    revealed = disclose(
        platform,
        caller,
        PURPOSE,
        route,
        [
            Stored(
                "CohortLeft", m.left_event_id, {"person_id": m.person_id, "reason": m.exit_reason}
            )
            for m in left
        ],
    )
    return {
        m.joined_event_id: ProtectedText.model_validate(payload["reason"])
        for m, payload in zip(left, revealed, strict=True)
    }


def _date_of_birth(value: Any) -> dt.date | str:
    """A disclosed date of birth as a date, or why there is none to use."""
    protected = _protected(value)
    if protected is None:
        return "none recorded"
    if protected.status != "shown" or protected.value is None:
        return protected.reason or protected.status
    try:
        return dt.date.fromisoformat(protected.value)
    except ValueError:
        return "the recorded date of birth is not a date"


def _birth_dates(
    platform: Platform, caller: Caller, route: str, session: CommandSession | None = None
) -> queries.BirthDates:
    """Reads the dates of birth that decide someone's age (few: those near the minimum age on
    the as-of date) for the caller, under the agreement, audited like any disclosure."""

    def read(records: Sequence[queries.BirthRecord]) -> dict[str, dt.date | str]:
        revealed = disclose(
            platform,
            caller,
            PURPOSE,
            route,
            [Stored("IncidentRecorded", r.event_id, r.payload) for r in records],
            session,
        )
        return {
            record.person_id: _date_of_birth(payload.get("suspect_date_of_birth"))
            for record, payload in zip(records, revealed, strict=True)
        }

    return read


def _may_read_profile(db: Connection, caller: Caller, person_id: str) -> None:
    if caller.role in READERS or queries.has_nominated(db, person_id, caller.agency):
        return
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail=(
            f"role {caller.role!r} of {caller.agency} may read a perpetrator's profile only "
            "after the agency has nominated them; analysts and coordinators may read any"
        ),
    )


# -- incidents and status ----------------------------------------------------------------------


@router.post(
    "/incidents",
    response_model=IncidentAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="Record a police domestic abuse incident (crime or non-crime)",
    description=(
        "Police analysts only. The suspect is given by Tandem person id, or by name and date "
        "of birth, which are matched to a Tandem person (and published encrypted, as "
        "perpetrator.identity); victims likewise, but only their person ids go on the event. "
        "A person id Tandem never issued is refused (422 naming it), never made a new person. "
        "The suspect's age on the incident date is computed from the date of birth. Refused "
        "with 422 naming the field: no suspect, a date after today, an offence category the "
        "MATAC policy has no harm points for. Refused with 409: an incident id already "
        "recorded. Nothing is published when refused."
    ),
    responses={**FORBIDDEN, **RULE, **POLICY},
)
def record_incident(
    body: IncidentIn,
    caller: PoliceAnalyst,
    platform: PlatformDep,
    policy: Policy,
    idempotency: Idempotency = None,
) -> IncidentAccepted:
    with platform.commands.begin(idempotency) as command:
        with command_errors():
            decision = commands.record_incident(platform, command.conn, caller, body, policy)
        command.record(decision.events)
        payload = decision.incident.payload
        return command.answer(
            IncidentAccepted(
                incident_id=payload["incident_id"],
                event_id=decision.incident.event_id,
                suspect_person_id=payload["suspect_person_id"],
                suspect_match=decision.suspect_match,
                suspect_age=decision.suspect_age,
                victim_person_ids=list(payload["victim_person_ids"]),
                events=[event.event_type for event in decision.events],
            )
        )


@router.post(
    "/perpetrators/{person_id}/status",
    response_model=StatusRecorded,
    status_code=status.HTTP_201_CREATED,
    summary="Record custody, release, death or moving area for a perpetrator",
    description=(
        "Police analysts only. In custody, deceased or left the area takes a perpetrator out "
        "of the ranking from the effective date; released and returned bring them back. "
        "409 when the change contradicts the statuses in force on its date (released when not "
        "in custody, anything after deceased)."
    ),
    responses={**FORBIDDEN, **RULE, **NOT_FOUND},
)
def change_status(
    person_id: PersonId,
    body: StatusIn,
    caller: PoliceAnalyst,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> StatusRecorded:
    with platform.commands.begin(idempotency) as command:
        with command_errors():
            event = commands.change_status(platform, command.conn, caller, person_id, body)
        command.record([event])
        return command.answer(
            StatusRecorded(
                person_id=person_id,
                status=event.payload["status"],
                effective_on=event.payload["effective_on"],
                event_id=event.event_id,
            )
        )


@router.post(
    "/nominations",
    response_model=NominationAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="Nominate a perpetrator for MATAC review",
    description=(
        "Any partner agency. A nomination puts the perpetrator on the ranking for review "
        "even below the cut, marked as nominated (not if they are under 16, deceased, in "
        "custody or away). The reason is encrypted (risk.narrative). The nominating agency "
        "may then read the perpetrator's profile, as far as the agreement allows."
    ),
    responses={**FORBIDDEN, **RULE},
)
def nominate(
    body: NominationIn,
    caller: Partner,
    platform: PlatformDep,
    idempotency: Idempotency = None,
) -> NominationAccepted:
    with platform.commands.begin(idempotency) as command:
        with command_errors():
            event = commands.nominate(platform, command.conn, caller, body)
        command.record([event])
        p = event.payload
        return command.answer(
            NominationAccepted(
                person_id=p["person_id"],
                area=p["area"],
                nominating_agency=p["nominating_agency"],
                nominated_on=p["nominated_on"],
                event_id=event.event_id,
            )
        )


# -- rankings ----------------------------------------------------------------------------------


@router.get(
    "/rankings",
    response_model=RankingOut,
    summary="The ranked, explained list of the most harmful perpetrators per policing area",
    description=(
        "Computed when asked, for the as-of date (default today), so recency decays with "
        "time. Excludes people under 16, deceased, in custody or away on that date; the age "
        "comes from the recorded date of birth when there is one (decrypted for the caller, "
        "and audited, only when it alone tells whether someone is 16 yet), otherwise it is "
        "the youngest the recorded ages allow. The top "
        "N per area are listed, plus nominated perpetrators below the cut (marked), each with "
        "the bands and incidents behind the score. Analysts and coordinators. `format=csv` "
        "gives the same rows without the explanations."
    ),
    responses={**FORBIDDEN, **POLICY, **CSV},
)
def rankings(
    request: Request,
    caller: Reader,
    platform: PlatformDep,
    db: Db,
    policy: Policy,
    area: AreaQuery = None,
    as_of: AsOf = None,
    top: Annotated[
        int | None,
        Query(
            ge=1, le=1000, description="how many per area (default: the policy's N)", examples=[10]
        ),
    ] = None,
    output: Format = "json",
):
    as_of = _date_param("as_of", as_of, platform.today())
    result = queries.ranking(
        db,
        policy,
        as_of,
        area=area,
        top=top,
        birth_dates=_birth_dates(platform, caller, request.url.path),
    )
    names = _names(platform, db, caller, request.url.path, [r.person_id for r in result.rows])
    members = queries.cohort_members_on(db, as_of)
    ranking = RankingOut(
        as_of=as_of,
        area=area,
        top=result.top,
        policy=policy.name,
        rows=[
            RankingRow(
                rank=row.rank,
                person_id=row.person_id,
                name=names.get(row.person_id),
                area=row.area,
                score=_number(row.score),
                recency=row.recency,
                frequency=row.frequency,
                gravity=row.gravity,
                victims=row.victims,
                serial=row.serial,
                nominated=row.nominated,
                in_cohort=row.person_id in members,
                latest_incident_on=row.latest_incident_on,
                incident_count=row.explanation.incident_count,
                total_harm=_number(row.total_harm),
                explanation=_explanation(row.explanation),
            )
            for row in result.rows
        ],
        unranked=[Unranked(person_id=p, reason=r) for p, r in result.unranked],
    )
    if output == "csv":
        return csv_download(
            exports.ranking_csv(ranking), f"matac-ranking-{area or 'all'}-{as_of.isoformat()}.csv"
        )
    return ranking


# -- perpetrators ------------------------------------------------------------------------------


@router.get(
    "/perpetrators/{person_id}",
    response_model=ProfileOut,
    summary="A perpetrator's profile: score with explanation, rank, records and score history",
    description=(
        "Analysts and coordinators, or a partner whose agency nominated the perpetrator. "
        "Names, dates of birth, crime references and nomination reasons are shown or "
        "withheld per the agreement for the matac purpose. The explanation lists every "
        "incident, counted or not, with the reason. `format=csv` gives one row per incident."
    ),
    responses={**FORBIDDEN, **POLICY, **NOT_FOUND, **CSV},
)
def profile(
    request: Request,
    person_id: PersonId,
    caller: Partner,
    platform: PlatformDep,
    db: Db,
    policy: Policy,
    as_of: AsOf = None,
    output: Format = "json",
):
    person_id = queries.kept_id(db, person_id)
    _may_read_profile(db, caller, person_id)
    as_of = _date_param("as_of", as_of, platform.today())
    facts = queries.person_facts(db, person_id)
    if facts is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident is recorded for {person_id}")
    route = request.url.path
    memberships = queries.memberships(db, person_id=person_id)
    incidents = queries.incident_rows(db, person_id)
    identity = queries.identity_payloads(db, [person_id]).get(person_id)
    items = [Stored("IncidentRecorded", *identity)] if identity else []
    if facts.birth is not None:
        items.append(Stored("IncidentRecorded", facts.birth.event_id, facts.birth.payload))
    items += [
        Stored(
            "IncidentRecorded",
            i.event_id,
            {
                "suspect_person_id": i.payload["suspect_person_id"],
                "crime_reference": i.payload.get("crime_reference"),
                "summary": i.payload.get("summary"),
            },
        )
        for i in incidents
    ]
    items += [Stored("MatacNominated", n.event_id, n.payload) for n in facts.nominations]
    revealed = disclose(platform, caller, PURPOSE, route, items)
    exit_reasons = _exit_reasons(platform, caller, route, memberships)
    who = revealed.pop(0) if identity else {}
    born = revealed.pop(0) if facts.birth is not None else {}
    details, reasons = revealed[: len(incidents)], revealed[len(incidents) :]
    # Ages come from the date of birth when it is recorded; shown here, it settles the age.
    date_of_birth = _date_of_birth(born.get("suspect_date_of_birth"))
    known_birth = date_of_birth if isinstance(date_of_birth, dt.date) else None
    if known_birth is not None:
        perpetrator: Perpetrator | str | None = facts.perpetrator(as_of, known_birth)
    else:
        perpetrator = queries.perpetrators_on(
            [facts], as_of, policy.minimum_age, lambda _: {person_id: date_of_birth}
        )[person_id]
    score = score_perpetrator(facts.incidents, policy, as_of)
    nomination = facts.nomination_on(as_of)
    if isinstance(perpetrator, Perpetrator):
        exclusion = exclusion_reason(perpetrator, policy, as_of)
    else:
        exclusion = perpetrator or queries.AGE_UNKNOWN
    if exclusion is None and score.incident_count == 0 and nomination is None:
        exclusion = "no incident in the look-back window, and not nominated"
    area = score.area or (nomination.area if nomination else None)
    read_others = _birth_dates(platform, caller, route)

    def birth_dates(records: Sequence[queries.BirthRecord]) -> dict[str, dt.date | str]:
        """Others' dates of birth as needed; this person's, already read above, is reused."""
        others = [r for r in records if r.person_id != person_id]
        found = dict(read_others(others)) if others else {}
        if len(others) < len(records):
            found[person_id] = date_of_birth
        return found

    position = (
        queries.position_in_area(db, policy, as_of, area, person_id, birth_dates)
        if exclusion is None and area is not None
        else None
    )
    history_start = subtract_months(as_of, HISTORY_MONTHS)
    out = ProfileOut(
        person_id=person_id,
        as_of=as_of,
        name=_protected(who.get("suspect_name")),
        date_of_birth=_protected(born.get("suspect_date_of_birth")),
        area=area,
        youngest_possible_age=facts.age_on(as_of, known_birth),
        age_from_date_of_birth=known_birth is not None,
        in_population=exclusion is None,
        exclusion=exclusion,
        rank=None if position is None else position.rank,
        nominated=nomination is not None,
        in_cohort=any(m.open_on(as_of) for m in memberships),
        score=_explanation(score),
        incidents=[
            IncidentRecord(
                incident_id=i.incident_id,
                occurred_on=i.occurred_on,
                area=i.area,
                is_crime=i.is_crime,
                offence_categories=i.offence_categories,
                victim_person_ids=i.victim_person_ids,
                suspect_age=i.suspect_age,
                crime_reference=_protected(detail.get("crime_reference")),
                summary=_protected(detail.get("summary")),
            )
            for i, detail in zip(incidents, details, strict=True)
        ],
        status_changes=[
            StatusChangeOut(status=r.status, effective_on=r.effective_on, agency=r.agency)
            for r in queries.status_rows(db, person_id)
        ],
        nominations=[
            NominationOut(
                nominating_agency=n.agency,
                area=n.area,
                nominated_on=n.nominated_on,
                reason=ProtectedText.model_validate(reason["reason"]),
            )
            for n, reason in zip(facts.nominations, reasons, strict=True)
        ],
        cohort=[
            Membership(
                area=m.area,
                joined_on=m.joined_on,
                entry_score=_number(m.entry_score),
                left_on=m.left_on,
                exit_score=None if m.exit_score is None else _number(m.exit_score),
                exit_reason=exit_reasons.get(m.joined_event_id),
            )
            for m in memberships
        ],
        history=[
            HistoryPoint(date=day, score=_number(value))
            for day, value in score_history(
                facts.incidents, policy, history_start, as_of, HISTORY_STEP_DAYS
            )
        ],
    )
    if output == "csv":
        return csv_download(exports.profile_csv(out), f"matac-perpetrator-{person_id}-{as_of}.csv")
    return out


@router.get(
    "/perpetrators/{person_id}/history",
    response_model=HistoryOut,
    summary="A perpetrator's score over time, for charting",
    description=(
        "The score on `start`, every `step_days` after it, and on `end`, each as if scored on "
        "that date: it rises with incidents and decays with time. Default: the year up to "
        "today, every 28 days. Same access as the profile."
    ),
    responses={**FORBIDDEN, **POLICY, **NOT_FOUND, **CSV},
)
def history(
    person_id: PersonId,
    caller: Partner,
    platform: PlatformDep,
    db: Db,
    policy: Policy,
    start: Annotated[
        IsoDate | None, Query(description="default: a year before end", examples=["2025-03-02"])
    ] = None,
    end: Annotated[
        IsoDate | None,
        Query(description="default today; not after today", examples=["2026-03-02"]),
    ] = None,
    step_days: Annotated[
        int, Query(ge=1, le=366, description="days between points", examples=[28])
    ] = HISTORY_STEP_DAYS,
    output: Format = "json",
):
    person_id = queries.kept_id(db, person_id)
    _may_read_profile(db, caller, person_id)
    end = _date_param("end", end, platform.today())
    start = start or subtract_months(end, HISTORY_MONTHS)
    if start > end:
        raise refused("start", f"{start.isoformat()} is after end {end.isoformat()}", "query")
    if (end - start).days // step_days + 2 > MAX_HISTORY_POINTS:
        raise refused(
            "step_days", f"gives more than {MAX_HISTORY_POINTS} points; use a larger step", "query"
        )
    facts = queries.person_facts(db, person_id)
    if facts is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident is recorded for {person_id}")
    out = HistoryOut(
        person_id=person_id,
        start=start,
        end=end,
        step_days=step_days,
        points=[
            HistoryPoint(date=day, score=_number(value))
            for day, value in score_history(facts.incidents, policy, start, end, step_days)
        ],
    )
    if output == "csv":
        return csv_download(
            exports.history_csv(out), f"matac-history-{person_id}-{start}-{end}.csv"
        )
    return out


# -- cohort ------------------------------------------------------------------------------------


@router.post(
    "/cohort",
    response_model=CohortJoinedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a perpetrator to the MATAC cohort, recording the entry score",
    description=(
        "Analysts. The entry score is the RFG(S) score on the joining date (default today). "
        "409 when already in the cohort, or not in the ranked population on that date."
    ),
    responses={**FORBIDDEN, **RULE, **POLICY, **NOT_FOUND},
)
def join_cohort(
    request: Request,
    body: CohortJoinIn,
    caller: Analyst,
    platform: PlatformDep,
    policy: Policy,
    idempotency: Idempotency = None,
) -> CohortJoinedOut:
    with platform.commands.begin(idempotency) as command:
        with command_errors():
            decision = commands.join_cohort(
                platform,
                command.conn,
                caller,
                body,
                policy,
                _birth_dates(platform, caller, request.url.path, command),
            )
        command.record([decision.event])
        p = decision.event.payload
        return command.answer(
            CohortJoinedOut(
                person_id=p["person_id"],
                area=p["area"],
                joined_on=p["joined_on"],
                entry_score=_number(decision.score.total),
                event_id=decision.event.event_id,
                explanation=_explanation(decision.score),
            )
        )


@router.delete(
    "/cohort/{person_id}",
    response_model=CohortLeftOut,
    summary="Remove a perpetrator from the MATAC cohort, recording the exit score",
    description=(
        "Analysts. The exit score is the RFG(S) score on the leaving date (default today); "
        "the response gives the change from entry. 409 when the person is not in the cohort."
    ),
    responses={**FORBIDDEN, **RULE, **POLICY},
)
def leave_cohort(
    person_id: PersonId,
    caller: Analyst,
    platform: PlatformDep,
    policy: Policy,
    left_on: Annotated[
        IsoDate | None,
        Query(
            description="default today; not after today or before joining",
            examples=["2026-03-02"],
        ),
    ] = None,
    reason: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="why they left, as a short category (not encrypted: no personal details)",
            examples=["completed"],
        ),
    ] = None,
    idempotency: Idempotency = None,
) -> CohortLeftOut:
    with platform.commands.begin(idempotency) as command:
        with command_errors("query"):
            decision = commands.leave_cohort(
                platform, command.conn, caller, person_id, left_on, reason, policy
            )
        command.record([decision.event])
        change = decision.change
        return command.answer(
            CohortLeftOut(
                person_id=person_id,
                joined_on=decision.membership.joined_on,
                entry_score=_number(change.entry_score),
                left_on=decision.event.payload["left_on"],
                exit_score=_number(change.latest_score),
                change=_number(change.change),
                percent_change=None
                if change.percent_change is None
                else _number(change.percent_change),
                reason=reason,
                event_id=decision.event.event_id,
            ),
            200,
        )


@router.get(
    "/cohort",
    response_model=CohortReport,
    summary="The MATAC cohort: entry, current and exit scores, and the average change",
    description=(
        "Everyone who joined by the as-of date (default today): members still in the cohort "
        "are measured with their score on that date, those who left with their exit score. "
        "The measure gives the mean percentage change (and fall) across members and the "
        "change in the summed score. Analysts and coordinators."
    ),
    responses={**FORBIDDEN, **POLICY},
)
def cohort(
    request: Request,
    caller: Reader,
    platform: PlatformDep,
    db: Db,
    policy: Policy,
    area: AreaQuery = None,
    as_of: AsOf = None,
) -> CohortReport:
    as_of = _date_param("as_of", as_of, platform.today())
    joined = [m for m in queries.memberships(db, area=area) if m.joined_on <= as_of]
    facts = queries.load_facts(db, {m.person_id for m in joined})
    entries, current = [], {}
    for m in joined:
        exited = m.left_on is not None and m.left_on <= as_of
        if exited:
            assert m.exit_score is not None
            latest = m.exit_score
        else:
            person = facts.get(m.person_id)
            latest = score_perpetrator(person.incidents if person else (), policy, as_of).total
            current[m.joined_event_id] = latest
        entries.append(
            CohortEntry(
                m.person_id, m.joined_on, m.entry_score, latest, m.left_on if exited else None
            )
        )
    measure = cohort_measure(entries)
    names = _names(platform, db, caller, request.url.path, [m.person_id for m in joined])
    exit_reasons = _exit_reasons(platform, caller, request.url.path, joined)
    members = [
        CohortMember(
            person_id=m.person_id,
            name=names.get(m.person_id),
            area=m.area,
            joined_on=m.joined_on,
            entry_score=_number(m.entry_score),
            left_on=entry.exited_on,
            exit_score=None if entry.exited_on is None else _number(entry.latest_score),
            exit_reason=None if entry.exited_on is None else exit_reasons.get(m.joined_event_id),
            current_score=(
                _number(current[m.joined_event_id]) if m.joined_event_id in current else None
            ),
            latest_score=_number(change.latest_score),
            change=_number(change.change),
            percent_change=(
                None if change.percent_change is None else _number(change.percent_change)
            ),
        )
        for m, entry, change in zip(joined, entries, measure.changes, strict=True)
    ]

    def optional(value):
        return None if value is None else _number(value)

    return CohortReport(
        as_of=as_of,
        area=area,
        members=members,
        measure=CohortMeasureOut(
            members=measure.members,
            members_with_percent=measure.members_with_percent,
            mean_percent_change=optional(measure.mean_percent_change),
            mean_percent_fall=optional(measure.mean_percent_fall),
            total_entry_score=_number(measure.total_entry_score),
            total_latest_score=_number(measure.total_latest_score),
            total_change=_number(measure.total_change),
            total_percent_change=optional(measure.total_percent_change),
        ),
    )
