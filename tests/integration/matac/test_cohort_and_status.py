"""The cohort (entry, exit, average change) and status changes, end to end."""

from __future__ import annotations

import pytest

from tests.integration.matac.scenario import OLDER, TODAY, A, C, D, police, record_scenario

pytestmark = pytest.mark.integration


def join(api, person_id: str, joined_on: str | None = None, headers=None):
    body = {"person_id": person_id} | ({"joined_on": joined_on} if joined_on else {})
    return api.client.post("/api/matac/cohort", json=body, headers=headers or police(api))


def test_cohort_join_and_leave_with_entry_exit_scores_and_the_average_change(matac):
    ids = record_scenario(matac)
    b = ids["B"]

    joined_a = join(matac, A, OLDER.isoformat())
    joined_b = join(matac, b, OLDER.isoformat())
    assert joined_a.status_code == 201, joined_a.text
    assert (joined_a.json()["entry_score"], joined_a.json()["area"]) == (16.25, "oxford")
    assert joined_b.json()["entry_score"] == 12.0
    assert joined_b.json()["explanation"]["recency"] == 4
    matac.settle()

    again = join(matac, A)
    assert again.status_code == 409
    assert again.json()["detail"]["rule"] == "already_in_cohort"

    left = matac.client.delete(
        f"/api/matac/cohort/{b}", params={"reason": "completed"}, headers=police(matac)
    )
    assert left.status_code == 200, left.text
    assert left.json() | {"event_id": None} == {
        "person_id": b,
        "joined_on": OLDER.isoformat(),
        "entry_score": 12.0,
        "left_on": TODAY.isoformat(),
        "exit_score": 11.0,
        "change": -1.0,
        "percent_change": -8.33,  # -1 / 12
        "reason": "completed",
        "event_id": None,
    }
    matac.settle()

    report = matac.client.get("/api/matac/cohort", params={"area": "oxford"}, headers=police(matac))
    assert report.status_code == 200, report.text
    members = {m["person_id"]: m for m in report.json()["members"]}
    assert members[A]["current_score"] == 20.0
    assert (members[A]["left_on"], members[A]["exit_score"]) == (None, None)
    assert (members[A]["change"], members[A]["percent_change"]) == (3.75, 23.08)  # 3.75/16.25
    assert members[A]["name"]["value"] == "Darren Price"
    assert members[b]["current_score"] is None
    assert members[b]["exit_score"] == 11.0
    assert members[b]["exit_reason"] == {
        "status": "shown",
        "data_class": "risk.narrative",
        "value": "completed",
        "reason": None,
    }
    # Mean of 23.0769...% and -8.3333...% = 7.3718% (rounded after averaging);
    # summed scores 28.25 -> 31: +2.75, +9.73%.
    assert report.json()["measure"] == {
        "members": 2,
        "members_with_percent": 2,
        "mean_percent_change": 7.37,
        "mean_percent_fall": -7.37,
        "total_entry_score": 28.25,
        "total_latest_score": 31.0,
        "total_change": 2.75,
        "total_percent_change": 9.73,
    }

    # Before anyone joined, the cohort was empty; on the joining day both were members.
    empty = matac.client.get(
        "/api/matac/cohort", params={"as_of": "2025-12-30"}, headers=police(matac)
    ).json()
    assert empty["members"] == [] and empty["measure"]["mean_percent_change"] is None
    on_joining = matac.client.get(
        "/api/matac/cohort", params={"as_of": OLDER.isoformat()}, headers=police(matac)
    ).json()
    assert on_joining["measure"]["total_change"] == 0.0

    rows = matac.client.get(
        "/api/matac/rankings", params={"area": "oxford"}, headers=police(matac)
    ).json()["rows"]
    assert {r["person_id"]: r["in_cohort"] for r in rows}[A] is True
    assert {r["person_id"]: r["in_cohort"] for r in rows}[b] is False

    profile = matac.client.get(f"/api/matac/perpetrators/{b}", headers=police(matac)).json()
    assert profile["cohort"] == [
        {
            "area": "oxford",
            "joined_on": OLDER.isoformat(),
            "entry_score": 12.0,
            "left_on": TODAY.isoformat(),
            "exit_score": 11.0,
            "exit_reason": members[b]["exit_reason"],
        }
    ]


def test_cohort_refusals(matac):
    record_scenario(matac)

    not_member = matac.client.delete(f"/api/matac/cohort/{C}", headers=police(matac))
    assert not_member.status_code == 409
    assert not_member.json()["detail"]["rule"] == "not_in_cohort"

    child = join(matac, D)
    assert child.status_code == 409
    assert child.json()["detail"] == {
        "rule": "not_in_population",
        "message": "p-d on 2026-03-02: aged 15, under the minimum age of 16",
    }

    unknown = join(matac, "p-nobody")
    assert unknown.status_code == 404

    future = join(matac, A, "2026-03-03")
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "joined_on"]

    coordinator = join(matac, A, headers=matac.headers("marac-coord", "coordinator"))
    assert coordinator.status_code == 403

    join(matac, A).raise_for_status()
    matac.settle()
    early = matac.client.delete(
        f"/api/matac/cohort/{A}", params={"left_on": "2026-03-01"}, headers=police(matac)
    )
    assert early.status_code == 422
    assert early.json()["detail"][0]["loc"] == ["query", "left_on"]


def test_status_changes_take_people_out_of_and_back_into_the_ranking(matac):
    record_scenario(matac)

    def oxford(**params) -> list[str]:
        response = matac.client.get(
            "/api/matac/rankings", params={"area": "oxford", **params}, headers=police(matac)
        )
        return [r["person_id"] for r in response.json()["rows"]]

    assert C in oxford()
    custody = matac.client.post(
        f"/api/matac/perpetrators/{C}/status",
        json={"status": "custody", "effective_on": "2026-03-01"},
        headers=police(matac),
    )
    assert custody.status_code == 201, custody.text
    assert custody.json()["status"] == "custody"
    matac.settle()

    assert C not in oxford()
    assert C in oxford(as_of="2026-02-28")  # the day before custody
    profile = matac.client.get(f"/api/matac/perpetrators/{C}", headers=police(matac)).json()
    assert (profile["in_population"], profile["exclusion"], profile["rank"]) == (
        False,
        "in custody",
        None,
    )

    released_twice = matac.client.post(
        f"/api/matac/perpetrators/{A}/status", json={"status": "released"}, headers=police(matac)
    )
    assert released_twice.status_code == 409
    assert released_twice.json()["detail"]["rule"] == "not_in_custody"

    matac.client.post(
        f"/api/matac/perpetrators/{C}/status", json={"status": "released"}, headers=police(matac)
    ).raise_for_status()
    matac.settle()
    assert C in oxford()

    assert (
        matac.client.post(
            "/api/matac/perpetrators/p-nobody/status",
            json={"status": "custody"},
            headers=police(matac),
        ).status_code
        == 404
    )
    # A coordinator party's analyst is not police: cannot record police facts.
    assert (
        matac.client.post(
            f"/api/matac/perpetrators/{C}/status",
            json={"status": "deceased"},
            headers=matac.headers("marac-coord", "analyst"),
        ).status_code
        == 403
    )
    bad_status = matac.client.post(
        f"/api/matac/perpetrators/{C}/status", json={"status": "on_holiday"}, headers=police(matac)
    )
    assert bad_status.status_code == 422
    assert bad_status.json()["detail"][0]["loc"] == ["body", "status"]


def test_the_migration_makes_room_for_an_encrypted_exit_reason(database_url):
    """CohortLeft v2 encrypts the reason; the token is longer than the old 200 characters."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import select

    from projections.database import alembic_config, make_engine
    from projections.matac import matac_cohort

    engine = make_engine(database_url, writer=True)
    config = alembic_config(engine)
    command.upgrade(config, "matac_0002")
    row = {
        "joined_event_id": "e-join",
        "person_id": "p-1",
        "area": "oxford",
        "joined_on": dt.date(2026, 1, 1),
        "entry_score": 10.0,
        "joined_by": "u (tvp)",
        "left_event_id": "e-left",
        "left_on": dt.date(2026, 2, 1),
        "exit_score": 9.0,
        "exit_reason": "completed",  # plain text, as a CohortLeft v1 event carried it
        "left_by": "u (tvp)",
    }
    with engine.begin() as conn:
        conn.execute(matac_cohort.insert().values(row))

    command.upgrade(config, "heads")

    token = "enc:v1:" + "A" * 400
    with engine.begin() as conn:
        conn.execute(
            matac_cohort.insert().values(
                row | {"joined_event_id": "e-join-2", "left_event_id": "e-left-2",
                       "exit_reason": token}
            )
        )  # fmt: skip
        reasons = dict(
            conn.execute(select(matac_cohort.c.joined_event_id, matac_cohort.c.exit_reason)).all()
        )
    assert reasons == {"e-join": "completed", "e-join-2": token}
    engine.dispose()
