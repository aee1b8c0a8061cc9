"""Rankings end to end: incidents through the API and the broker, read back ranked and explained."""

from __future__ import annotations

import datetime as dt

import pytest

from services.matac.domain.ranking import rank
from services.matac.policy import load_policy
from tests.integration.matac.scenario import (
    OLDER,
    TODAY,
    A,
    C,
    D,
    E,
    F,
    domain_perpetrators,
    police,
    record_scenario,
)

pytestmark = pytest.mark.integration

POLICY = load_policy()


def ranking(api, headers=None, **params) -> dict:
    response = api.client.get("/api/matac/rankings", params=params, headers=headers or police(api))
    assert response.status_code == 200, response.text
    return response.json()


def scores(result: dict) -> list[tuple[int, str, float, bool]]:
    return [(r["rank"], r["person_id"], r["score"], r["nominated"]) for r in result["rows"]]


def test_ranking_matches_the_hand_worked_scores_and_the_pure_function(matac):
    ids = record_scenario(matac)
    b = ids["B"]

    oxford = ranking(matac, area="oxford", top=3)

    # Hand-worked (see scenario.py); D is 15 and not ranked.
    assert scores(oxford) == [(1, A, 20.0, False), (2, b, 11.0, False), (3, C, 8.0, False)]
    first = oxford["rows"][0]
    assert (first["recency"], first["frequency"], first["gravity"]) == (5, 3, 4)
    assert (first["victims"], first["serial"], first["total_harm"]) == (2, True, 15.0)
    assert first["explanation"]["multiplier"] == 1.25
    assert first["explanation"]["gravity_band"]["bounds"] == "> 10 and <= 20"
    assert [i["most_serious_offence"] for i in first["explanation"]["incidents"]] == [
        "common_assault",
        "coercive_control",
        "abh",
    ]
    assert oxford["as_of"] == TODAY.isoformat()
    assert oxford["unranked"] == []

    # The same as the pure function over the same facts built by hand.
    expected = rank(domain_perpetrators(b, ids["B_victim"]), POLICY, TODAY, area="oxford", top=3)
    for got, want in zip(oxford["rows"], expected, strict=True):
        want = want.to_dict()
        assert {k: got[k] for k in want} == want

    everywhere = ranking(matac)
    assert [(r["area"], r["person_id"]) for r in everywhere["rows"]] == [
        ("oxford", A),
        ("oxford", b),
        ("oxford", C),
        ("oxford", E),
        ("reading", F),
    ]
    assert everywhere["rows"][-1]["score"] == 11.0
    assert D not in {r["person_id"] for r in everywhere["rows"]}


def test_an_older_as_of_date_gives_the_earlier_ranking(matac):
    ids = record_scenario(matac)

    older = ranking(matac, area="oxford", as_of=OLDER.isoformat())

    assert scores(older) == [(1, A, 16.25, False), (2, ids["B"], 12.0, False), (3, E, 4.0, False)]
    expected = rank(domain_perpetrators(ids["B"], ids["B_victim"]), POLICY, OLDER, area="oxford")
    assert [(r.person_id, float(r.score)) for r in expected] == [
        (r["person_id"], r["score"]) for r in older["rows"]
    ]
    # Incidents after the as-of date are not part of an older ranking's explanation.
    assert [i["incident_id"] for i in older["rows"][0]["explanation"]["incidents"]] == [
        "INC-A3",
        "INC-A2",
    ]


def test_a_ranking_for_today_reflects_today_not_the_last_event(matac):
    record_scenario(matac)
    before = {r["person_id"]: r["score"] for r in ranking(matac, area="oxford")["rows"]}
    assert (before[A], before[C]) == (20.0, 8.0)

    matac.platform.today = lambda: dt.date(2026, 5, 1)  # no new event, two months on
    after = {r["person_id"]: r["score"] for r in ranking(matac, area="oxford")["rows"]}

    # A: latest incident 20 Feb is now 3 months back -> R 4: (4 + 3 + 8) * 1.25 = 18.75.
    # C: latest 27 Feb is now 3 months back -> R 4: 4 + 1 + 2 = 7.
    assert (after[A], after[C]) == (18.75, 7.0)


def test_a_nominee_below_the_cut_is_shown_and_marked(matac):
    ids = record_scenario(matac)
    response = matac.client.post(
        "/api/matac/nominations",
        json={"person_id": E, "reason": "Threats to neighbours; tenancy enforcement under way."},
        headers=matac.headers("housing-oxford", "agency_contact"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["area"] == "oxford"  # from E's latest incident
    assert response.json()["nominated_on"] == TODAY.isoformat()
    matac.settle()

    oxford = ranking(matac, area="oxford", top=3)

    assert scores(oxford) == [
        (1, A, 20.0, False),
        (2, ids["B"], 11.0, False),
        (3, C, 8.0, False),
        (4, E, 4.0, True),
    ]
    # Before the nomination was made, E was not on a top-3 list.
    older = ranking(matac, area="oxford", top=2, as_of=OLDER.isoformat())
    assert [r["person_id"] for r in older["rows"]] == [A, ids["B"]]


def test_identities_are_shown_to_police_and_withheld_from_another_party(matac):
    ids = record_scenario(matac)
    matac.client.post(
        "/api/matac/nominations",
        json={"person_id": E, "reason": "Threats to neighbours; tenancy enforcement under way."},
        headers=matac.headers("housing-oxford", "agency_contact"),
    ).raise_for_status()
    matac.settle()

    response = matac.client.get(
        "/api/matac/rankings", params={"area": "oxford"}, headers=police(matac)
    )
    assert "enc:v1:" not in response.text
    names = {r["person_id"]: r["name"] for r in response.json()["rows"]}
    assert names[A] == {
        "status": "shown",
        "data_class": "perpetrator.identity",
        "value": "Darren Price",
        "reason": None,
    }
    assert names[ids["B"]]["value"] == "Mark Jones"
    assert names[C] is None  # no incident names C
    assert names[E]["value"] == "Paul Green"

    coordinator = ranking(matac, matac.headers("marac-coord", "coordinator"), area="oxford")
    assert coordinator["rows"][0]["name"]["value"] == "Darren Price"

    housing = matac.headers("housing-oxford", "agency_contact")
    assert matac.client.get("/api/matac/rankings", headers=housing).status_code == 403
    assert matac.client.get(f"/api/matac/perpetrators/{A}", headers=housing).status_code == 403

    profile = matac.client.get(f"/api/matac/perpetrators/{E}", headers=housing)
    assert profile.status_code == 200, profile.text
    assert "enc:v1:" not in profile.text
    seen = profile.json()
    assert seen["name"]["status"] == "withheld"
    assert "thames-valley-da-isa v2" in seen["name"]["reason"]
    assert "housing-oxford" in seen["name"]["reason"]
    assert seen["date_of_birth"]["status"] == "withheld"
    assert seen["nominations"][0]["reason"]["value"] == (
        "Threats to neighbours; tenancy enforcement under way."
    )
    assert seen["nominated"] is True and seen["rank"] == 4

    police_view = matac.client.get(f"/api/matac/perpetrators/{A}", headers=police(matac)).json()
    assert police_view["name"]["value"] == "Darren Price"
    assert police_view["date_of_birth"]["value"] == "1991-08-14"
    assert police_view["incidents"][2]["crime_reference"]["value"] == "43260012345"

    # The police reads are audited: who saw A's identity, under which agreement and route.
    matac.settle()
    audit = matac.client.get(
        "/api/audit/access", params={"subject_id": A}, headers=matac.headers("tvp", "dpo")
    ).json()["accesses"]
    routes = {(a["agency"], a["route"], a["purpose"]) for a in audit}
    assert ("tvp", "/api/matac/rankings", "matac") in routes
    assert ("marac-coord", "/api/matac/rankings", "matac") in routes
    assert ("tvp", f"/api/matac/perpetrators/{A}", "matac") in routes


def test_matching_links_incidents_by_name_and_keeps_victim_ids_exact(matac):
    ids = record_scenario(matac)
    results = ids["results"]

    assert results["INC-B1"]["suspect_match"] == "new"
    assert results["INC-B1"]["events"] == ["PersonIndexed", "PersonIndexed", "IncidentRecorded"]
    assert results["INC-B1"]["suspect_age"] == 35  # born 17 May 1990, incident 15 Nov 2025
    assert results["INC-B2"]["suspect_match"] == "exact"
    assert results["INC-B2"]["suspect_person_id"] == ids["B"]
    assert results["INC-B2"]["victim_person_ids"] == [ids["B_victim"]]
    assert results["INC-B2"]["events"] == ["IncidentRecorded"]
    assert results["INC-A1"]["suspect_match"] == "given"
    assert results["INC-A1"]["suspect_age"] == 34

    profile = matac.client.get(f"/api/matac/perpetrators/{ids['B']}", headers=police(matac))
    incidents = profile.json()["incidents"]
    assert [(i["incident_id"], i["victim_person_ids"]) for i in incidents] == [
        ("INC-B2", [ids["B_victim"]]),
        ("INC-B1", [ids["B_victim"]]),
    ]
    assert profile.json()["name"]["value"] == "Mark Jones"


def test_profile_and_ranking_exports(matac):
    ids = record_scenario(matac)

    csv = matac.client.get(
        "/api/matac/rankings",
        params={"area": "oxford", "top": 3, "format": "csv"},
        headers=police(matac),
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == (
        "Area,Rank,Person id,Name,Name shown,Score,Recency,Frequency,Gravity,Victims,Serial,"
        "Nominated,In cohort,Latest incident,Incidents,Total harm,As of,Policy"
    )
    assert lines[1:] == [
        f"Oxford,1,{A},Darren Price,Shown,20,5,3,4,2,Yes,No,No,2026-02-20,3,15,"
        "2026-03-02,tandem-default-rfgs-1",
        f"Oxford,2,{ids['B']},Mark Jones,Shown,11,3,2,3,1,No,No,No,2025-11-15,2,8,"
        "2026-03-02,tandem-default-rfgs-1",
        f"Oxford,3,{C},,Not recorded,8,5,1,1,1,No,No,No,2026-02-27,1,1,"
        "2026-03-02,tandem-default-rfgs-1",
    ]

    profile = matac.client.get(
        f"/api/matac/perpetrators/{A}", params={"format": "csv"}, headers=police(matac)
    )
    rows = profile.text.splitlines()
    assert len(rows) == 4  # header + one row per incident
    assert rows[1].startswith(f"{A},Darren Price,Shown,2026-03-02,Oxford,1,Yes,,No,No,20,")
    assert rows[1].endswith(
        "INC-A3,2025-06-01,Oxford,Yes,in the look-back window,Common assault,3,p-v2"
    )
    assert "true" not in profile.text and "false" not in profile.text

    as_json = matac.client.get(f"/api/matac/perpetrators/{A}", headers=police(matac)).json()
    assert as_json["score"]["score"] == 20.0
    assert as_json["rank"] == 1
    assert as_json["youngest_possible_age"] == 34
    assert as_json["history"][-1] == {"date": "2026-03-02", "score": 20.0}


def test_score_history_series(matac):
    record_scenario(matac)

    response = matac.client.get(
        f"/api/matac/perpetrators/{A}/history",
        params={"start": "2025-12-01", "end": "2026-03-02", "step_days": 30},
        headers=police(matac),
    )

    assert response.status_code == 200, response.text
    # 1 Dec: only A3 (6 months back: R 3, F 1, G 2) = 8. 31 Dec: 16.25 (scenario.py).
    # 30 Jan: A2 and A3, latest 2 months back: (4 + 2 + 6) * 1.25 = 15. 1 and 2 Mar: 20.
    assert response.json()["points"] == [
        {"date": "2025-12-01", "score": 8.0},
        {"date": "2025-12-31", "score": 16.25},
        {"date": "2026-01-30", "score": 15.0},
        {"date": "2026-03-01", "score": 20.0},
        {"date": "2026-03-02", "score": 20.0},
    ]
    csv = matac.client.get(
        f"/api/matac/perpetrators/{A}/history",
        params={"start": "2026-03-01", "end": "2026-03-02", "format": "csv"},
        headers=police(matac),
    )
    assert csv.text == f"Person id,Date,Score\r\n{A},2026-03-01,20\r\n{A},2026-03-02,20\r\n"

    bad = matac.client.get(
        f"/api/matac/perpetrators/{A}/history",
        params={"start": "2026-03-02", "end": "2026-03-01"},
        headers=police(matac),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "start"]
    future = matac.client.get(
        "/api/matac/rankings", params={"as_of": "2026-03-03"}, headers=police(matac)
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["query", "as_of"]
