"""Request models are strict: dates only as ISO strings, flags only as booleans."""

from datetime import date

import pytest
from pydantic import ValidationError

from services.matac.models import CohortJoinIn, IncidentIn, NominationIn, StatusIn


def _incident(**changes) -> dict:
    body = {
        "incident_id": "INC-1",
        "occurred_on": "2026-02-20",
        "policing_area": "oxford",
        "is_crime": True,
        "offence_categories": ["abh"],
        "suspect": {"person_id": "p-s", "date_of_birth": "1991-08-14"},
        "victims": [{"person_id": "p-v"}],
    }
    return body | changes


def _refused(model, body: dict) -> tuple:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    errors = refused.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["loc"]


@pytest.mark.parametrize("value", [0, 1767225600, 0.0, "0", "1767225600", "20260220", True])
def test_an_incident_date_must_be_an_iso_string(value):
    assert _refused(IncidentIn, _incident(occurred_on=value)) == ("occurred_on",)


@pytest.mark.parametrize("value", [1, 0, "true", "yes", 1.0])
def test_is_crime_must_be_a_boolean(value):
    assert _refused(IncidentIn, _incident(is_crime=value)) == ("is_crime",)


def test_dates_of_birth_and_ages_are_strict_too():
    suspect = {"person_id": "p-s", "date_of_birth": 0}
    assert _refused(IncidentIn, _incident(suspect=suspect)) == ("suspect", "date_of_birth")
    suspect = {"person_id": "p-s", "age": True}
    assert _refused(IncidentIn, _incident(suspect=suspect)) == ("suspect", "age")
    victims = [{"name": "Jane Price", "date_of_birth": 19930211}]
    assert _refused(IncidentIn, _incident(victims=victims)) == ("victims", 0, "date_of_birth")


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (
            NominationIn,
            {"person_id": "p-1", "reason": "five chars", "nominated_on": 0},
            "nominated_on",
        ),
        (CohortJoinIn, {"person_id": "p-1", "joined_on": 0}, "joined_on"),
        (StatusIn, {"status": "custody", "effective_on": "0"}, "effective_on"),
        (StatusIn, {"status": "custody", "effective_on": "2026-02-30"}, "effective_on"),
    ],
)
def test_command_dates_refuse_numbers_and_impossible_dates(model, body, field):
    assert _refused(model, body) == (field,)


def test_iso_dates_and_booleans_are_accepted():
    incident = IncidentIn.model_validate(_incident(is_crime=False))
    assert (incident.occurred_on, incident.is_crime) == (date(2026, 2, 20), False)
    assert incident.suspect.date_of_birth == date(1991, 8, 14)
    nomination = NominationIn.model_validate(
        {"person_id": "p-1", "reason": "five chars", "nominated_on": "2026-03-01"}
    )
    assert nomination.nominated_on == date(2026, 3, 1)
    assert NominationIn(person_id="p-1", reason="five chars", nominated_on=date(2026, 3, 1))
