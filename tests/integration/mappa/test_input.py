"""Request shape through the API: strict dates and flags, and a date of birth before
registration. Each refusal is a 422 naming the field, and nothing is published."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.mappa.helpers import (
    level,
    mappa_topic_end,
    ok,
    post,
    register,
    registration,
    set_today,
    writer,
)

pytestmark = pytest.mark.integration


def register_with(api, **change):
    return api.client.post("/api/mappa/nominals", json=registration(**change), headers=writer(api))


@pytest.mark.parametrize("born", ["2026-01-13", "2026-01-12"])
def test_a_date_of_birth_on_or_after_the_registration_date_is_422(api, born):
    set_today(api, dt.date(2026, 2, 1))
    before = mappa_topic_end(api)

    response = register_with(api, registered_on="2026-01-12", date_of_birth=born)

    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "date_of_birth"]
    assert "date_of_birth" in problem["msg"] and "registered_on 2026-01-12" in problem["msg"]
    assert mappa_topic_end(api) == before


def test_a_date_of_birth_before_the_registration_date_is_accepted(api):
    set_today(api, dt.date(2026, 2, 1))
    response = register_with(api, registered_on="2026-01-12", date_of_birth="2008-01-11")
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"registered_on": 0}, ["body", "registered_on"]),
        ({"date_of_birth": 0}, ["body", "date_of_birth"]),
        ({"date_of_birth": 458956800}, ["body", "date_of_birth"]),  # 19 Jul 1984 as a timestamp
        ({"release_date": "0"}, ["body", "release_date"]),
        ({"licence_end_date": True}, ["body", "licence_end_date"]),
    ],
)
def test_registration_dates_must_be_iso_strings(api, change, loc):
    set_today(api, dt.date(2026, 2, 1))
    before = mappa_topic_end(api)

    response = register_with(api, **change)

    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [loc]
    assert mappa_topic_end(api) == before


@pytest.mark.parametrize(
    ("what", "body", "loc"),
    [
        ("category", {"category": 2, "effective_on": 0}, ["body", "effective_on"]),
        ("category", {"category": 2, "effective_on": 1768176000}, ["body", "effective_on"]),
        (
            "category",
            {"category": 1, "effective_on": "2026-01-12", "notification_indefinite": 1},
            ["body", "notification_indefinite"],
        ),
        (
            "category",
            {"category": 1, "effective_on": "2026-01-12", "notification_indefinite": "true"},
            ["body", "notification_indefinite"],
        ),
        ("category", {"category": True, "effective_on": "2026-01-12"}, ["body", "category"]),
        (
            "level",
            {"level": 2, "effective_on": "2026-01-19T00:00:00", "reason": "r"},
            ["body", "effective_on"],
        ),
        ("level", {"level": 2.0, "effective_on": "2026-01-19", "reason": "r"}, ["body", "level"]),
        (
            "level",
            {"level": 2, "effective_on": "2026-01-19", "reason": "r", "next_review_on": 0},
            ["body", "next_review_on"],
        ),
        ("reviews", {"held_on": 0, "outcome": "ok"}, ["body", "held_on"]),
        ("lead-agency", {"lead_agency": "tvp", "effective_on": False}, ["body", "effective_on"]),
        (
            "transfer",
            {"direction": "out", "other_area": "hampshire", "effective_on": "1768176000"},
            ["body", "effective_on"],
        ),
        ("end", {"ended_on": 0, "reason": "Licence expired"}, ["body", "ended_on"]),
    ],
)
def test_command_dates_and_flags_are_strict(api, what, body, loc):
    set_today(api, dt.date(2026, 2, 1))
    nominal_id = register(api)
    level(api, nominal_id, 1, "2026-01-12")
    before = mappa_topic_end(api)

    response = post(api, nominal_id, what, body)

    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [loc]
    assert mappa_topic_end(api) == before


def test_iso_dates_and_json_booleans_still_work(api):
    set_today(api, dt.date(2026, 2, 1))
    nominal_id = register(api)

    accepted = ok(
        post(
            api,
            nominal_id,
            "category",
            {"category": 1, "effective_on": "2026-01-12", "notification_indefinite": True},
        )
    )

    assert accepted["nominal"]["category"] == 1
