"""MAPPA commands through the HTTP API and the broker: rules (409), shape (422), who may write.

Dates are worked by hand: 16 weeks after Monday 12 January 2026 (the registration date the
helpers use) is Monday 4 May 2026 (19 days to 31 Jan, 28 in Feb, 31 in Mar, 30 in Apr, 4 in
May = 112 days). A nominal never reviewed counts its review clock from registration, not
from the level decision (services/mappa/domain/schedule.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.mappa.helpers import (
    LEVEL_2_REASON,
    category,
    level,
    mappa_topic_end,
    ok,
    post,
    read,
    register,
    registration,
    review,
    set_today,
    shown,
    writer,
)

pytestmark = pytest.mark.integration


def test_category_1_needs_the_notification_end_and_nothing_is_published_without_it(api):
    set_today(api, dt.date(2026, 2, 1))
    nominal_id = register(api)
    before = mappa_topic_end(api)

    refused = post(api, nominal_id, "category", {"category": 1, "effective_on": "2026-01-12"})

    assert refused.status_code == 409
    assert refused.json()["detail"]["rule"] == "category1_notification_end_required"
    assert "notification end" in refused.json()["detail"]["message"]
    assert mappa_topic_end(api) == before

    accepted = category(api, nominal_id, 1, "2026-01-12", notification_end="2036-01-12")
    assert accepted["event_type"] == "MappaCategoryAssigned"
    assert accepted["nominal"]["category"] == 1
    assert mappa_topic_end(api) != before

    api.settle()
    record = read(api, nominal_id, "probation-tv")
    assert record["category"] == 1
    assert record["notification_end"] == "2036-01-12"
    assert [c["category"] for c in record["category_history"]] == [1]


def test_level_3_needs_the_senior_oversight_need(api):
    set_today(api, dt.date(2026, 2, 1))
    nominal_id = register(api)
    before = mappa_topic_end(api)

    refused = post(
        api,
        nominal_id,
        "level",
        {"level": 3, "effective_on": "2026-01-19", "reason": "Threats since release"},
    )

    assert refused.status_code == 409
    assert refused.json()["detail"]["rule"] == "level3_reason_missing_senior_oversight"
    assert mappa_topic_end(api) == before


def test_level_2_puts_the_first_review_16_weeks_after_registration(api):
    set_today(api, dt.date(2026, 2, 1))
    nominal_id = register(api)

    accepted = level(api, nominal_id, 2, "2026-01-19", decided_by="Level 2 panel chair")

    assert accepted["nominal"]["level"] == 2
    assert accepted["nominal"]["next_review"] == {
        "due_on": "2026-05-04",
        "status": "scheduled",
        "days_overdue": 0,
        "set_by_panel": False,
        "last_review_on": None,
    }
    api.settle()
    record = read(api, nominal_id, "probation-tv")
    assert record["next_review"]["due_on"] == "2026-05-04"
    assert record["level_set_on"] == "2026-01-19"
    (entry,) = record["level_history"]
    assert entry["level"] == 2
    assert entry["decided_by"]["value"] == "Level 2 panel chair"
    assert entry["reason"] == shown("mappa.minutes", LEVEL_2_REASON)
    assert entry["recorded_by"] == "probation-tv"


def test_a_panel_date_wins_over_the_interval(api):
    set_today(api, dt.date(2026, 2, 1))
    nominal_id = register(api)

    accepted = level(api, nominal_id, 2, "2026-01-19", next_review_on="2026-03-02")

    assert accepted["nominal"]["next_review"]["due_on"] == "2026-03-02"
    assert accepted["nominal"]["next_review"]["set_by_panel"] is True
    api.settle()
    record = read(api, nominal_id, "tvp")
    assert record["level_history"][0]["next_review_on"] == "2026-03-02"
    assert record["next_review"]["due_on"] == "2026-03-02"


def test_commands_are_decided_on_events_not_yet_projected(api):
    """No settle between commands: the process folds its own unprojected events."""
    set_today(api, dt.date(2026, 5, 12))
    nominal_id = register(api)
    category(api, nominal_id, 2, "2026-01-12")
    level(api, nominal_id, 2, "2026-01-19")

    # A review needs a level: refused with level_not_set if the level were not seen.
    accepted = review(api, nominal_id, "2026-05-12", attended_agencies=["tvp"])
    # Level 2: 16 weeks after 12 May 2026 is 1 September 2026 (19 + 30 + 31 + 31 + 1 days).
    assert accepted["nominal"]["next_review"]["due_on"] == "2026-09-01"

    again = post(
        api, nominal_id, "level", {"level": 2, "effective_on": "2026-05-12", "reason": "x"}
    )
    assert again.status_code == 409
    assert again.json()["detail"]["rule"] == "same_level"

    api.settle()
    record = read(api, nominal_id, "probation-tv")
    assert record["category"] == 2
    assert record["level"] == 2
    assert record["next_review"]["last_review_on"] == "2026-05-12"
    assert record["next_review"]["due_on"] == "2026-09-01"


def test_nothing_is_accepted_after_management_ended_or_a_transfer_out(api):
    set_today(api, dt.date(2026, 6, 1))
    ended = register(api)
    level(api, ended, 1, "2026-01-12")
    ok(post(api, ended, "end", {"ended_on": "2026-05-29", "reason": "Licence expired"}))
    moved = register(api)
    level(api, moved, 2, "2026-01-12")
    ok(
        post(
            api,
            moved,
            "transfer",
            {"direction": "out", "other_area": "hampshire", "effective_on": "2026-05-30"},
        )
    )
    api.settle()
    before = mappa_topic_end(api)

    after_end = post(api, ended, "reviews", {"held_on": "2026-06-01", "outcome": "n/a"})
    after_transfer = post(
        api, moved, "lead-agency", {"lead_agency": "tvp", "effective_on": "2026-06-01"}
    )

    assert after_end.status_code == 409
    assert after_end.json()["detail"]["rule"] == "management_ended"
    assert after_transfer.status_code == 409
    assert after_transfer.json()["detail"]["rule"] == "transferred_out"
    assert mappa_topic_end(api) == before
    record = read(api, ended, "probation-tv")
    assert record["status"] == "ended"
    assert record["ended_on"] == "2026-05-29"
    assert record["ended_reason"]["value"] == "Licence expired"
    assert record["next_review"]["status"] == "not_applicable"
    transferred = read(api, moved, "probation-tv")
    assert transferred["status"] == "transferred_out"
    assert [
        (t["direction"], t["other_area"], t["effective_on"]) for t in transferred["transfers"]
    ] == [("out", "hampshire", "2026-05-30")]


def test_lead_agency_change_is_recorded_in_the_history(api):
    set_today(api, dt.date(2026, 3, 1))
    nominal_id = register(api)
    accepted = ok(
        post(api, nominal_id, "lead-agency", {"lead_agency": "tvp", "effective_on": "2026-02-27"})
    )
    assert accepted["nominal"]["lead_agency"] == "tvp"
    api.settle()
    history = read(api, nominal_id, "tvp")["lead_agency_history"]
    assert [(h["lead_agency"], h["effective_on"]) for h in history] == [
        ("probation-tv", "2026-01-12"),
        ("tvp", "2026-02-27"),
    ]


@pytest.mark.parametrize(
    ("what", "body", "loc"),
    [
        ("level", {"level": "two", "effective_on": "2026-01-19", "reason": "r"}, ["body", "level"]),
        ("level", {"level": 4, "effective_on": "2026-01-19", "reason": "r"}, ["body", "level"]),
        ("level", {"level": 2, "reason": "r"}, ["body", "effective_on"]),
        ("category", {"category": 2, "effective_on": "19/01/2026"}, ["body", "effective_on"]),
        (
            "category",
            {"category": 2, "effective_on": "2026-01-19", "colour": "red"},
            ["body", "colour"],
        ),
        (
            "reviews",
            {"held_on": "2026-01-19", "outcome": "ok", "attended_agencies": ["tvp", "acme"]},
            ["body", "attended_agencies", 1],
        ),
        (
            "lead-agency",
            {"lead_agency": "marac-coord", "effective_on": "2026-01-19"},
            ["body", "lead_agency"],
        ),
        (
            "transfer",
            {"direction": "sideways", "other_area": "x", "effective_on": "2026-01-19"},
            ["body", "direction"],
        ),
    ],
)
def test_malformed_commands_are_422_naming_the_field_and_publish_nothing(api, what, body, loc):
    set_today(api, dt.date(2026, 2, 1))
    nominal_id = register(api)
    level(api, nominal_id, 1, "2026-01-12")
    before = mappa_topic_end(api)

    response = post(api, nominal_id, what, body)

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert mappa_topic_end(api) == before


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"name": None}, ["body", "name"]),
        ({"date_of_birth": "1984-02-30"}, ["body", "date_of_birth"]),
        ({"date_of_birth": "2030-01-01"}, ["body", "date_of_birth"]),
        ({"area": "Thames Valley"}, ["body", "area"]),
        ({"rosh_level": "extreme"}, ["body", "rosh_level"]),
        ({"lead_agency": "acme-security"}, ["body", "lead_agency"]),
    ],
)
def test_malformed_registration_is_422_naming_the_field(api, change, loc):
    set_today(api, dt.date(2026, 2, 1))
    body = registration(**change)
    if change.get("name", "") is None:
        del body["name"]
    before = mappa_topic_end(api)

    response = api.client.post("/api/mappa/nominals", json=body, headers=writer(api))

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert mappa_topic_end(api) == before


def test_registration_in_the_future_is_a_rule_violation(api):
    set_today(api, dt.date(2026, 2, 1))
    response = api.client.post(
        "/api/mappa/nominals", json=registration(registered_on="2026-02-02"), headers=writer(api)
    )
    assert response.status_code == 409
    assert response.json()["detail"]["rule"] == "date_in_future"


def test_unknown_nominal_is_404(api):
    set_today(api, dt.date(2026, 2, 1))
    before = mappa_topic_end(api)
    assert (
        post(api, "mappa-nope", "end", {"ended_on": "2026-01-30", "reason": "x"}).status_code == 404
    )
    missing = api.client.get(
        "/api/mappa/nominals/mappa-nope", headers=api.headers("tvp", "analyst")
    )
    assert missing.status_code == 404
    assert mappa_topic_end(api) == before


def test_only_mappa_parties_with_the_coordinator_role_may_write(api):
    set_today(api, dt.date(2026, 2, 1))
    body = registration()

    as_referrer = api.client.post(
        "/api/mappa/nominals", json=body, headers=api.headers("tvp", "referrer")
    )
    marac_coordinator = api.client.post(
        "/api/mappa/nominals", json=body, headers=api.headers("marac-coord", "mappa_coordinator")
    )
    housing = api.client.post(
        "/api/mappa/nominals", json=body, headers=api.headers("housing-oxford", "mappa_coordinator")
    )
    no_token = api.client.post("/api/mappa/nominals", json=body)

    assert as_referrer.status_code == 403
    assert marac_coordinator.status_code == 403
    assert "marac-coord is not a party to MAPPA" in marac_coordinator.json()["detail"]
    assert housing.status_code == 401  # the role itself is refused to a housing party
    assert no_token.status_code == 401
    for agency in ("tvp", "prisons-tv", "mappa-coord"):
        register(api, agency=agency)
