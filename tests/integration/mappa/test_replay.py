"""Dropping the MAPPA read model and replaying the topic from offset 0 gives the same records."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from projections.mappa import TABLES
from tests.integration.mappa.helpers import (
    category,
    level,
    ok,
    post,
    read,
    register,
    review,
    set_today,
)

pytestmark = pytest.mark.integration


def dump(api) -> dict[str, list[tuple]]:
    with api.platform.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))]
            for t in TABLES
        }


def test_replay_gives_identical_records(api):
    set_today(api, dt.date(2026, 5, 20))
    first = register(api)
    category(api, first, 1, "2026-01-12", notification_end="2036-01-12")
    level(api, first, 2, "2026-01-19")
    level(api, first, 3, "2026-03-02")
    review(api, first, "2026-04-27", attended_agencies=["tvp", "probation-tv"])
    ok(post(api, first, "lead-agency", {"lead_agency": "tvp", "effective_on": "2026-05-01"}))
    second = register(api, agency="prisons-tv", area="hampshire", lead_agency="prisons-tv")
    category(api, second, 2, "2026-01-12")
    level(api, second, 1, "2026-01-12")
    ok(post(api, second, "end", {"ended_on": "2026-05-19", "reason": "Sentence expired"}))
    api.settle()
    rows_before = dump(api)
    records_before = [read(api, n, "probation-tv") for n in (first, second)]
    reviews_before = api.client.get(
        "/api/mappa/reviews", params={"due_within_days": 365}, headers=api.headers("tvp", "analyst")
    ).json()
    stats_before = api.client.get("/api/mappa/stats", headers=api.headers("tvp", "analyst")).json()
    assert len(rows_before["mappa_nominal_events"]) == 10
    assert len(rows_before["mappa_nominals"]) == 2

    projector = api.projectors["mappa"]
    projector.reset()
    assert dump(api) == {"mappa_nominal_events": [], "mappa_nominals": []}
    api.settle()

    assert dump(api) == rows_before
    assert [read(api, n, "probation-tv") for n in (first, second)] == records_before
    assert (
        api.client.get(
            "/api/mappa/reviews",
            params={"due_within_days": 365},
            headers=api.headers("tvp", "analyst"),
        ).json()
        == reviews_before
    )
    assert (
        api.client.get("/api/mappa/stats", headers=api.headers("tvp", "analyst")).json()
        == stats_before
    )
    assert reviews_before["reviews"][0]["nominal_id"] == first
    assert records_before[0]["level"] == 3
    assert records_before[0]["lead_agency"] == "tvp"
    assert records_before[1]["status"] == "ended"


def test_an_event_the_fold_cannot_apply_is_dead_lettered(api):
    """A level set for a nominal never registered (e.g. a bad `tandem publish`)."""
    from services.kernel.bus import read_dead_letters
    from services.kernel.events import new_event

    set_today(api, dt.date(2026, 5, 20))
    stray = new_event(
        "MappaLevelSet",
        {
            "nominal_id": "mappa-stray",
            "level": 2,
            "effective_on": dt.date(2026, 5, 1),
            "decided_by": "panel",
            "reason": "r",
        },
        aggregate_id="mappa-stray",
        agency="tvp",
        actor="cli",
    )
    api.platform.publisher.publish([stray])
    kept = register(api)
    api.settle()

    assert read(api, kept, "tvp")["nominal_id"] == kept
    missing = api.client.get(
        "/api/mappa/nominals/mappa-stray", headers=api.headers("tvp", "analyst")
    )
    assert missing.status_code == 404
    dlq = api.platform.topics.dead_letter("mappa.nominals")
    reasons = [letter.reason for letter, _ in read_dead_letters(api.platform.bootstrap, dlq)]
    assert any("has not been registered" in reason for reason in reasons), reasons
