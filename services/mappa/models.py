"""Request and response models of the MAPPA API (they are its OpenAPI reference).

Requests check shape only (types, required fields, lengths, allowed values, and what one
request shows on its own, such as a date of birth after the registration date) and refuse
unknown fields, so a malformed request is a 422 naming the field. Types are strict: a date is
an ISO ``YYYY-MM-DD`` string (``IsoDate``; never a number read as a Unix timestamp), a flag is
``true`` or ``false`` (never ``0``/``1``), a category or level an integer (never ``true``
or ``1.0``). Whether a command makes
sense for the nominal as it stands (category 1 needs a notification end, level 3 needs the
senior oversight need, nothing after management ended...) is for the domain rules: 409 with
the rule code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.intake.api_examples import NOMINAL_ID
from services.intake.models import ProtectedText
from services.kernel.request_types import IsoDate

AREA_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Area = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=AREA_PATTERN,
        description="MAPPA area code: lower-case letters, digits and hyphens",
        examples=["thames-valley"],
    ),
]
Agency = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="an agency code of a party to the information sharing agreement",
        examples=["probation-tv"],
    ),
]
ShortText = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=10_000)]
RoshLevel = Literal["low", "medium", "high", "very_high"]
ReviewStatusName = Literal["overdue", "due", "scheduled", "not_applicable"]


def _whole_number(value: Any) -> Any:
    """Refuse booleans and non-integers before a ``Literal`` of ints (``true`` is not 1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Category = Annotated[Literal[1, 2, 3, 4], BeforeValidator(_whole_number)]
Level = Annotated[Literal[1, 2, 3], BeforeValidator(_whole_number)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ---------------------------------------------------------------------------------


class RegisterNominalRequest(_Request):
    """Open a MAPPA nominal's record in an area. Identity, offence, address and plan are
    encrypted before they are published; area, lead agency and dates travel in the clear."""

    area: Area
    lead_agency: Agency = Field(description="the agency leading the nominal's management")
    registered_on: IsoDate = Field(description="the date MAPPA management here started")
    name: ShortText = Field(min_length=1, description="full name (mappa.identity)")
    aliases: list[ShortText] = Field(
        default_factory=list, max_length=50, description="other names used (mappa.identity)"
    )
    date_of_birth: IsoDate = Field(description="(mappa.identity)")
    visor_reference: ShortText | None = Field(None, description="ViSOR reference (mappa.identity)")
    pnc_id: ShortText | None = Field(
        None, description="Police National Computer id (mappa.identity)"
    )
    probation_reference: ShortText | None = Field(None, description="(mappa.identity)")
    index_offence: LongText = Field(min_length=1, description="(mappa.offence)")
    sentence: LongText | None = Field(None, description="(mappa.offence)")
    sentence_date: IsoDate | None = None
    release_date: IsoDate | None = None
    licence_end_date: IsoDate | None = None
    address: LongText | None = Field(
        None, description="where the nominal lives (mappa.address_risk)"
    )
    address_risk: LongText | None = Field(
        None, description="the risk relevant to where the nominal lives (mappa.address_risk)"
    )
    rosh_level: RoshLevel | None = Field(None, description="risk of serious harm level")
    risk_management_plan: LongText | None = Field(
        None, description="summary of the risk management plan (mappa.minutes)"
    )
    confirmed_not_duplicate: bool = Field(
        False,
        description="register even though a nominal with the same PNC ID, ViSOR reference, or "
        "name and date of birth exists (409 `possible_duplicate` names it otherwise): a "
        "different person, or the same one registered again in another area",
    )

    @field_validator("date_of_birth")
    @classmethod
    def _born_before_registration(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        registered_on = info.data.get("registered_on")  # absent when it was invalid itself
        if registered_on is not None and value >= registered_on:
            raise ValueError(
                f"date_of_birth {value.isoformat()} must be before registered_on "
                f"{registered_on.isoformat()}"
            )
        return value

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "area": "thames-valley",
                    "lead_agency": "probation-tv",
                    "registered_on": "2026-01-12",
                    "name": "Mark Jones",
                    "aliases": ["Marky Jones"],
                    "date_of_birth": "1984-07-19",
                    "visor_reference": "VIS-0042117",
                    "pnc_id": "02/0431123K",
                    "probation_reference": "TV-2026-00871",
                    "index_offence": "Wounding with intent (s.18 OAPA 1861) against ex-partner",
                    "sentence": "6 years' imprisonment",
                    "sentence_date": "2021-03-04",
                    "release_date": "2026-01-09",
                    "licence_end_date": "2027-03-03",
                    "address": "Approved premises, 1 Example Road, Reading RG1 1AA",
                    "address_risk": "Must not live within 1 mile of the victim in Caversham",
                    "rosh_level": "high",
                    "risk_management_plan": "Exclusion zone; weekly probation appointments",
                }
            ]
        },
    )


class AssignCategoryRequest(_Request):
    """Assign or re-assign the MAPPA category (re-assigning 1 records a changed notification
    end). Category 1 needs ``notification_end`` or ``notification_indefinite``."""

    category: Category
    effective_on: IsoDate
    notification_end: IsoDate | None = Field(
        None, description="end of the sex offender notification requirements (category 1)"
    )
    notification_indefinite: StrictBool = Field(
        False, description="notification for life (category 1)"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"category": 2, "effective_on": "2026-01-12"},
                {"category": 1, "effective_on": "2026-01-12", "notification_end": "2036-01-12"},
            ]
        },
    )


class SetLevelRequest(_Request):
    """Set the management level with the reason; level 3 also needs the senior oversight need."""

    level: Level
    effective_on: IsoDate
    reason: LongText = Field(description="why this level (mappa.minutes)")
    decided_by: ShortText | None = Field(
        None, description="who decided, e.g. the panel chair; defaults to the caller"
    )
    senior_oversight_need: LongText | None = Field(
        None,
        description="level 3: why senior oversight is needed (resources at short notice, "
        "media or public interest) (mappa.minutes)",
    )
    next_review_on: IsoDate | None = Field(
        None, description="a next review date the panel chose; otherwise the policy interval"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "level": 2,
                    "effective_on": "2026-01-19",
                    "reason": "High RoSH to ex-partner; multi-agency meetings add value",
                    "decided_by": "MAPPA level 2 panel, chair DI Patel (tvp)",
                },
                {
                    "level": 3,
                    "effective_on": "2026-02-02",
                    "reason": "Threats to victim's new partner since release",
                    "decided_by": "MAPPA level 3 panel, chair ACO Green (probation-tv)",
                    "senior_oversight_need": "Police resources at short notice for an "
                    "exclusion zone; local media interest",
                },
            ]
        },
    )


class RecordReviewRequest(_Request):
    """Record a MAPPA review. Its minutes (``outcome``) are shown only to agencies that attended
    (and the MAPPA coordination unit), on top of the agreement."""

    held_on: IsoDate
    outcome: LongText = Field(min_length=1, description="the review's minutes (mappa.minutes)")
    next_review_on: IsoDate | None = Field(
        None, description="a next review date the panel chose; otherwise the policy interval"
    )
    attended_agencies: list[Agency] = Field(
        default_factory=list, max_length=50, description="agencies present at the review"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-05-11",
                    "outcome": "Compliant with licence; exclusion zone kept; level 2 continues",
                    "attended_agencies": ["tvp", "probation-tv", "housing-reading"],
                }
            ]
        },
    )


class ChangeLeadAgencyRequest(_Request):
    """Hand lead responsibility to another agency (e.g. police when the licence ends)."""

    lead_agency: Agency
    effective_on: IsoDate

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"lead_agency": "tvp", "effective_on": "2026-09-07"}]},
    )


class TransferRequest(_Request):
    """Record a transfer: ``in`` from ``other_area`` (after registering the record here), or
    ``out`` to it, which ends management in this area."""

    direction: Literal["in", "out"]
    other_area: Area
    effective_on: IsoDate

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"direction": "in", "other_area": "hampshire", "effective_on": "2026-01-05"}
            ]
        },
    )


class EndManagementRequest(_Request):
    """End MAPPA management in this area. The reason travels in the clear: keep it short and
    free of identity (e.g. "licence and notification periods ended")."""

    ended_on: IsoDate
    reason: ShortText

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"ended_on": "2026-11-30", "reason": "Sentence and licence ended; not category 1"}
            ]
        },
    )


# -- responses --------------------------------------------------------------------------------


class NextReview(BaseModel):
    due_on: dt.date | None = Field(description="null once management here stopped, or no level")
    status: ReviewStatusName
    days_overdue: int
    set_by_panel: bool = Field(description="true when a panel chose the date")
    last_review_on: dt.date | None


class NominalSummary(BaseModel):
    """The structural part of a record: no sensitive field."""

    nominal_id: str
    reference: str | None = Field(
        None, description="human reference (docs/references.md); null if registered before them"
    )
    area: str
    status: Literal["managed", "ended", "transferred_out"]
    registered_on: dt.date
    lead_agency: str
    category: int | None
    level: int | None
    level_set_on: dt.date | None
    next_review: NextReview


class ListedNominalView(NominalSummary):
    """A nominal in the list: its structure and its name, shown or withheld."""

    name: ProtectedText


class NominalList(BaseModel):
    """One page of nominals, latest registered first."""

    total: int = Field(description="how many nominals match the filter, all pages")
    limit: int
    offset: int
    nominals: list[ListedNominalView]


class CommandAccepted(BaseModel):
    """The event recorded, and the nominal as it stands after it."""

    nominal_id: str
    event_id: str
    event_type: str
    nominal: NominalSummary

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "nominal_id": NOMINAL_ID,
                    "event_id": "7b1d3c56-2f0e-4a8e-9a43-5d2f8c1e9b70",
                    "event_type": "MappaLevelSet",
                    "nominal": {
                        "nominal_id": NOMINAL_ID,
                        "area": "thames-valley",
                        "status": "managed",
                        "registered_on": "2026-01-12",
                        "lead_agency": "probation-tv",
                        "category": 2,
                        "level": 2,
                        "level_set_on": "2026-01-19",
                        "next_review": {
                            "due_on": "2026-05-04",
                            "status": "scheduled",
                            "days_overdue": 0,
                            "set_by_panel": False,
                            "last_review_on": None,
                        },
                    },
                }
            ]
        }
    }


_WITHHELD_IDENTITY = {
    "status": "withheld",
    "data_class": "mappa.identity",
    "reason": "withheld under thames-valley-da-isa v2: housing-oxford may not read "
    "mappa.identity for mappa",
}
_WITHHELD_MINUTES = {
    "status": "withheld",
    "data_class": "mappa.minutes",
    "reason": "withheld under thames-valley-da-isa v2: housing-oxford may not read "
    "mappa.minutes for mappa",
}


class Identity(BaseModel):
    name: ProtectedText
    aliases: list[ProtectedText]
    date_of_birth: ProtectedText
    visor_reference: ProtectedText | None
    pnc_id: ProtectedText | None
    probation_reference: ProtectedText | None


class Offence(BaseModel):
    index_offence: ProtectedText
    sentence: ProtectedText | None
    sentence_date: dt.date | None
    release_date: dt.date | None
    licence_end_date: dt.date | None


class AddressRisk(BaseModel):
    address: ProtectedText | None
    address_risk: ProtectedText | None


class _Entry(BaseModel):
    event_id: str
    recorded_by: str = Field(description="the agency that recorded it")


class CategoryEntry(_Entry):
    category: int
    effective_on: dt.date
    notification_end: dt.date | None
    notification_indefinite: bool


class LevelEntry(_Entry):
    level: int
    effective_on: dt.date
    decided_by: ProtectedText = Field(description="who decided (mappa.minutes)")
    reason: ProtectedText
    senior_oversight_need: ProtectedText | None
    next_review_on: dt.date | None


class ReviewEntry(_Entry):
    held_on: dt.date
    next_review_on: dt.date | None
    attended_agencies: list[str]
    outcome: ProtectedText


class LeadAgencyEntry(_Entry):
    lead_agency: str
    effective_on: dt.date


class TransferEntry(_Entry):
    direction: Literal["in", "out"]
    other_area: str
    effective_on: dt.date


class NominalRecord(NominalSummary):
    """A nominal's record as the caller may see it under the agreement in force."""

    notification_end: dt.date | None
    notification_indefinite: bool
    rosh_level: RoshLevel | None
    identity: Identity
    offence: Offence
    address: AddressRisk
    risk_management_plan: ProtectedText | None
    ended_on: dt.date | None
    ended_reason: ProtectedText | None = Field(description="why management ended (mappa.minutes)")
    category_history: list[CategoryEntry]
    level_history: list[LevelEntry]
    reviews: list[ReviewEntry]
    lead_agency_history: list[LeadAgencyEntry]
    transfers: list[TransferEntry]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "nominal_id": NOMINAL_ID,
                    "area": "thames-valley",
                    "status": "managed",
                    "registered_on": "2026-01-12",
                    "lead_agency": "probation-tv",
                    "category": 2,
                    "level": 2,
                    "level_set_on": "2026-01-19",
                    "next_review": {
                        "due_on": "2026-05-04",
                        "status": "overdue",
                        "days_overdue": 16,
                        "set_by_panel": False,
                        "last_review_on": None,
                    },
                    "notification_end": None,
                    "notification_indefinite": False,
                    "rosh_level": "high",
                    "identity": {
                        "name": _WITHHELD_IDENTITY,
                        "aliases": [_WITHHELD_IDENTITY],
                        "date_of_birth": _WITHHELD_IDENTITY,
                        "visor_reference": _WITHHELD_IDENTITY,
                        "pnc_id": _WITHHELD_IDENTITY,
                        "probation_reference": _WITHHELD_IDENTITY,
                    },
                    "offence": {
                        "index_offence": {
                            "status": "withheld",
                            "data_class": "mappa.offence",
                            "reason": "withheld under thames-valley-da-isa v2: housing-oxford "
                            "may not read mappa.offence for mappa",
                        },
                        "sentence": None,
                        "sentence_date": "2021-03-04",
                        "release_date": "2026-01-09",
                        "licence_end_date": "2027-03-03",
                    },
                    "address": {
                        "address": {
                            "status": "shown",
                            "data_class": "mappa.address_risk",
                            "value": "Approved premises, 1 Example Road, Reading RG1 1AA",
                        },
                        "address_risk": {
                            "status": "shown",
                            "data_class": "mappa.address_risk",
                            "value": "Must not live within 1 mile of the victim in Caversham",
                        },
                    },
                    "risk_management_plan": _WITHHELD_MINUTES,
                    "ended_on": None,
                    "ended_reason": None,
                    "category_history": [
                        {
                            "event_id": "0b6f5c1e-8a8e-4d0e-9d53-2a7d1c9f4e10",
                            "recorded_by": "probation-tv",
                            "category": 2,
                            "effective_on": "2026-01-12",
                            "notification_end": None,
                            "notification_indefinite": False,
                        }
                    ],
                    "level_history": [
                        {
                            "event_id": "7b1d3c56-2f0e-4a8e-9a43-5d2f8c1e9b70",
                            "recorded_by": "probation-tv",
                            "level": 2,
                            "effective_on": "2026-01-19",
                            "decided_by": _WITHHELD_MINUTES,
                            "reason": _WITHHELD_MINUTES,
                            "senior_oversight_need": None,
                            "next_review_on": None,
                        }
                    ],
                    "reviews": [],
                    "lead_agency_history": [
                        {
                            "event_id": "5e0c2b8a-1f4d-4c6a-b1e9-0d3f7a2c6b51",
                            "recorded_by": "probation-tv",
                            "lead_agency": "probation-tv",
                            "effective_on": "2026-01-12",
                        }
                    ],
                    "transfers": [],
                }
            ]
        }
    }


class DueReviewRow(BaseModel):
    nominal_id: str
    reference: str | None = Field(None, description="the nominal's human reference, if any")
    area: str
    lead_agency: str
    level: int | None
    due_on: dt.date
    status: Literal["overdue", "due"]
    days_overdue: int


class ReviewsDue(BaseModel):
    """Overdue reviews first (earliest due first), then those due within the window."""

    as_of: dt.date
    due_within_days: int
    overdue_only: bool
    area: str | None
    lead_agency: str | None
    overdue_count: int
    due_count: int
    reviews: list[DueReviewRow]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "as_of": "2026-05-20",
                    "due_within_days": 28,
                    "overdue_only": False,
                    "area": "thames-valley",
                    "lead_agency": None,
                    "overdue_count": 1,
                    "due_count": 1,
                    "reviews": [
                        {
                            "nominal_id": NOMINAL_ID,
                            "area": "thames-valley",
                            "lead_agency": "probation-tv",
                            "level": 2,
                            "due_on": "2026-05-04",
                            "status": "overdue",
                            "days_overdue": 16,
                        },
                        {
                            "nominal_id": "mappa-8d0e4a2b6c1f",
                            "area": "thames-valley",
                            "lead_agency": "tvp",
                            "level": 3,
                            "due_on": "2026-06-01",
                            "status": "due",
                            "days_overdue": 0,
                        },
                    ],
                }
            ]
        }
    }


class Cell(BaseModel):
    category: int | None = Field(description="null: no category assigned yet")
    level: int | None = Field(description="null: no level set yet")
    count: int


class Tally(BaseModel):
    label: int | None
    count: int


class Figure(BaseModel):
    total: int
    by_category: list[Tally]
    by_level: list[Tally]
    cells: list[Cell]


class AreaFigures(BaseModel):
    area: str
    as_at: Figure = Field(description="nominals managed on the as-at date, by category x level")
    managed_during: Figure = Field(
        description="nominals managed on any day of the year, each once: category at the end "
        "of their time in the year, highest level reached"
    )


def _example_cells(ones: set[tuple[int, int]]) -> list[dict[str, int]]:
    return [
        {"category": c, "level": lvl, "count": int((c, lvl) in ones)}
        for c in (1, 2, 3)
        for lvl in (1, 2, 3)
    ]


class Stats(BaseModel):
    """The MAPPA annual report figures per area."""

    year: int = Field(description="the reporting year, named by the year it ends in")
    period_start: dt.date
    period_end: dt.date
    as_at: dt.date = Field(description="the end of the year, or today while it is running")
    area: str | None
    areas: list[AreaFigures]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "year": 2026,
                    "period_start": "2025-04-01",
                    "period_end": "2026-03-31",
                    "as_at": "2026-03-31",
                    "area": "thames-valley",
                    "areas": [
                        {
                            "area": "thames-valley",
                            "as_at": {
                                "total": 2,
                                "by_category": [
                                    {"label": 1, "count": 1},
                                    {"label": 2, "count": 1},
                                    {"label": 3, "count": 0},
                                ],
                                "by_level": [
                                    {"label": 1, "count": 1},
                                    {"label": 2, "count": 1},
                                    {"label": 3, "count": 0},
                                ],
                                "cells": _example_cells({(1, 1), (2, 2)}),
                            },
                            "managed_during": {
                                "total": 2,
                                "by_category": [
                                    {"label": 1, "count": 1},
                                    {"label": 2, "count": 1},
                                    {"label": 3, "count": 0},
                                ],
                                "by_level": [
                                    {"label": 1, "count": 1},
                                    {"label": 2, "count": 0},
                                    {"label": 3, "count": 1},
                                ],
                                "cells": _example_cells({(1, 1), (2, 3)}),
                            },
                        }
                    ],
                }
            ]
        }
    }


class RuleRefusal(BaseModel):
    rule: str = Field(examples=["category1_notification_end_required"])
    message: str = Field(
        examples=["category 1 needs a notification end date or the indefinite flag"]
    )
    existing_nominal_ids: list[str] | None = Field(
        None,
        description="for `possible_duplicate`: the nominals already registered that match",
        examples=[["mappa-3f2a9c1b7e4d"]],
    )
    matched_on: list[str] | None = Field(
        None,
        description="for `possible_duplicate`: what matched (`pnc_id`, `visor_reference`, "
        "`exact` for name and date of birth)",
        examples=[["pnc_id"]],
    )


class RuleProblem(BaseModel):
    """A command the domain rules refuse; nothing was published."""

    detail: RuleRefusal
