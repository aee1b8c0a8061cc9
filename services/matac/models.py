"""Request and response models of the MATAC API (the OpenAPI reference is built from these).

Request types are strict: a date is an ISO ``YYYY-MM-DD`` string (``IsoDate``, also used for
the date query parameters; never a number read as a Unix timestamp, so ``0`` is not 1 January
1970), a flag is ``true`` or ``false`` (never ``0``/``1`` or ``"yes"``), an age an integer
(never ``true`` or ``"34"``). Anything else is a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from services.intake.api_examples import PERPETRATOR_ID
from services.intake.models import ProtectedText
from services.kernel.request_types import IsoDate
from services.matac.domain.model import Status

AREA_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
AREA_DESCRIPTION = "policing area code, lower case (e.g. oxford, reading, milton-keynes)"
PERSON_ID = Field(min_length=1, max_length=64, examples=[PERPETRATOR_ID])


# -- requests ----------------------------------------------------------------------------------


class SuspectIn(BaseModel):
    """The suspect: a Tandem person id, or a name and date of birth to match one."""

    model_config = ConfigDict(extra="forbid")

    person_id: str | None = Field(
        None, min_length=1, max_length=64, description="a Tandem person id, when known"
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="full name; encrypted on the event (perpetrator.identity)",
    )
    date_of_birth: IsoDate | None = Field(
        None,
        description="encrypted on the event; gives the age on the incident date, and the age "
        "on any date MATAC ranks on",
    )
    age: StrictInt | None = Field(
        None, ge=0, le=120, description="age on the incident date, when no date of birth is known"
    )

    @model_validator(mode="after")
    def _identified(self) -> SuspectIn:
        if self.person_id is None and (self.name is None or self.date_of_birth is None):
            raise ValueError("give the suspect's person_id, or their name and date_of_birth")
        if self.date_of_birth is None and self.age is None:
            raise ValueError(
                "give the suspect's date_of_birth or age (people under 16 are not ranked)"
            )
        return self


class VictimIn(BaseModel):
    """A victim: a Tandem person id, or a name and date of birth to match one.

    Only the victim's person id goes on the incident event; a name is used for matching."""

    model_config = ConfigDict(extra="forbid")

    person_id: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    date_of_birth: IsoDate | None = None

    @model_validator(mode="after")
    def _identified(self) -> VictimIn:
        if self.person_id is None and (self.name is None or self.date_of_birth is None):
            raise ValueError("give the victim's person_id, or their name and date_of_birth")
        return self


class IncidentIn(BaseModel):
    """A police-recorded domestic abuse incident (crime or non-crime)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "incident_id": "TVP-2026-004417",
                    "occurred_on": "2026-02-20",
                    "policing_area": "oxford",
                    "is_crime": True,
                    "offence_categories": ["abh", "criminal_damage"],
                    "suspect": {"name": "Darren Price", "date_of_birth": "1991-08-14"},
                    "victims": [{"name": "Kerry Price", "date_of_birth": "1993-02-01"}],
                    "crime_reference": "43260012345",
                    "summary": "Assault at the victim's address after an argument.",
                }
            ]
        },
    )

    incident_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
        description="the force's incident or occurrence number; recorded once",
    )
    occurred_on: IsoDate = Field(description="not after today")
    policing_area: str = Field(
        min_length=1, max_length=64, pattern=AREA_PATTERN, description=AREA_DESCRIPTION
    )
    is_crime: StrictBool
    offence_categories: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="codes from the MATAC policy's harm table; none means a non-crime incident",
    )
    suspect: SuspectIn
    victims: list[VictimIn] = Field(min_length=1, max_length=20)
    crime_reference: str | None = Field(
        None, max_length=64, description="encrypted (offending.detail)"
    )
    summary: str | None = Field(None, max_length=4000, description="encrypted (offending.detail)")


class StatusIn(BaseModel):
    """A change that takes a perpetrator out of, or back into, the ranked population."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "custody", "effective_on": "2026-12-01"}]},
    )

    status: Status = Field(
        description="custody, released, deceased, left_area (moved away) or returned"
    )
    effective_on: IsoDate | None = Field(None, description="default today; not after today")


class NominationIn(BaseModel):
    """A partner agency asks the MATAC meeting to review a perpetrator, whatever their score."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "person_id": PERPETRATOR_ID,
                    "reason": "Tenancy enforcement under way; threats to neighbours reported.",
                }
            ]
        },
    )

    person_id: str = PERSON_ID
    area: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=AREA_PATTERN,
        description="default: the area of the person's latest incident",
    )
    reason: str = Field(
        min_length=5, max_length=2000, description="encrypted on the event (risk.narrative)"
    )
    nominated_on: IsoDate | None = Field(None, description="default today; not after today")


class CohortJoinIn(BaseModel):
    """Add a perpetrator to the MATAC cohort; their score on the day is the entry score."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"person_id": PERPETRATOR_ID, "joined_on": "2026-11-30"}]},
    )

    person_id: str = PERSON_ID
    joined_on: IsoDate | None = Field(None, description="default today; not after today")


# -- explanations ------------------------------------------------------------------------------


class Band(BaseModel):
    """The R, F or G band a value fell in, with its bounds and points."""

    measure: str
    value: float
    band_index: int
    lower: float | None
    lower_inclusive: bool
    upper: float | None
    bounds: str = Field(examples=["> 1 and <= 3"])
    points: int


class IncidentExplanation(BaseModel):
    """One incident as the score saw it: counted or not and why, and its harm."""

    incident_id: str
    occurred_on: dt.date
    area: str
    counted: bool
    reason: str
    in_serial_window: bool
    most_serious_offence: str
    harm_points: float
    victim_ids: list[str]
    note: str | None


class ScoreExplanation(BaseModel):
    """An RFG(S) score and everything behind it: bands, incidents, victims, multiplier."""

    as_of: dt.date
    policy: str
    window_start: dt.date
    serial_window_start: dt.date
    score: float
    base: float = Field(description="weighted R + F + G before the victims multiplier")
    recency: int
    frequency: int
    gravity: int
    recency_band: Band | None
    frequency_band: Band | None
    gravity_band: Band | None
    incident_count: int
    total_harm: float
    latest_incident_on: dt.date | None
    area: str | None
    victims: int
    victims_counted: int
    multiplier: float
    serial: bool
    serial_victims: int
    incidents: list[IncidentExplanation]


# -- responses ---------------------------------------------------------------------------------


class RankingRow(BaseModel):
    rank: int = Field(description="position in the area's full order (a nominee may be 23rd)")
    person_id: str
    name: ProtectedText | None = Field(
        description="from the latest incident naming the suspect; null when none does"
    )
    area: str
    score: float
    recency: int
    frequency: int
    gravity: int
    victims: int
    serial: bool
    nominated: bool = Field(description="on the list by nomination, even below the cut")
    in_cohort: bool = Field(description="a member of the MATAC cohort on the as-of date")
    latest_incident_on: dt.date | None
    incident_count: int
    total_harm: float
    explanation: ScoreExplanation


class Unranked(BaseModel):
    person_id: str
    reason: str


class RankingOut(BaseModel):
    """The MATAC list: top N per area on the as-of date, plus nominees below the cut."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-03-02",
                    "area": "oxford",
                    "top": 10,
                    "policy": "tandem-default-rfgs-1",
                    "rows": [
                        {
                            "rank": 1,
                            "person_id": PERPETRATOR_ID,
                            "name": {
                                "status": "shown",
                                "data_class": "perpetrator.identity",
                                "value": "Darren Price",
                            },
                            "area": "oxford",
                            "score": 20.0,
                            "recency": 5,
                            "frequency": 3,
                            "gravity": 4,
                            "victims": 2,
                            "serial": True,
                            "nominated": False,
                            "in_cohort": False,
                            "latest_incident_on": "2026-02-20",
                            "incident_count": 3,
                            "total_harm": 15.0,
                            "explanation": {"...": "see ScoreExplanation"},
                        }
                    ],
                    "unranked": [],
                }
            ]
        }
    )

    as_of: dt.date
    area: str | None = Field(description="null: every area")
    top: int
    policy: str
    rows: list[RankingRow]
    unranked: list[Unranked] = Field(
        description="people with a counted incident or nomination who cannot be ranked "
        "because no record gives their age, or because only their date of birth tells "
        "whether they are 16 on the as-of date and the caller may not read it (never "
        "silently left out)"
    )


class IncidentAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "incident_id": "TVP-2026-004417",
                    "event_id": "8d0c3c0e-6b1f-4d8e-9b7a-3f3f1f2f9a10",
                    "suspect_person_id": PERPETRATOR_ID,
                    "suspect_match": "new",
                    "suspect_age": 34,
                    "victim_person_ids": ["p-1c9e0a7d2b44"],
                    "events": ["PersonIndexed", "IncidentRecorded"],
                }
            ]
        }
    )

    incident_id: str
    event_id: str
    suspect_person_id: str
    suspect_match: Literal["given", "exact", "near", "new"] = Field(
        description="given: the person id was supplied; exact: matched an indexed person; "
        "near: a new person, with a match proposed to the coordinator; new: no match"
    )
    suspect_age: int | None
    victim_person_ids: list[str]
    events: list[str] = Field(description="event types published, in order")


class StatusRecorded(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": PERPETRATOR_ID,
                    "status": "custody",
                    "effective_on": "2026-12-01",
                    "event_id": "1f0c3c0e-6b1f-4d8e-9b7a-3f3f1f2f9a10",
                }
            ]
        }
    )

    person_id: str
    status: Status
    effective_on: dt.date
    event_id: str


class NominationAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": PERPETRATOR_ID,
                    "area": "oxford",
                    "nominating_agency": "housing-oxford",
                    "nominated_on": "2026-03-02",
                    "event_id": "2a0c3c0e-6b1f-4d8e-9b7a-3f3f1f2f9a10",
                }
            ]
        }
    )

    person_id: str
    area: str
    nominating_agency: str
    nominated_on: dt.date
    event_id: str


class CohortJoinedOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": PERPETRATOR_ID,
                    "area": "oxford",
                    "joined_on": "2026-03-02",
                    "entry_score": 20.0,
                    "event_id": "3b0c3c0e-6b1f-4d8e-9b7a-3f3f1f2f9a10",
                    "explanation": {"...": "see ScoreExplanation"},
                }
            ]
        }
    )

    person_id: str
    area: str
    joined_on: dt.date
    entry_score: float
    event_id: str
    explanation: ScoreExplanation


class CohortLeftOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": PERPETRATOR_ID,
                    "joined_on": "2025-12-31",
                    "entry_score": 12.0,
                    "left_on": "2026-03-02",
                    "exit_score": 11.0,
                    "change": -1.0,
                    "percent_change": -8.33,
                    "reason": "completed",
                    "event_id": "4c0c3c0e-6b1f-4d8e-9b7a-3f3f1f2f9a10",
                }
            ]
        }
    )

    person_id: str
    joined_on: dt.date
    entry_score: float
    left_on: dt.date
    exit_score: float
    change: float = Field(description="exit minus entry; negative is a fall")
    percent_change: float | None = Field(description="null when the entry score was 0")
    reason: str | None
    event_id: str


class CohortMember(BaseModel):
    person_id: str
    name: ProtectedText | None
    area: str
    joined_on: dt.date
    entry_score: float
    left_on: dt.date | None = Field(description="null while still in the cohort on the as-of date")
    exit_score: float | None
    exit_reason: ProtectedText | None = Field(description="why they left (risk.narrative)")
    current_score: float | None = Field(description="score on the as-of date, while a member")
    latest_score: float = Field(description="the exit score, or the current score")
    change: float
    percent_change: float | None


class CohortMeasureOut(BaseModel):
    members: int
    members_with_percent: int = Field(description="members whose entry score was above 0")
    mean_percent_change: float | None = Field(description="mean of members' percentage changes")
    mean_percent_fall: float | None
    total_entry_score: float
    total_latest_score: float
    total_change: float
    total_percent_change: float | None


class CohortReport(BaseModel):
    """The cohort on the as-of date: entry, current and exit scores, and the average change."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-03-02",
                    "area": "oxford",
                    "members": [
                        {
                            "person_id": PERPETRATOR_ID,
                            "name": {
                                "status": "shown",
                                "data_class": "perpetrator.identity",
                                "value": "Mark Jones",
                            },
                            "area": "oxford",
                            "joined_on": "2025-12-31",
                            "entry_score": 12.0,
                            "left_on": "2026-03-02",
                            "exit_score": 11.0,
                            "exit_reason": {
                                "status": "shown",
                                "data_class": "risk.narrative",
                                "value": "completed",
                            },
                            "current_score": None,
                            "latest_score": 11.0,
                            "change": -1.0,
                            "percent_change": -8.33,
                        }
                    ],
                    "measure": {
                        "members": 1,
                        "members_with_percent": 1,
                        "mean_percent_change": -8.33,
                        "mean_percent_fall": 8.33,
                        "total_entry_score": 12.0,
                        "total_latest_score": 11.0,
                        "total_change": -1.0,
                        "total_percent_change": -8.33,
                    },
                }
            ]
        }
    )

    as_of: dt.date
    area: str | None
    members: list[CohortMember]
    measure: CohortMeasureOut


class HistoryPoint(BaseModel):
    date: dt.date
    score: float


class HistoryOut(BaseModel):
    """A perpetrator's score on a series of dates, each as if scored on that date."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": PERPETRATOR_ID,
                    "start": "2026-01-01",
                    "end": "2026-03-02",
                    "step_days": 28,
                    "points": [
                        {"date": "2026-01-01", "score": 16.25},
                        {"date": "2026-01-29", "score": 16.25},
                        {"date": "2026-02-26", "score": 20.0},
                        {"date": "2026-03-02", "score": 20.0},
                    ],
                }
            ]
        }
    )

    person_id: str
    start: dt.date
    end: dt.date
    step_days: int
    points: list[HistoryPoint]


class IncidentRecord(BaseModel):
    incident_id: str
    occurred_on: dt.date
    area: str
    is_crime: bool
    offence_categories: list[str]
    victim_person_ids: list[str]
    suspect_age: int | None
    crime_reference: ProtectedText | None
    summary: ProtectedText | None


class StatusChangeOut(BaseModel):
    status: Status
    effective_on: dt.date
    agency: str


class NominationOut(BaseModel):
    nominating_agency: str
    area: str
    nominated_on: dt.date
    reason: ProtectedText


class Membership(BaseModel):
    area: str
    joined_on: dt.date
    entry_score: float
    left_on: dt.date | None
    exit_score: float | None
    exit_reason: ProtectedText | None = Field(description="why they left (risk.narrative)")


class ProfileOut(BaseModel):
    """One perpetrator: who (as the caller may see), the score explained, and its history."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": PERPETRATOR_ID,
                    "as_of": "2026-03-02",
                    "name": {
                        "status": "withheld",
                        "data_class": "perpetrator.identity",
                        "reason": "withheld under thames-valley-da-isa v2: housing-oxford may "
                        "not read perpetrator.identity for matac",
                    },
                    "date_of_birth": None,
                    "area": "oxford",
                    "youngest_possible_age": 40,
                    "age_from_date_of_birth": False,
                    "in_population": True,
                    "exclusion": None,
                    "rank": 4,
                    "nominated": True,
                    "in_cohort": False,
                    "score": {"...": "see ScoreExplanation"},
                    "incidents": [],
                    "status_changes": [],
                    "nominations": [],
                    "cohort": [],
                    "history": [{"date": "2026-03-02", "score": 4.0}],
                }
            ]
        }
    )

    person_id: str
    as_of: dt.date
    name: ProtectedText | None
    date_of_birth: ProtectedText | None
    area: str | None = Field(description="where the person ranks: latest counted incident's area")
    youngest_possible_age: int | None = Field(
        description="the age on the as-of date: exact when the recorded date of birth is "
        "shown (age_from_date_of_birth), otherwise the youngest the recorded ages allow"
    )
    age_from_date_of_birth: bool = Field(
        description="youngest_possible_age is computed from the recorded date of birth"
    )
    in_population: bool
    exclusion: str | None = Field(description="why the person is not ranked on the as-of date")
    rank: int | None = Field(description="position in the area's full order on the as-of date")
    nominated: bool
    in_cohort: bool
    score: ScoreExplanation
    incidents: list[IncidentRecord]
    status_changes: list[StatusChangeOut]
    nominations: list[NominationOut]
    cohort: list[Membership]
    history: list[HistoryPoint] = Field(
        description="the score every 28 days over the year up to the as-of date"
    )


class RuleProblem(BaseModel):
    rule: str = Field(examples=["already_in_cohort"])
    message: str


class RuleRefusal(BaseModel):
    """A command refused by a MATAC rule (409); nothing was published."""

    detail: RuleProblem
