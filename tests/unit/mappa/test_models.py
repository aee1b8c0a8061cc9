"""The MAPPA request models: strict types, and a date of birth before registration.

Pydantic's lax mode reads ``0`` as 1 January 1970, ``1`` as ``true`` and ``true`` as 1;
a MAPPA request must say what it means.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.mappa.models import (
    AssignCategoryRequest,
    ChangeLeadAgencyRequest,
    EndManagementRequest,
    RecordReviewRequest,
    RegisterNominalRequest,
    SetLevelRequest,
    TransferRequest,
)

CATEGORY = {"category": 2, "effective_on": "2026-01-12"}
LEVEL = {"level": 2, "effective_on": "2026-01-19", "reason": "High RoSH"}
REVIEW = {"held_on": "2026-05-11", "outcome": "Compliant"}
REGISTRATION = {
    "area": "thames-valley",
    "lead_agency": "probation-tv",
    "registered_on": "2026-01-12",
    "name": "Mark Jones",
    "date_of_birth": "1984-07-19",
    "index_offence": "Wounding with intent",
}


def refused(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors, checked the same way in Python mode (as FastAPI validates) and JSON mode."""
    with pytest.raises(ValidationError) as python_mode:
        model.model_validate(body)
    with pytest.raises(ValidationError) as json_mode:
        model.model_validate_json(json.dumps(body))
    python_errors = python_mode.value.errors(include_url=False)
    assert [e["loc"] for e in python_errors] == [
        e["loc"] for e in json_mode.value.errors(include_url=False)
    ]
    return python_errors


@pytest.mark.parametrize("value", [0, 1, 1767225600, 20260112.0, True, "0", "1767225600"])
@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (AssignCategoryRequest, CATEGORY, "effective_on"),
        (AssignCategoryRequest, CATEGORY, "notification_end"),
        (SetLevelRequest, LEVEL, "effective_on"),
        (SetLevelRequest, LEVEL, "next_review_on"),
        (RecordReviewRequest, REVIEW, "held_on"),
        (RecordReviewRequest, REVIEW, "next_review_on"),
        (RegisterNominalRequest, REGISTRATION, "registered_on"),
        (RegisterNominalRequest, REGISTRATION, "date_of_birth"),
        (RegisterNominalRequest, REGISTRATION, "release_date"),
        (ChangeLeadAgencyRequest, {"lead_agency": "tvp"}, "effective_on"),
        (TransferRequest, {"direction": "out", "other_area": "hampshire"}, "effective_on"),
        (EndManagementRequest, {"reason": "Licence expired"}, "ended_on"),
    ],
)
def test_a_date_is_never_a_number_or_a_boolean(
    model: type[BaseModel], body: dict[str, Any], field: str, value: Any
) -> None:
    errors = refused(model, body | {field: value})
    assert [e["loc"] for e in errors] == [(field,)]


@pytest.mark.parametrize("value", ["2026-01-12T00:00:00", "2026-1-12", "12/01/2026", "2026-02-30"])
def test_a_date_is_an_iso_calendar_date(value: str) -> None:
    errors = refused(AssignCategoryRequest, CATEGORY | {"effective_on": value})
    assert [(e["loc"], e["type"]) for e in errors] == [(("effective_on",), "date_parsing")]


def test_iso_date_strings_and_date_objects_still_work() -> None:
    from_json = AssignCategoryRequest.model_validate_json(json.dumps(CATEGORY))
    from_python = AssignCategoryRequest.model_validate(CATEGORY)
    from_date = RecordReviewRequest(held_on=dt.date(2026, 5, 11), outcome="Compliant")
    assert from_json.effective_on == from_python.effective_on == dt.date(2026, 1, 12)
    assert from_date.held_on == dt.date(2026, 5, 11)


@pytest.mark.parametrize("value", [0, 1, "true", "yes", 1.0, None])
def test_the_indefinite_flag_is_a_json_boolean(value: Any) -> None:
    errors = refused(AssignCategoryRequest, CATEGORY | {"notification_indefinite": value})
    assert [(e["loc"], e["type"]) for e in errors] == [(("notification_indefinite",), "bool_type")]


def test_the_indefinite_flag_accepts_true_and_false() -> None:
    for flag in (True, False):
        body = CATEGORY | {"notification_indefinite": flag}
        assert AssignCategoryRequest.model_validate(body).notification_indefinite is flag


@pytest.mark.parametrize("value", [True, 1.0, "1"])
def test_category_and_level_are_integers(value: Any) -> None:
    assert [e["loc"] for e in refused(AssignCategoryRequest, CATEGORY | {"category": value})] == [
        ("category",)
    ]
    assert [e["loc"] for e in refused(SetLevelRequest, LEVEL | {"level": value})] == [("level",)]


@pytest.mark.parametrize("born", ["2026-01-13", "2026-01-12"])
def test_a_date_of_birth_on_or_after_registration_is_refused(born: str) -> None:
    (error,) = refused(RegisterNominalRequest, REGISTRATION | {"date_of_birth": born})
    assert error["loc"] == ("date_of_birth",)
    assert error["msg"] == (
        f"Value error, date_of_birth {born} must be before registered_on 2026-01-12"
    )


def test_a_date_of_birth_the_day_before_registration_is_accepted() -> None:
    body = REGISTRATION | {"date_of_birth": "2026-01-11"}
    assert RegisterNominalRequest.model_validate(body).date_of_birth == dt.date(2026, 1, 11)


def test_an_invalid_registration_date_is_reported_alone() -> None:
    errors = refused(RegisterNominalRequest, REGISTRATION | {"registered_on": 0})
    assert [e["loc"] for e in errors] == [("registered_on",)]


def test_the_openapi_schema_still_says_date_and_boolean() -> None:
    properties = AssignCategoryRequest.model_json_schema()["properties"]
    assert properties["effective_on"] == {
        "format": "date",
        "title": "Effective On",
        "type": "string",
    }
    assert properties["notification_indefinite"]["type"] == "boolean"
    assert properties["category"]["enum"] == [1, 2, 3, 4]
