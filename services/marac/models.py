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

from services.intake.api_examples import CASE_ID, MEETING_ID
from services.intake.models import ProtectedText
from services.kernel.request_types import IsoDate
from services.marac.domain.returns import EthnicityGroup, Gender
from services.marac.domain.stalking import STALKING_QUESTIONS

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


class StalkingScreenIn(Strict):
    answers: dict[str, YesNoUnknown] = Field(
        description=(
            "the stalking screen a DASH stalking_or_harassment yes calls for: question key -> "
            "yes / no / not_known; keys: " + ", ".join(STALKING_QUESTIONS)
        ),
        examples=[{"very_frightened": "yes", "loitering": "yes", "visits_often": "no"}],
    )

    @field_validator("answers")
    @classmethod
    def known_questions(cls, answers: dict[str, str]) -> dict[str, str]:
        unknown = [key for key in answers if key not in STALKING_QUESTIONS]
        if unknown:
            raise ValueError(f"the stalking screen has no question(s): {', '.join(unknown)}")
        return answers


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
    stalking_screen: StalkingScreenIn | None = Field(
        None, description="the 11 stalking screening questions, after a DASH stalking yes"
    )
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
    confirm_duplicate: StrictBool = Field(
        False,
        description="true to send a referral although your agency already referred the same "
        "victim with the same DASH answers on the same referral date (otherwise 409 naming "
        "that referral). A confirmed duplicate joins the same case and is not a repeat",
    )

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
                        "answers": {
                            "injury": "yes",
                            "strangulation": "yes",
                            "stalking_or_harassment": "yes",
                        },
                    },
                    "stalking_screen": {
                        "answers": {
                            "very_frightened": "yes",
                            "visits_often": "yes",
                            "loitering": "yes",
                            "violent_in_past": "not_known",
                        }
                    },
                    "professional_judgement_reason": "Non-fatal strangulation last week.",
                    "victim_aware": "yes",
                    "victim_consented": "yes",
                    "reason": "Strangled during an argument about child contact.",
                },
                {
                    "marac_area": "oxford",
                    "referrer": {"name": "Sam Patel"},
                    "victim": {"name": "Jane Smith", "date_of_birth": "1990-02-03"},
                    "perpetrators": [
                        {"name": "John Smith", "relationship_to_victim": "ex-partner"}
                    ],
                    "dash": {"answers": {"injury": "yes", "strangulation": "yes"}},
                    "professional_judgement_reason": "Non-fatal strangulation last week.",
                    "victim_aware": "yes",
                    "victim_consented": "yes",
                    "reason": "Second referral today: a new incident this afternoon.",
                    "confirm_duplicate": True,
                },
            ]
        },
    )


_REFERENCE = "human reference (docs/references.md); null for records made before references"


class ExistingReferral(BaseModel):
    referral_id: str
    case_id: str
    case_reference: str | None = Field(None, description=f"the case's {_REFERENCE}")
    referral_date: dt.date
    received_at: dt.datetime


class DuplicateReferralDetail(BaseModel):
    type: Literal["duplicate_referral"] = "duplicate_referral"
    msg: str
    existing_referral: ExistingReferral
    to_send_anyway: str = Field(
        description="how to confirm the second referral is meant: send it again with "
        '"confirm_duplicate": true'
    )


class DuplicateReferralProblem(BaseModel):
    """The 409 answer to a referral that duplicates one your agency already sent."""

    detail: DuplicateReferralDetail


class WithdrawRequest(Strict):
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="why the referral is withdrawn (recorded, encrypted as risk.narrative)",
        examples=["Sent twice by mistake; the other referral stands"],
    )

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={"examples": [{"reason": "Sent twice by mistake"}]},
    )


class CorrectionRequest(Strict):
    dash: DashIn | None = Field(
        None, description="the DASH answers as corrected (all of them); omitted: unchanged"
    )
    reason: str | None = Field(
        None, min_length=1, description="why you are referring, as corrected; omitted: unchanged"
    )
    professional_judgement_reason: str | None = Field(
        None, min_length=1, description="as corrected; omitted: unchanged"
    )
    correction_note: str = Field(
        min_length=1,
        max_length=2000,
        description="what was wrong and what you corrected (recorded, encrypted)",
        examples=["Question 15 (strangulation) was ticked no by mistake"],
    )

    @model_validator(mode="after")
    def something_corrected(self) -> CorrectionRequest:
        if self.dash is None and self.reason is None and self.professional_judgement_reason is None:
            raise ValueError("give the corrected dash, reason or professional_judgement_reason")
        return self

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={
            "examples": [
                {
                    "reason": "Strangled during an argument about child contact on Friday.",
                    "correction_note": "The day of the incident was wrong",
                },
                {
                    "dash": {
                        "form": "partner",
                        "answers": {"injury": "yes", "strangulation": "yes"},
                    },
                    "correction_note": "Strangulation was ticked no by mistake",
                },
            ]
        },
    )


class ReferralAmended(BaseModel):
    referral_id: str
    case_id: str
    status: Literal["withdrawn", "corrected"]
    on: dt.date
    dash_score: int
    risk_level: str
    criteria_met: list[str] = Field(description="re-evaluated on correction")
    judgement_flags: list[str]


class PersonLink(BaseModel):
    person_id: str
    match: Literal["exact", "near"] | None = Field(
        description="exact: linked to an existing person; near: queued for a coordinator"
    )


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
    withdrawn_on: dt.date | None = None
    withdrawal_reason: ProtectedText | None = None
    corrected_on: dt.date | None = Field(
        None, description="set when corrected: the score, criteria and detail are as corrected"
    )
    correction_note: ProtectedText | None = None
    amendable_until: dt.date | None = Field(
        None,
        description="the agenda cut-off up to which the referring agency may still withdraw "
        "or correct it (None: no meeting scheduled yet, or no longer amendable)",
    )
    amendable: bool = Field(False, description="the caller's agency may withdraw or correct it now")
    actions: list[ActionView] = Field(description="actions on the case owned by your agency")
    detail: dict = Field(
        description=(
            "the referral's fields; sensitive ones as ProtectedText (shown/withheld). The DASH "
            "answers are four JSON objects by data class: dash_answers (risk.narrative), "
            "dash_answers_health, dash_answers_children and dash_answers_offending; the "
            "stalking screen two: stalking_screen (risk.narrative) and "
            "stalking_screen_offending (offending.detail), null when none was asked"
        )
    )


class CaseView(BaseModel):
    """A case as one agency may see it: the latest referral's facts and fields under the ISA."""

    case_id: str
    case_reference: str | None = Field(None, description=f"the case's {_REFERENCE}")
    marac_area: str
    referral_date: dt.date = Field(description="the date of the case's latest referral")
    referring_agency: str = Field(description="who made the case's latest referral")
    referrals: int = Field(description="how many referrals the case has had")
    dash_score: int
    risk_level: str
    criteria: list[str]
    repeat: bool
    last_referral_date: dt.date | None
    listed_for: list[Listing]
    actions: list[ActionView] = Field(
        description="actions on the case owned by your agency (every agency's for coordinators)"
    )
    detail: dict = Field(
        description=(
            "the latest referral's fields as your agency may see them under the information "
            "sharing agreement: sensitive ones as ProtectedText (shown, or withheld with the "
            "reason naming the agreement)"
        )
    )


class MeetingRequest(Strict):
    marac_area: str = Field(
        min_length=1, examples=["oxford"], description="one of the MARAC policy's areas"
    )
    meeting_date: IsoDate = Field(
        examples=["2027-01-07"],
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
                    "meeting_date": "2027-01-07",
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
        json_schema_extra={"examples": [{}, {"late_case_ids": [CASE_ID]}]},
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
    stalking_screen: StalkingScreenView | None = Field(
        None, description="the stalking screen, when a DASH stalking yes called for one"
    )
    late_reason: ProtectedText | None = Field(
        None, description="why the coordinator added the case late, if a reason was given"
    )
    withdrawn: bool = Field(
        False, description="withdrawn by the referrer after this version was published"
    )
    corrected: bool = Field(
        False, description="the referrer corrected it: score, risk and criteria as corrected"
    )
    linked_case_ids: list[str] = Field(
        default_factory=list,
        description="cases that are part of this one: their victim was confirmed to be this "
        "case's victim (a near match a coordinator confirmed); their referrals count here",
    )


class StalkingScreenView(BaseModel):
    answers: dict[str, YesNoUnknown] = Field(
        description="the stalking screen answers the caller may read, by question key"
    )
    withheld: list[ProtectedText] = Field(
        default_factory=list,
        description="the parts of the screen the caller may not read, with the reason",
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
    due_date: IsoDate = Field(examples=["2027-01-21"])

    model_config = ConfigDict(  # extra="forbid" and stripping come from Strict
        json_schema_extra={
            "examples": [
                {
                    "case_id": CASE_ID,
                    "meeting_id": MEETING_ID,
                    "owner_agency": "housing-oxford",
                    "description": "Fit a lock change and a sanctuary scheme",
                    "due_date": "2027-01-21",
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
