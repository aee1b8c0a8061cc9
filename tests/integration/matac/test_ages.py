"""Ages end to end: a recorded date of birth decides at the 16th birthday, is kept when given
with a person id and no name, and is read (audited) only for callers who may read it."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import select

from projections.database import alembic_config, make_engine
from projections.matac import matac_incidents, matac_perpetrators
from tests.integration.matac.scenario import TODAY, body, dump, police, record

pytestmark = pytest.mark.integration

YOUNG = "p-y"
BORN = "2010-02-20"  # 16 on 20 February 2026, after both incidents
BIRTHDAY, EVE = "2026-02-20", "2026-02-19"
YOUNG_INCIDENTS = [
    body(f"INC-Y{n}", on, ["abh"], {"person_id": YOUNG, "date_of_birth": BORN}, [{"person_id": v}])
    for n, on, v in ((1, "2025-11-01", "p-v1"), (2, "2026-01-15", "p-v2"))
]
HOUSING = ("housing-oxford", "agency_contact")


def rows(api, as_of: str) -> dict:
    response = api.client.get(
        "/api/matac/rankings", params={"as_of": as_of, "area": "oxford"}, headers=police(api)
    )
    assert response.status_code == 200, response.text
    return response.json()


def profile(api, as_of: str, headers=None) -> dict:
    response = api.client.get(
        f"/api/matac/perpetrators/{YOUNG}", params={"as_of": as_of}, headers=headers or police(api)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_suspect_with_a_date_of_birth_is_ranked_from_their_16th_birthday(matac):
    assert [record(matac, b)["suspect_age"] for b in YOUNG_INCIDENTS] == [15, 15]

    eve, birthday = rows(matac, EVE), rows(matac, BIRTHDAY)

    assert YOUNG not in {r["person_id"] for r in eve["rows"]} and eve["unranked"] == []
    assert [r["person_id"] for r in birthday["rows"]] == [YOUNG]
    assert birthday["unranked"] == []

    # The profile agrees with the ranking and with the date of birth it shows.
    on_the_day = profile(matac, BIRTHDAY)
    assert on_the_day["date_of_birth"]["value"] == BORN
    assert (on_the_day["youngest_possible_age"], on_the_day["age_from_date_of_birth"]) == (16, True)
    assert (on_the_day["in_population"], on_the_day["exclusion"], on_the_day["rank"]) == (
        True,
        None,
        1,
    )
    the_day_before = profile(matac, EVE)
    assert the_day_before["youngest_possible_age"] == 15
    assert the_day_before["exclusion"] == "aged 15, under the minimum age of 16"

    # Joining the cohort follows the same rule.
    early = matac.client.post(
        "/api/matac/cohort", json={"person_id": YOUNG, "joined_on": EVE}, headers=police(matac)
    )
    assert early.status_code == 409, early.text
    assert early.json()["detail"]["rule"] == "not_in_population"
    assert "aged 15" in early.json()["detail"]["message"]
    joined = matac.client.post(
        "/api/matac/cohort", json={"person_id": YOUNG, "joined_on": BIRTHDAY}, headers=police(matac)
    )
    assert joined.status_code == 201, joined.text

    # Reading the date of birth to rank is a disclosure like any other: it is audited.
    matac.settle()
    audit = matac.client.get(
        "/api/audit/access", params={"subject_id": YOUNG}, headers=matac.headers("tvp", "dpo")
    ).json()["accesses"]
    assert {
        (a["agency"], a["route"], tuple(a["data_classes"]))
        for a in audit
        if a["route"] == "/api/matac/rankings"
    } == {("tvp", "/api/matac/rankings", ("perpetrator.identity",))}
    assert ("tvp", "/api/matac/cohort") in {(a["agency"], a["route"]) for a in audit}


def test_a_caller_who_may_not_read_the_date_of_birth_is_told_the_age_is_unknown(matac):
    for request in YOUNG_INCIDENTS:
        record(matac, request)
    nominated = matac.client.post(
        "/api/matac/nominations",
        json={"person_id": YOUNG, "reason": "Threats to a neighbour reported to housing."},
        headers=matac.headers(*HOUSING),
    )
    assert nominated.status_code == 201, nominated.text

    seen = profile(matac, TODAY.isoformat(), matac.headers(*HOUSING))

    assert seen["date_of_birth"]["status"] == "withheld"
    assert seen["in_population"] is False and seen["rank"] is None
    assert "only the recorded date of birth tells whether they are 16" in seen["exclusion"]
    assert "housing-oxford may not read perpetrator.identity" in seen["exclusion"]
    assert seen["age_from_date_of_birth"] is False
    # The police see the nominee ranked: the date of birth says 16.
    police_view = profile(matac, TODAY.isoformat())
    assert (police_view["in_population"], police_view["nominated"]) == (True, True)


def test_a_date_of_birth_given_with_a_person_id_and_no_name_is_kept(matac):
    record(
        matac,
        body(
            "INC-Z1",
            "2025-12-01",
            ["abh"],
            {"person_id": "p-z", "date_of_birth": "1988-04-02"},
            [{"person_id": "p-v3"}],
        ),
    )
    # A later incident names the suspect but gives only an age.
    record(
        matac,
        body(
            "INC-Z2",
            "2026-02-01",
            ["harassment"],
            {"person_id": "p-z", "name": "Sam Carter", "age": 37},
            [{"person_id": "p-v3"}],
        ),
    )

    seen = matac.client.get("/api/matac/perpetrators/p-z", headers=police(matac)).json()

    assert seen["name"]["value"] == "Sam Carter"
    assert seen["date_of_birth"]["value"] == "1988-04-02"
    assert (seen["youngest_possible_age"], seen["age_from_date_of_birth"]) == (37, True)

    # A replay rebuilds the same read model, whatever order the incidents come in.
    matac.settle()
    tables = dump(matac.platform)
    projector = matac.projectors["matac"]
    projector.reset()
    projector.catch_up(timeout=60)
    assert dump(matac.platform) == tables


@pytest.mark.parametrize(
    ("path", "request_body", "field"),
    [
        (
            "/api/matac/nominations",
            {"person_id": "p-a", "reason": "Five+", "nominated_on": 0},
            "nominated_on",
        ),
        ("/api/matac/cohort", {"person_id": "p-a", "joined_on": 0}, "joined_on"),
        (
            "/api/matac/perpetrators/p-a/status",
            {"status": "custody", "effective_on": 0},
            "effective_on",
        ),
        ("/api/matac/incidents", YOUNG_INCIDENTS[0] | {"occurred_on": 1767225600}, "occurred_on"),
        ("/api/matac/incidents", YOUNG_INCIDENTS[0] | {"is_crime": 1}, "is_crime"),
    ],
)
def test_numbers_are_not_dates_or_flags_in_a_command(matac, path, request_body, field):
    # p-a has an incident, so only the number itself can be refused (it used to be 1970).
    record(matac, YOUNG_INCIDENTS[1] | {"suspect": {"person_id": "p-a", "age": 40}})

    response = matac.client.post(path, json=request_body, headers=police(matac))

    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [["body", field]]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/matac/rankings", {"as_of": "0"}, "as_of"),
        ("/api/matac/cohort", {"as_of": "1767225600"}, "as_of"),
        ("/api/matac/perpetrators/p-a", {"as_of": "20260101"}, "as_of"),
        ("/api/matac/perpetrators/p-a/history", {"start": "0"}, "start"),
    ],
)
def test_numbers_are_not_dates_in_a_query(matac, path, params, field):
    record(matac, YOUNG_INCIDENTS[0] | {"suspect": {"person_id": "p-a", "age": 40}})

    response = matac.client.get(path, params=params, headers=police(matac))

    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [["query", field]]
    left = matac.client.delete(
        "/api/matac/cohort/p-a", params={"left_on": "0"}, headers=police(matac)
    )
    assert left.status_code == 422 and left.json()["detail"][0]["loc"] == ["query", "left_on"]


def test_the_migration_finds_the_dates_of_birth_already_recorded(database_url):
    engine = make_engine(database_url, writer=True)
    config = alembic_config(engine)
    command.upgrade(config, "matac_0001")
    on = dt.date(2026, 1, 1)
    common = {
        "person_id": "p-1",
        "area": "oxford",
        "is_crime": False,
        "offence_categories": [],
        "victim_person_ids": [],
        "suspect_age": 30,
        "recorded_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    # The latest incident carrying a date of birth is I-2 (I-3, later, carries none).
    carried = (("I-1", 1, "enc:v1:a"), ("I-2", 5, "enc:v1:b"), ("I-3", 9, None))
    with engine.begin() as conn:
        for incident_id, day, born in carried:
            conn.execute(
                matac_incidents.insert().values(
                    common
                    | {
                        "incident_id": incident_id,
                        "event_id": f"e-{incident_id}",
                        "occurred_on": on.replace(day=day),
                        "payload": {"suspect_person_id": "p-1", "suspect_date_of_birth": born},
                    }
                )
            )
        conn.execute(matac_perpetrators.insert().values(person_id="p-1", born_on_or_before=on))

    command.upgrade(config, "heads")

    with engine.connect() as conn:
        row = conn.execute(select(matac_perpetrators)).one()
    assert (row.birth_event_id, row.birth_incident_id, row.birth_occurred_on) == (
        "e-I-2",
        "I-2",
        on.replace(day=5),
    )
    engine.dispose()
