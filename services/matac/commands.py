"""MATAC commands: validate a request, decide under the rules, and build the events.

Everything that can refuse a command runs before anything is published, so a refused
command leaves no trace on any topic. Two kinds of refusal:

* ``FieldProblem``: a value is wrong (a date in the future, an unknown offence category);
  the API answers 422 naming the field, like FastAPI's own validation errors.
* ``RuleViolation``: the request is well-formed but a MATAC rule forbids it now (already in
  the cohort, released when not in custody); the API answers 409 naming the rule.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from services.bootstrap import Platform
from services.kernel.events import Event, new_event
from services.matac import queries
from services.matac.domain.cohort import CohortEntry, ScoreChange, score_change
from services.matac.domain.dates import age_on
from services.matac.domain.model import Status, StatusChange
from services.matac.domain.ranking import exclusion_reason, statuses_in_force
from services.matac.domain.scoring import Score, score_perpetrator
from services.matac.models import CohortJoinIn, IncidentIn, NominationIn, StatusIn
from services.matac.policy import MatacPolicy, known_offence_categories
from services.sharing.matching import canonical, match_person, person_known
from services.sharing.names import normalise_name
from services.sharing.service import Caller


class FieldProblem(ValueError):
    """A value in the request is wrong; ``field`` is its path, e.g. ``suspect.age``."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class RuleViolation(ValueError):
    """A MATAC rule refuses the command as things stand; ``rule`` names it."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        self.message = message
        super().__init__(f"{rule}: {message}")


class NotFound(LookupError):
    """The command names a perpetrator MATAC has no incident for."""


def _not_after_today(field: str, value: dt.date, today: dt.date) -> None:
    if value > today:
        raise FieldProblem(field, f"{value.isoformat()} is after today ({today.isoformat()})")


# -- incidents ---------------------------------------------------------------------------------


def check_incident(request: IncidentIn, policy: MatacPolicy, today: dt.date) -> int | None:
    """Refuse bad values; returns the suspect's age on the incident date (None if unknown)."""
    _not_after_today("occurred_on", request.occurred_on, today)
    known = known_offence_categories(policy)
    for index, code in enumerate(request.offence_categories):
        if code not in known:
            raise FieldProblem(
                f"offence_categories[{index}]",
                f"unknown offence category {code!r}; the MATAC policy {policy.name} has harm "
                f"points for: {', '.join(sorted(known))}",
            )
    suspect = request.suspect
    age = suspect.age
    if suspect.date_of_birth is not None:
        if suspect.date_of_birth > request.occurred_on:
            raise FieldProblem(
                "suspect.date_of_birth",
                f"{suspect.date_of_birth.isoformat()} is after the incident date "
                f"{request.occurred_on.isoformat()}",
            )
        age = age_on(suspect.date_of_birth, request.occurred_on)
        if suspect.age is not None and suspect.age != age:
            raise FieldProblem(
                "suspect.age",
                f"{suspect.age} disagrees with the date of birth, which gives {age} on "
                f"{request.occurred_on.isoformat()}",
            )
    seen_ids: dict[str, int] = {}
    seen_people: dict[tuple[str, dt.date], int] = {}
    if suspect.name is not None and suspect.date_of_birth is not None:
        seen_people[(normalise_name(suspect.name), suspect.date_of_birth)] = -1
    for index, victim in enumerate(request.victims):
        where = f"victims[{index}]"
        if victim.date_of_birth is not None:
            _not_after_today(f"{where}.date_of_birth", victim.date_of_birth, today)
        if victim.person_id is not None:
            if victim.person_id == suspect.person_id:
                raise FieldProblem(f"{where}.person_id", "is the suspect's person id")
            if victim.person_id in seen_ids:
                raise FieldProblem(
                    f"{where}.person_id", f"repeats victims[{seen_ids[victim.person_id]}]"
                )
            seen_ids[victim.person_id] = index
        elif victim.name is not None and victim.date_of_birth is not None:
            person = (normalise_name(victim.name), victim.date_of_birth)
            if person in seen_people:
                earlier = seen_people[person]
                raise FieldProblem(
                    where,
                    "has the suspect's name and date of birth"
                    if earlier < 0
                    else f"repeats victims[{earlier}]",
                )
            seen_people[person] = index
    return age


@dataclass(frozen=True)
class IncidentDecision:
    events: list[Event]
    incident: Event
    suspect_match: str
    suspect_age: int | None


def record_incident(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    request: IncidentIn,
    policy: MatacPolicy,
) -> IncidentDecision:
    """Validate, match the suspect and victims to Tandem persons, and build the events.

    Matching publishes nothing by itself: its events are returned with the incident, to be
    published together (or not at all).
    """
    age = check_incident(request, policy, platform.today())
    if queries.incident_is_recorded(conn, request.incident_id):
        raise RuleViolation(
            "incident_already_recorded",
            f"incident {request.incident_id} is already recorded; an incident counts once",
        )
    event_id = str(uuid.uuid4())
    events: list[Event] = []

    def match(where: str, role: str, name: str, date_of_birth: dt.date) -> tuple[str, str]:
        try:
            found = match_person(
                conn,
                platform.blind_index_key,
                role=role,
                full_name=name,
                date_of_birth=date_of_birth.isoformat(),
                agency=caller.agency,
                actor=caller.user,
                correlation_id=event_id,
            )
        except ValueError as exc:  # a name with no usable words
            raise FieldProblem(f"{where}.name", str(exc)) from exc
        events.extend(found.events)
        return found.person_id, found.kind or "new"

    suspect = request.suspect
    if suspect.person_id is not None:
        _known_person(conn, "suspect.person_id", suspect.person_id)
        suspect_id, suspect_match = canonical(conn, suspect.person_id), "given"
    else:
        assert suspect.name is not None and suspect.date_of_birth is not None
        suspect_id, suspect_match = match(
            "suspect", "perpetrator", suspect.name, suspect.date_of_birth
        )
    victim_ids: list[str] = []
    for index, victim in enumerate(request.victims):
        if victim.person_id is not None:
            _known_person(conn, f"victims[{index}].person_id", victim.person_id)
            victim_id = canonical(conn, victim.person_id)
        else:
            assert victim.name is not None and victim.date_of_birth is not None
            victim_id, _ = match(f"victims[{index}]", "victim", victim.name, victim.date_of_birth)
        if victim_id == suspect_id:
            raise FieldProblem(f"victims[{index}]", "is the same Tandem person as the suspect")
        if victim_id in victim_ids:
            raise FieldProblem(
                f"victims[{index}]",
                f"is the same Tandem person as victims[{victim_ids.index(victim_id)}]",
            )
        victim_ids.append(victim_id)
    incident = new_event(
        "IncidentRecorded",
        {
            "incident_id": request.incident_id,
            "occurred_on": request.occurred_on,
            "policing_area": request.policing_area,
            "is_crime": request.is_crime,
            "offence_categories": list(request.offence_categories),
            "suspect_person_id": suspect_id,
            "suspect_age": age,
            "suspect_name": None if suspect.name is None else suspect.name.strip(),
            "suspect_date_of_birth": (
                None if suspect.date_of_birth is None else suspect.date_of_birth.isoformat()
            ),
            "victim_person_ids": victim_ids,
            "crime_reference": request.crime_reference,
            "summary": request.summary,
        },
        aggregate_id=suspect_id,
        agency=caller.agency,
        actor=caller.user,
        event_id=event_id,
    )
    return IncidentDecision([*events, incident], incident, suspect_match, age)


# -- status changes ----------------------------------------------------------------------------


def check_status_change(
    changes: Sequence[StatusChange], status: Status, effective_on: dt.date
) -> None:
    """Refuse a change that contradicts the statuses in force on its date."""
    in_force = statuses_in_force(changes, effective_on)
    on = effective_on.isoformat()
    if Status.DECEASED in in_force:
        raise RuleViolation("deceased_is_final", f"the person is recorded as deceased by {on}")
    if status is Status.RELEASED and Status.CUSTODY not in in_force:
        raise RuleViolation("not_in_custody", f"the person is not in custody on {on}")
    if status is Status.RETURNED and Status.LEFT_AREA not in in_force:
        raise RuleViolation("not_left_area", f"the person has not left the area by {on}")
    if status in (Status.CUSTODY, Status.LEFT_AREA) and status in in_force:
        raise RuleViolation(
            f"already_{status.value}", f"the person is already recorded as {status.value} on {on}"
        )


def change_status(
    platform: Platform, conn: Connection, caller: Caller, person_id: str, request: StatusIn
) -> Event:
    today = platform.today()
    person_id = queries.kept_id(conn, person_id)
    effective_on = request.effective_on or today
    _not_after_today("effective_on", effective_on, today)
    facts = queries.person_facts(conn, person_id)
    if facts is None:
        raise NotFound(f"no incident is recorded for {person_id}")
    check_status_change(facts.status_changes, request.status, effective_on)
    return new_event(
        "PerpetratorStatusChanged",
        {"person_id": person_id, "status": request.status.value, "effective_on": effective_on},
        aggregate_id=person_id,
        agency=caller.agency,
        actor=caller.user,
    )


def _known_person(conn: Connection, field: str, person_id: str) -> None:
    if not person_known(conn, person_id):
        raise FieldProblem(
            field,
            f"no Tandem person has the id {person_id}; give the name and date of birth "
            "instead, or an id from an earlier answer",
        )


# -- nominations -------------------------------------------------------------------------------


def nominate(platform: Platform, conn: Connection, caller: Caller, request: NominationIn) -> Event:
    today = platform.today()
    nominated_on = request.nominated_on or today
    _not_after_today("nominated_on", nominated_on, today)
    _known_person(conn, "person_id", request.person_id)
    request = request.model_copy(update={"person_id": queries.kept_id(conn, request.person_id)})
    area = request.area or queries.latest_incident_area(conn, request.person_id)
    if area is None:
        raise RuleViolation(
            "nominee_has_no_incident",
            f"no domestic abuse incident is recorded for {request.person_id}; MATAC ranks "
            "perpetrators from police incident records",
        )
    return new_event(
        "MatacNominated",
        {
            "person_id": request.person_id,
            "area": area,
            "nominating_agency": caller.agency,
            "reason": request.reason.strip(),
            "nominated_on": nominated_on,
        },
        aggregate_id=request.person_id,
        agency=caller.agency,
        actor=caller.user,
    )


# -- cohort ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinDecision:
    event: Event
    score: Score


def join_cohort(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    request: CohortJoinIn,
    policy: MatacPolicy,
    birth_dates: queries.BirthDates | None = None,
) -> JoinDecision:
    """The entry score is the RFG(S) score on the joining date; the person must be in the
    ranked population then (aged 16+, not deceased, in custody or away, and with a counted
    incident or a nomination). `birth_dates` reads the date of birth when only it tells
    whether the person is 16 on the joining date (see ``queries``)."""
    today = platform.today()
    joined_on = request.joined_on or today
    _not_after_today("joined_on", joined_on, today)
    request = request.model_copy(update={"person_id": queries.kept_id(conn, request.person_id)})
    facts = queries.person_facts(conn, request.person_id)
    if facts is None:
        raise NotFound(f"no incident is recorded for {request.person_id}")
    history = queries.memberships(conn, person_id=request.person_id)
    current = next((m for m in history if m.left_on is None), None)
    if current is not None:
        raise RuleViolation(
            "already_in_cohort",
            f"{request.person_id} joined the cohort on {current.joined_on.isoformat()} and has "
            "not left",
        )
    last_exit = max((m.left_on for m in history if m.left_on is not None), default=None)
    if last_exit is not None and joined_on < last_exit:
        raise FieldProblem(
            "joined_on",
            f"{joined_on.isoformat()} is before the person last left the cohort "
            f"({last_exit.isoformat()})",
        )
    perpetrator = queries.perpetrators_on([facts], joined_on, policy.minimum_age, birth_dates)[
        request.person_id
    ]
    if isinstance(perpetrator, str):
        raise RuleViolation("not_in_population", f"{request.person_id}: {perpetrator}")
    excluded = exclusion_reason(perpetrator, policy, joined_on)
    if excluded is not None:
        raise RuleViolation(
            "not_in_population", f"{request.person_id} on {joined_on.isoformat()}: {excluded}"
        )
    score = score_perpetrator(facts.incidents, policy, joined_on)
    nomination = facts.nomination_on(joined_on)
    if score.incident_count == 0 and nomination is None:
        raise RuleViolation(
            "not_in_population",
            f"{request.person_id} has no incident in the look-back window on "
            f"{joined_on.isoformat()} and has not been nominated",
        )
    area = score.area or (nomination.area if nomination else None)
    assert area is not None
    event = new_event(
        "CohortJoined",
        {
            "person_id": request.person_id,
            "area": area,
            "joined_on": joined_on,
            "entry_score": float(score.total),
        },
        aggregate_id=request.person_id,
        agency=caller.agency,
        actor=caller.user,
    )
    return JoinDecision(event, score)


@dataclass(frozen=True)
class LeaveDecision:
    event: Event
    membership: queries.CohortMembership
    change: ScoreChange


def leave_cohort(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    person_id: str,
    left_on: dt.date | None,
    reason: str | None,
    policy: MatacPolicy,
) -> LeaveDecision:
    """The exit score is the RFG(S) score on the leaving date."""
    today = platform.today()
    left_on = left_on or today
    _not_after_today("left_on", left_on, today)
    person_id = queries.kept_id(conn, person_id)
    current = queries.open_membership(conn, person_id)
    if current is None:
        raise RuleViolation("not_in_cohort", f"{person_id} is not in the cohort")
    if left_on < current.joined_on:
        raise FieldProblem(
            "left_on",
            f"{left_on.isoformat()} is before {person_id} joined the cohort "
            f"({current.joined_on.isoformat()})",
        )
    facts = queries.person_facts(conn, person_id)
    incidents = () if facts is None else facts.incidents
    exit_score = score_perpetrator(incidents, policy, left_on).total
    change = score_change(
        CohortEntry(person_id, current.joined_on, current.entry_score, exit_score, left_on)
    )
    event = new_event(
        "CohortLeft",
        {
            "person_id": person_id,
            "left_on": left_on,
            "exit_score": float(exit_score),
            "reason": reason,
        },
        aggregate_id=person_id,
        agency=caller.agency,
        actor=caller.user,
    )
    return LeaveDecision(event, current, change)
