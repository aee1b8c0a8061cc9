"""Reading the MATAC read model into the domain's plain data, and ranking on the date asked.

Rankings are computed here, at query time, with the pure ``rank()`` for the requested as-of
date, so recency decays: a ranking for today reflects today, not the day of the last event.
Nothing here decrypts: identities are returned as (event id, payload) pairs for the API to
disclose per caller.

Ages (the rule is in ``services/matac/domain/ages.py``): when an incident records the
suspect's date of birth, the age comes from that date of birth (the latest incident carrying
one). It is encrypted, so it is read only when it decides: on the dates when the age recorded
on that incident allows both sides of the minimum age. The caller of ``ranking`` passes a
``BirthDates`` function that decrypts those few for its caller (and audits it); a date of
birth it cannot read leaves the person unranked, with the reason, never guessed. Only where
no date of birth is recorded is the age the youngest consistent with every recorded age
(``born_on_or_before``), so a 15-year-old is never ranked because an age was rounded up.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, select, union

from projections.matac import (
    matac_cohort,
    matac_incidents,
    matac_nominations,
    matac_perpetrators,
    matac_person_links,
    matac_status_changes,
)
from services.matac.domain.ages import date_of_birth_decides, latest_birth_date, youngest_age
from services.matac.domain.dates import subtract_months
from services.matac.domain.model import Incident, Nomination, Perpetrator, Status, StatusChange
from services.matac.domain.ranking import RankedRow, rank
from services.matac.policy import MatacPolicy
from services.sharing.matching import canonical

AGE_UNKNOWN = "age unknown: no incident records the suspect's age or date of birth"


def date_of_birth_unreadable(as_of: dt.date, minimum_age: int, why: str | None) -> str:
    """Why someone whose age on the as-of date only their date of birth settles is unranked."""
    return (
        f"age on {as_of.isoformat()} unknown: only the recorded date of birth tells whether "
        f"they are {minimum_age} yet, and it cannot be read ({why or 'not read'})"
    )


# -- facts about perpetrators ------------------------------------------------------------------


@dataclass(frozen=True)
class BirthRecord:
    """The latest incident carrying the suspect's date of birth, which stays encrypted.

    `suspect_age` is the age recorded on it (computed from that date of birth); `payload` is
    trimmed to the date of birth and its subject, ready to disclose.
    """

    person_id: str
    event_id: str
    occurred_on: dt.date
    suspect_age: int | None
    payload: dict[str, Any]


BirthDates = Callable[[Sequence[BirthRecord]], Mapping[str, dt.date | str]]
"""Reads the dates of birth of the records given, for whoever asks: per person id, the date,
or why it cannot be read (withheld from the caller, erased). A person left out is not read."""


@dataclass(frozen=True)
class NominationRecord:
    event_id: str
    person_id: str
    area: str
    agency: str
    nominated_on: dt.date
    recorded_at: dt.datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class PerpetratorFacts:
    """What the read model knows about one person, as plain data.

    `born_on_or_before` comes from every recorded age and is used only when no date of birth
    is recorded (`birth` is None).
    """

    person_id: str
    born_on_or_before: dt.date | None
    name_event_id: str | None
    incidents: tuple[Incident, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()
    nominations: tuple[NominationRecord, ...] = ()
    birth: BirthRecord | None = None

    def age_on(self, on: dt.date, date_of_birth: dt.date | None = None) -> int | None:
        """The age on `on`: from `date_of_birth` when given (read from `birth`); otherwise the
        youngest consistent with the age recorded with the date of birth or, when none is
        recorded, with every recorded age. None when nothing records an age."""
        if date_of_birth is not None:
            return youngest_age(date_of_birth, on)
        bound = self._born_on_or_before()
        return None if bound is None else youngest_age(bound, on)

    def _born_on_or_before(self) -> dt.date | None:
        if self.birth is not None and self.birth.suspect_age is not None:
            return latest_birth_date(self.birth.occurred_on, self.birth.suspect_age)
        return self.born_on_or_before

    def needs_date_of_birth(self, as_of: dt.date, minimum_age: int) -> bool:
        """Whether only the recorded date of birth tells if the person is of age on `as_of`."""
        return self.birth is not None and date_of_birth_decides(
            self.birth.occurred_on, self.birth.suspect_age, minimum_age, as_of
        )

    def nomination_on(self, as_of: dt.date) -> NominationRecord | None:
        """The latest nomination made on or before the as-of date."""
        made = [n for n in self.nominations if n.nominated_on <= as_of]
        return max(made, key=lambda n: (n.nominated_on, n.recorded_at, n.event_id), default=None)

    def perpetrator(
        self, as_of: dt.date, date_of_birth: dt.date | None = None
    ) -> Perpetrator | None:
        """The domain's Perpetrator on the as-of date, or None when the age is unknown.

        Give the `date_of_birth` read from `birth` when `needs_date_of_birth`; without it the
        age is the youngest the records allow, which is only right when it does not.
        The nomination's reason stays encrypted in the read model; ranking never needs it.
        """
        age = None if date_of_birth is not None else self.age_on(as_of)
        if age is None and date_of_birth is None:
            return None
        made = self.nomination_on(as_of)
        nomination = (
            None
            if made is None
            else Nomination(
                nominated_on=made.nominated_on, agency=made.agency, area=made.area, reason=""
            )
        )
        return Perpetrator(
            person_id=self.person_id,
            incidents=self.incidents,
            date_of_birth=date_of_birth,
            age=age,
            status_changes=self.status_changes,
            nomination=nomination,
        )


def perpetrators_on(
    facts: Iterable[PerpetratorFacts],
    as_of: dt.date,
    minimum_age: int,
    birth_dates: BirthDates | None,
) -> dict[str, Perpetrator | str]:
    """Each person as the domain's Perpetrator on the as-of date, or why they cannot be
    ranked (a str). Dates of birth are read, through `birth_dates`, only where they decide."""
    people = list(facts)
    needed = [f.birth for f in people if f.birth and f.needs_date_of_birth(as_of, minimum_age)]
    read = birth_dates(needed) if needed and birth_dates is not None else {}
    result: dict[str, Perpetrator | str] = {}
    for f in people:
        if f.needs_date_of_birth(as_of, minimum_age):
            date_of_birth = read.get(f.person_id)
            if not isinstance(date_of_birth, dt.date):
                result[f.person_id] = date_of_birth_unreadable(as_of, minimum_age, date_of_birth)
                continue
            perpetrator = f.perpetrator(as_of, date_of_birth)
        else:
            perpetrator = f.perpetrator(as_of)
        result[f.person_id] = AGE_UNKNOWN if perpetrator is None else perpetrator
    return result


PersonFilter = Select | Iterable[str]


def _in(column, persons: PersonFilter):
    return column.in_(persons if isinstance(persons, Select) else list(persons))


def load_facts(
    conn: Connection,
    persons: PersonFilter,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, PerpetratorFacts]:
    """Facts for the given people (ids or a select of ids); incidents limited to the dates.

    Everyone with an incident, a nomination or a perpetrator record is included.
    """
    incident_query = select(matac_incidents).where(_in(matac_incidents.c.person_id, persons))
    if since is not None:
        incident_query = incident_query.where(matac_incidents.c.occurred_on >= since)
    if until is not None:
        incident_query = incident_query.where(matac_incidents.c.occurred_on <= until)
    incidents: dict[str, list[Incident]] = defaultdict(list)
    for row in conn.execute(incident_query):
        incidents[row.person_id].append(
            Incident(
                incident_id=row.incident_id,
                occurred_on=row.occurred_on,
                area=row.area,
                is_crime=row.is_crime,
                offence_categories=tuple(row.offence_categories),
                victim_ids=tuple(row.victim_person_ids),
            )
        )
    changes: dict[str, list[StatusChange]] = defaultdict(list)
    for row in conn.execute(
        select(matac_status_changes)
        .where(_in(matac_status_changes.c.person_id, persons))
        .order_by(
            matac_status_changes.c.effective_on,
            matac_status_changes.c.recorded_at,
            matac_status_changes.c.event_id,
        )
    ):
        changes[row.person_id].append(StatusChange(row.effective_on, Status(row.status)))
    nominations: dict[str, list[NominationRecord]] = defaultdict(list)
    for row in conn.execute(
        select(matac_nominations)
        .where(_in(matac_nominations.c.person_id, persons))
        .order_by(matac_nominations.c.nominated_on, matac_nominations.c.recorded_at)
    ):
        nominations[row.person_id].append(
            NominationRecord(
                event_id=row.event_id,
                person_id=row.person_id,
                area=row.area,
                agency=row.nominating_agency,
                nominated_on=row.nominated_on,
                recorded_at=row.recorded_at,
                payload=row.payload,
            )
        )
    births = matac_incidents.alias("births")
    summaries = {
        row.person_id: row
        for row in conn.execute(
            select(
                matac_perpetrators,
                births.c.suspect_age.label("birth_suspect_age"),
                births.c.payload.label("birth_payload"),
            )
            .outerjoin(births, births.c.event_id == matac_perpetrators.c.birth_event_id)
            .where(_in(matac_perpetrators.c.person_id, persons))
        )
    }
    everyone = set(incidents) | set(changes) | set(nominations) | set(summaries)
    facts = {}
    for person_id in sorted(everyone):
        summary = summaries.get(person_id)
        facts[person_id] = PerpetratorFacts(
            person_id=person_id,
            born_on_or_before=None if summary is None else summary.born_on_or_before,
            name_event_id=None if summary is None else summary.name_event_id,
            birth=_birth_record(summary),
            incidents=tuple(
                sorted(incidents.get(person_id, ()), key=lambda i: (i.occurred_on, i.incident_id))
            ),
            status_changes=tuple(changes.get(person_id, ())),
            nominations=tuple(nominations.get(person_id, ())),
        )
    return facts


def _birth_record(summary: Any) -> BirthRecord | None:
    if summary is None or summary.birth_event_id is None or summary.birth_payload is None:
        return None
    return BirthRecord(
        person_id=summary.person_id,
        event_id=summary.birth_event_id,
        occurred_on=summary.birth_occurred_on,
        suspect_age=summary.birth_suspect_age,
        payload={
            "suspect_person_id": summary.birth_payload["suspect_person_id"],
            "suspect_date_of_birth": summary.birth_payload.get("suspect_date_of_birth"),
        },
    )


def kept_id(conn: Connection, person_id: str) -> str:
    """The id MATAC keeps for a person a confirmed match merged: old ids still find them."""
    return canonical(conn, person_id, matac_person_links)


def person_facts(conn: Connection, person_id: str) -> PerpetratorFacts | None:
    """Everything about one person (every incident), or None if MATAC has no incident for them."""
    facts = load_facts(conn, [person_id]).get(person_id)
    return None if facts is None or not facts.incidents else facts


# -- rankings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    as_of: dt.date
    area: str | None
    top: int
    rows: list[RankedRow]
    unranked: list[tuple[str, str]]
    """(person id, reason) of candidates who cannot be ranked."""
    facts: dict[str, PerpetratorFacts] = field(repr=False)


def ranking(
    conn: Connection,
    policy: MatacPolicy,
    as_of: dt.date,
    *,
    area: str | None = None,
    top: int | None = None,
    birth_dates: BirthDates | None = None,
) -> Ranking:
    """The MATAC list on `as_of` (top N per area plus nominees), from the stored incidents.

    `top` None means the policy's default N. `birth_dates` reads the dates of birth that
    decide someone's age on the as-of date (see the module docstring); without it, those
    people are unranked. Candidates are people with an incident in the
    look-back window (in the area, when one is given) or a nomination made by the as-of
    date; each is given their incidents from the start of the serial window up to the as-of
    date, so a row's explanation lists exactly the records that could affect it.
    """
    cut = policy.default_top_n if top is None else top
    window_start = subtract_months(as_of, policy.lookback_months)
    serial_start = subtract_months(as_of, policy.serial_window_months)
    with_incident = select(matac_incidents.c.person_id).where(
        matac_incidents.c.occurred_on >= window_start, matac_incidents.c.occurred_on <= as_of
    )
    with_nomination = select(matac_nominations.c.person_id).where(
        matac_nominations.c.nominated_on <= as_of
    )
    if area is not None:
        with_incident = with_incident.where(matac_incidents.c.area == area)
        with_nomination = with_nomination.where(matac_nominations.c.area == area)
    candidates = union(with_incident, with_nomination).subquery()
    facts = load_facts(
        conn,
        select(candidates.c.person_id),
        since=min(window_start, serial_start),
        until=as_of,
    )
    perpetrators, unranked = [], []
    people = perpetrators_on(facts.values(), as_of, policy.minimum_age, birth_dates)
    for person_id, perpetrator in people.items():
        if isinstance(perpetrator, str):
            unranked.append((person_id, perpetrator))
        else:
            perpetrators.append(perpetrator)
    rows = rank(perpetrators, policy, as_of, area=area, top=cut)
    return Ranking(as_of, area, cut, rows, unranked, facts)


def position_in_area(
    conn: Connection,
    policy: MatacPolicy,
    as_of: dt.date,
    area: str,
    person_id: str,
    birth_dates: BirthDates | None = None,
) -> RankedRow | None:
    """The person's row in the area's full order (no cut), or None if they are not in it."""
    everyone = ranking(conn, policy, as_of, area=area, top=sys.maxsize, birth_dates=birth_dates)
    return next((row for row in everyone.rows if row.person_id == person_id), None)


# -- identities and records --------------------------------------------------------------------


def identity_payloads(
    conn: Connection, person_ids: Iterable[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per person, (event id, payload) of the latest incident naming them, trimmed to the
    name so disclosing it decrypts (and audits) nothing else. The date of birth comes from
    the latest incident carrying one (`PerpetratorFacts.birth`), which may not name them."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        select(
            matac_perpetrators.c.person_id, matac_incidents.c.event_id, matac_incidents.c.payload
        )
        .join(matac_incidents, matac_incidents.c.event_id == matac_perpetrators.c.name_event_id)
        .where(matac_perpetrators.c.person_id.in_(wanted))
    )
    return {
        row.person_id: (
            row.event_id,
            {
                "suspect_person_id": row.payload["suspect_person_id"],
                "suspect_name": row.payload.get("suspect_name"),
            },
        )
        for row in rows
    }


@dataclass(frozen=True)
class IncidentRow:
    incident_id: str
    event_id: str
    occurred_on: dt.date
    area: str
    is_crime: bool
    offence_categories: list[str]
    victim_person_ids: list[str]
    suspect_age: int | None
    payload: dict[str, Any]


def incident_rows(conn: Connection, person_id: str) -> list[IncidentRow]:
    rows = conn.execute(
        select(matac_incidents)
        .where(matac_incidents.c.person_id == person_id)
        .order_by(matac_incidents.c.occurred_on, matac_incidents.c.incident_id)
    )
    return [
        IncidentRow(
            incident_id=r.incident_id,
            event_id=r.event_id,
            occurred_on=r.occurred_on,
            area=r.area,
            is_crime=r.is_crime,
            offence_categories=list(r.offence_categories),
            victim_person_ids=list(r.victim_person_ids),
            suspect_age=r.suspect_age,
            payload=r.payload,
        )
        for r in rows
    ]


def status_rows(conn: Connection, person_id: str) -> list[Any]:
    return list(
        conn.execute(
            select(matac_status_changes)
            .where(matac_status_changes.c.person_id == person_id)
            .order_by(
                matac_status_changes.c.effective_on,
                matac_status_changes.c.recorded_at,
                matac_status_changes.c.event_id,
            )
        )
    )


def incident_is_recorded(conn: Connection, incident_id: str) -> bool:
    return (
        conn.execute(
            select(matac_incidents.c.event_id).where(matac_incidents.c.incident_id == incident_id)
        ).first()
        is not None
    )


def has_nominated(conn: Connection, person_id: str, agency: str) -> bool:
    return (
        conn.execute(
            select(matac_nominations.c.event_id).where(
                matac_nominations.c.person_id == person_id,
                matac_nominations.c.nominating_agency == agency,
            )
        ).first()
        is not None
    )


def latest_incident_area(conn: Connection, person_id: str) -> str | None:
    return conn.execute(
        select(matac_incidents.c.area)
        .where(matac_incidents.c.person_id == person_id)
        .order_by(matac_incidents.c.occurred_on.desc(), matac_incidents.c.incident_id.desc())
        .limit(1)
    ).scalar()


# -- cohort ------------------------------------------------------------------------------------


def _decimal(value: float | None) -> Decimal | None:
    """Scores travel as Avro doubles; read them back as the decimals they were written from."""
    return None if value is None else Decimal(repr(value))


@dataclass(frozen=True)
class CohortMembership:
    joined_event_id: str
    person_id: str
    area: str
    joined_on: dt.date
    entry_score: Decimal
    left_on: dt.date | None
    exit_score: Decimal | None
    exit_reason: str | None
    """As published: a token from CohortLeft v2 (plain text in v1 events); see exit_reasons."""
    left_event_id: str | None = None

    def open_on(self, as_of: dt.date) -> bool:
        """A member on the as-of date: joined by then and not yet left."""
        return self.joined_on <= as_of and (self.left_on is None or self.left_on > as_of)


def memberships(
    conn: Connection, *, area: str | None = None, person_id: str | None = None
) -> list[CohortMembership]:
    query = select(matac_cohort).order_by(
        matac_cohort.c.joined_on, matac_cohort.c.person_id, matac_cohort.c.joined_event_id
    )
    if area is not None:
        query = query.where(matac_cohort.c.area == area)
    if person_id is not None:
        query = query.where(matac_cohort.c.person_id == person_id)
    return [
        CohortMembership(
            joined_event_id=r.joined_event_id,
            person_id=r.person_id,
            area=r.area,
            joined_on=r.joined_on,
            entry_score=_decimal(r.entry_score),
            left_on=r.left_on,
            exit_score=_decimal(r.exit_score),
            exit_reason=r.exit_reason,
            left_event_id=r.left_event_id,
        )
        for r in conn.execute(query)
    ]


def open_membership(conn: Connection, person_id: str) -> CohortMembership | None:
    """The person's current membership as recorded (not yet left), if any."""
    current = [m for m in memberships(conn, person_id=person_id) if m.left_on is None]
    return current[-1] if current else None


def cohort_members_on(conn: Connection, as_of: dt.date) -> set[str]:
    """People who are cohort members on the as-of date."""
    return {m.person_id for m in memberships(conn) if m.open_on(as_of)}
