"""MARAC request models: strict flags, dates and counts (JSON as clients send it)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.marac.models import (
    ActionRequest,
    ChildIn,
    MeetingRequest,
    PerpetratorIn,
    ReferralRequest,
    VictimIn,
)
from tests.integration.marac.referral_data import referral

VICTIM = {"name": "Jane Smith", "date_of_birth": "1990-02-03"}
MEETING = {"marac_area": "oxford", "meeting_date": "2026-12-10"}
ACTION = {
    "case_id": "c-1",
    "owner_agency": "housing-oxford",
    "description": "Fit a lock change",
    "due_date": "2026-12-24",
}


def refused(model: type[BaseModel], body: dict) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate_json(json.dumps(body))
    return raised.value.errors()


@pytest.mark.parametrize("value", [0, 1, "yes", "true", 1.0, None])
def test_flags_are_true_or_false_only(value: Any) -> None:
    assert [e["loc"] for e in refused(VictimIn, VICTIM | {"safe_to_call": value})] == [
        ("safe_to_call",)
    ]
    body = referral() | {"idva_allocated": value}
    assert [e["loc"] for e in refused(ReferralRequest, body)] == [("idva_allocated",)]


@pytest.mark.parametrize("flag", [True, False])
def test_json_booleans_are_accepted(flag: bool) -> None:
    assert (
        VictimIn.model_validate_json(json.dumps(VICTIM | {"safe_to_call": flag})).safe_to_call
        is flag
    )


# 0 and 1796860800 are exact days as Unix timestamps: lax parsing reads them as dates
@pytest.mark.parametrize(
    "value", [0, 1_796_860_800, 1_796_860_800.0, "1796860800", True, "2026-12-10T00:00:00"]
)
def test_dates_are_iso_strings_only(value: Any) -> None:
    cases = [
        (VictimIn, VICTIM | {"date_of_birth": value}, ("date_of_birth",)),
        (
            PerpetratorIn,
            {"relationship_to_victim": "ex", "date_of_birth": value},
            ("date_of_birth",),
        ),
        (ChildIn, {"name": "Amy", "date_of_birth": value}, ("date_of_birth",)),
        (ReferralRequest, referral() | {"referral_date": value}, ("referral_date",)),
        (MeetingRequest, MEETING | {"meeting_date": value}, ("meeting_date",)),
        (ActionRequest, ACTION | {"due_date": value}, ("due_date",)),
    ]
    for model, body, location in cases:
        assert [e["loc"] for e in refused(model, body)] == [location], model.__name__


def test_an_impossible_date_is_refused_with_the_reason() -> None:
    [error] = refused(MeetingRequest, MEETING | {"meeting_date": "2026-02-30"})
    assert error["loc"] == ("meeting_date",)
    assert "day is out of range" in error["msg"]


def test_iso_dates_are_accepted_from_json_and_python() -> None:
    assert MeetingRequest.model_validate_json(json.dumps(MEETING)).meeting_date == dt.date(
        2026, 12, 10
    )
    built = MeetingRequest(marac_area="oxford", meeting_date=dt.date(2026, 12, 10))
    assert built.meeting_date == dt.date(2026, 12, 10)
    assert ReferralRequest.model_validate(referral()).victim.date_of_birth == dt.date(1990, 2, 3)


@pytest.mark.parametrize("value", [True, 20.0, "20"])
def test_capacity_is_a_whole_number(value: Any) -> None:
    assert [e["loc"] for e in refused(MeetingRequest, MEETING | {"capacity": value})] == [
        ("capacity",)
    ]


def test_the_openapi_schema_still_says_date_boolean_and_integer() -> None:
    victim = VictimIn.model_json_schema()["properties"]
    assert victim["date_of_birth"]["format"] == "date"
    assert victim["safe_to_call"]["type"] == "boolean"
    meeting = MeetingRequest.model_json_schema()["properties"]
    assert meeting["meeting_date"]["format"] == "date"
    assert {"type": "integer", "minimum": 1, "maximum": 200} in meeting["capacity"]["anyOf"]


def test_a_blank_reason_is_no_reason() -> None:
    body = MEETING | {"recorded_after_the_event_reason": "   "}
    assert [e["loc"] for e in refused(MeetingRequest, body)] == [
        ("recorded_after_the_event_reason",)
    ]
