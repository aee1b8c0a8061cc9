"""Request and response models of the MARAC API (the OpenAPI reference is generated from these).

Request types are strict: a date is an ISO ``YYYY-MM-DD`` string (``IsoDate``; never a
number read as a Unix timestamp, a boolean or a datetime), a flag is ``true`` or ``false``
(never ``0``/``1`` or ``"yes"``), a count a whole number (never ``true``, ``20.0`` or ``"20"``).
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
    field_validator,
    model_validator,
)

from services.intake.models import ProtectedText
from services.kernel.request_types import IsoDate
from services.marac.domain.returns import EthnicityGroup, Gender

YesNo = Literal["yes", "no"]
YesNoUnknown = Literal["yes", "no", "not_known"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReferrerIn(Strict):
    name: str = Field(min_length=1, examples=["Sam Patel"])
    email: str | None = Field(None, examples=["sam.patel@idva.example"])
    phone: str | None = None


class VictimIn(Strict):
    name: str = Field(min_length=1, examples=["Jane Smith"])
    date_of_birth: IsoDate = Field(examples=["1990-02-03"])
    address: str | None = Field(None, examples=["12 Cowley Road, Oxford OX4 1AA"])
    phone: str | None = Field(None, examples=["07700 900123"])
    safe_to_call: StrictBool = False
    gender: Gender | None = None
    ethnicity: EthnicityGroup | None = Field(None, description="Census 2021 group")
    disability: YesNoUnknown | None = None
    lgbt: YesNoUnknown | None = None
    pregnant: YesNoUnknown | None = None
    health_notes: str | None = None
    interpreter_language: str | None = None


class PerpetratorIn(Strict):
    name: str | None = Field(None, examples=["John Smith"])
    aliases: list[str] = Field(default_factory=list)
    date_of_birth: IsoDate | None = Field(None, examples=["1987-06-30"])
    relationship_to_victim: str = Field(min_length=1, examples=["ex-partner"])
    address: str | None = None

    @model_validator(mode="after")
    def identifiable(self) -> PerpetratorIn:
        if not (self.name or self.date_of_birth or self.aliases):
            raise ValueError("give the perpetrator's name, date of birth or an alias")
        return self


class ChildIn(Strict):
    name: str = Field(min_length=1)
    date_of_birth: IsoDate
    school: str | None = None
    relationship_to_victim: str | None = None
    relationship_to_perpetrator: str | None = None


class DashIn(Strict):
    form: Literal["partner", "police"] = "partner"
    answers: dict[str, str] = Field(
        description="question key -> yes / no / not_known (keys as in DOMAIN.md)",
        examples=[{"injury": "yes", "very_frightened": "yes", "strangulation": "yes"}],
    )


class PoliceIn(Strict):
    crime_reference: str | None = None
    bail_conditions: str | None = None
    orders: str | None = Field(None, description="DVPN/DVPO, non-molestation, restraining")


class ReferralRequest(Strict):
    marac_area: str = Field(min_length=1, examples=["oxford"])
    referral_date: IsoDate | None = Field(None, description="defaults to today")
    referrer: ReferrerIn
    victim: VictimIn
    perpetrators: list[PerpetratorIn] = Field(min_length=1)
    children: list[ChildIn] = Field(default_factory=list)
    dash: DashIn
    professional_judgement_reason: str | None = Field(
        None, description="the referrer's reasoned concern, if referring on judgement"
    )
    victim_aware: YesNo
    victim_consented: YesNo
    consent_override_reason: str | None = Field(
        None, description="required when the victim did not consent: why sharing is justified"
    )
    feared_person: str | None = None
    previous_maracs: str | None = None
    reason: str = Field(min_length=1, description="why you are referring")
    police: PoliceIn | None = None
    agencies_involved: list[str] = Field(default_factory=list)
    idva_allocated: StrictBool = False

    @model_validator(mode="after")
    def consent_reason_given(self) -> ReferralRequest:
        if self.victim_consented == "no" and not self.consent_override_reason:
            raise ValueError(
                "consent_override_reason is required when the victim has not consented"
            )
        return self

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={
            "examples": [
                {
                    "marac_area": "oxford",
                    "referrer": {"name": "Sam Patel", "email": "sam.patel@idva.example"},
                    "victim": {
                        "name": "Jane Smith",
                        "date_of_birth": "1990-02-03",
                        "address": "12 Cowley Road, Oxford OX4 1AA",
                        "phone": "07700 900123",
                        "gender": "female",
                    },
                    "perpetrators": [
                        {
                            "name": "John Smith",
                            "date_of_birth": "1987-06-30",
                            "relationship_to_victim": "ex-partner",
                        }
                    ],
                    "children": [{"name": "Amy Smith", "date_of_birth": "2018-04-01"}],
                    "dash": {
                        "form": "partner",
                        "answers": {"injury": "yes", "strangulation": "yes"},
                    },
                    "professional_judgement_reason": "Non-fatal strangulation last week.",
                    "victim_aware": "yes",
                    "victim_consented": "yes",
                    "reason": "Strangled during an argument about child contact.",
                }
            ]
        },
    )


class PersonLink(BaseModel):
    person_id: str
    match: Literal["exact", "near"] | None = Field(
        description="exact: linked to an existing person; near: queued for a coordinator"
    )


_REFERENCE = "human reference (docs/references.md); null for records made before references"


class ReferralAccepted(BaseModel):
    case_id: str
    referral_id: str
    reference: str | None = Field(None, description=f"the referral's {_REFERENCE}")
    case_reference: str | None = Field(None, description=f"the case's {_REFERENCE}")
    dash_score: int
    risk_level: str
    criteria_met: list[str]
    repeat: bool
    last_referral_date: dt.date | None
    judgement_flags: list[str]
    stalking_screen_needed: bool
    victim: PersonLink
    perpetrators: list[PersonLink]


class Listing(BaseModel):
    meeting_id: str
    meeting_date: dt.date
    heard: bool = Field(description="the meeting date has passed")


class ActionView(BaseModel):
    action_id: str
    case_id: str
    case_reference: str | None = Field(None, description=f"the case's {_REFERENCE}")
    meeting_id: str | None
    owner_agency: str
    description: ProtectedText
    due_date: dt.date
    status: Literal["open", "done", "not_done"]
    not_done_reason: str | None = None
    overdue: bool


class ReferralView(BaseModel):
    referral_id: str
    reference: str | None = Field(None, description=f"the referral's {_REFERENCE}")
    case_id: str
    case_reference: str | None = Field(None, description=f"the case's {_REFERENCE}")
    marac_area: str
    referral_date: dt.date
    referring_agency: str
    dash_score: int
    risk_level: str
    criteria: list[str]
    repeat: bool
    last_referral_date: dt.date | None
    listed_for: list[Listing]
    actions: list[ActionView] = Field(description="actions on the case owned by your agency")
    detail: dict = Field(
        description=(
            "the referral's fields; sensitive ones as ProtectedText (shown/withheld). The DASH "
            "answers are four JSON objects by data class: dash_answers (risk.narrative), "
            "dash_answers_health, dash_answers_children and dash_answers_offending"
        )
    )


class MeetingRequest(Strict):
    marac_area: str = Field(
        min_length=1, examples=["oxford"], description="one of the MARAC policy's areas"
    )
    meeting_date: IsoDate = Field(
        examples=["2026-12-10"],
        description="one meeting per area and date; a date in the past records a meeting "
        "already held and needs `recorded_after_the_event_reason`",
    )
    capacity: StrictInt | None = Field(
        None, ge=1, le=200, description="default from the policy (20)"
    )
    venue: str | None = None
    chair_agency: str | None = Field(None, examples=["tvp"])
    recorded_after_the_event_reason: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="required when the meeting date is in the past: why a meeting already "
        "held is recorded now (say why, without personal details: it is not encrypted)",
        examples=["Tandem went live after this meeting; recorded from the chair's minutes"],
    )

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={
            "examples": [
                {
                    "marac_area": "oxford",
                    "meeting_date": "2026-12-10",
                    "venue": "St Aldates police station",
                    "chair_agency": "tvp",
                }
            ]
        },
    )


class MeetingView(BaseModel):
    meeting_id: str
    marac_area: str
    meeting_date: dt.date
    cutoff_date: dt.date
    capacity: int
    venue: str | None = None
    chair_agency: str | None = None
    recorded_after_the_event_reason: str | None = Field(
        None, description="set when the meeting was recorded after it was held"
    )
    published_versions: int = 0


class PublishRequest(Strict):
    late_case_ids: list[str] = Field(
        default_factory=list,
        description="cases received after the cut-off (up to the end of the meeting day) to "
        "add as late",
    )
    late_reason: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="why the late cases are added; required when one was received on the "
        "meeting day. Recorded, encrypted, against each late case of this version",
        examples=["New incident overnight; the chair agreed to hear the case today"],
    )

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={"examples": [{}, {"late_case_ids": ["c-17aa0469c0"]}]},
    )


class AgendaCase(BaseModel):
    position: int
    case_id: str
    case_reference: str | None = Field(None, description=f"the case's {_REFERENCE}")
    late: bool
    repeat: bool
    last_referral_date: dt.date | None
    dash_score: int
    risk_level: str
    criteria: list[str]
    referring_agency: str
    referral_date: dt.date
    idva_allocated: bool
    agencies_involved: list[str]
    children_count: int
    victim_name: ProtectedText
    perpetrator_names: list[ProtectedText]
    children_names: list[ProtectedText]
    outstanding_actions: list[ActionView]
    late_reason: ProtectedText | None = Field(
        None, description="why the coordinator added the case late, if a reason was given"
    )


class AgendaMove(BaseModel):
    case_id: str
    old_position: int
    new_position: int


class AgendaChange(BaseModel):
    added: list[str]
    removed: list[str]
    moved: list[str] = Field(description="case_id: old position -> new position")
    moved_cases: list[AgendaMove] = Field(
        default_factory=list, description="the same moves, one object per case"
    )


class AgendaView(BaseModel):
    meeting: MeetingView
    status: Literal["draft", "published"]
    version: int | None = Field(description="published version shown, or None for a draft")
    cases: list[AgendaCase]
    overflow: list[AgendaCase] = Field(description="over capacity: rolls to the next meeting")
    changes_since_previous_version: AgendaChange | None = None
    actions_for_review: list[ActionView] = Field(
        default_factory=list,
        description="open actions from earlier meetings of this MARAC, reviewed at this one",
    )


class ActionRequest(Strict):
    case_id: str = Field(min_length=1)
    meeting_id: str | None = Field(
        None, description="a meeting of the case's MARAC area that hears the case"
    )
    owner_agency: str = Field(min_length=1, examples=["housing-oxford"])
    description: str = Field(min_length=3, examples=["Fit a lock change and a sanctuary scheme"])
    due_date: IsoDate = Field(examples=["2026-12-24"])

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={
            "examples": [
                {
                    "case_id": "c-17aa0469c0",
                    "meeting_id": "m-35c12b812c",
                    "owner_agency": "housing-oxford",
                    "description": "Fit a lock change and a sanctuary scheme",
                    "due_date": "2026-12-24",
                }
            ]
        },
    )


class ActionStatusRequest(Strict):
    status: Literal["done", "not_done"]
    reason: Literal["circumstances_changed", "not_actioned"] | None = Field(
        None, description="required when not done"
    )
    note: str | None = None

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={
            "examples": [
                {"status": "done", "note": "Locks changed on 3 December"},
                {"status": "not_done", "reason": "circumstances_changed"},
            ]
        },
    )

    @field_validator("note")
    @classmethod
    def trim(cls, value: str | None) -> str | None:
        return value or None
