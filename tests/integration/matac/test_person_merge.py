"""A coordinator's confirmed match makes two person ids one perpetrator in MATAC.

A perpetrator known under two ids (a near match: "L. Carter" and "Lee Carter", same date of
birth) was ranked twice, each row scoring half the incidents. Once the match is confirmed
the ranking holds one row for the kept id, scored on the incidents of both; a replay of the
topics (the link met in any order with the incidents) rebuilds the same ranking.
"""

from __future__ import annotations

import pytest

from tests.integration.matac.scenario import body, police

pytestmark = pytest.mark.integration

COORDINATOR = ("marac-coord", "coordinator")
VICTIM = {"name": "Kim Carter", "date_of_birth": "1988-01-05"}


def record(api, incident: dict) -> dict:
    response = api.client.post("/api/matac/incidents", json=incident, headers=police(api))
    assert response.status_code == 201, response.text
    return response.json()


def rows(api) -> list[tuple[int, str, float, int]]:
    response = api.client.get("/api/matac/rankings", params={"area": "oxford"}, headers=police(api))
    assert response.status_code == 200, response.text
    return [
        (r["rank"], r["person_id"], r["score"], r["frequency"]) for r in response.json()["rows"]
    ]


def confirm_only_proposal(api) -> dict:
    queue = api.client.get("/api/persons/matches", headers=api.headers(*COORDINATOR)).json()
    assert len(queue) == 1, queue
    decided = api.client.post(
        f"/api/persons/matches/{queue[0]['proposal_id']}/decision",
        json={"decision": "confirmed"},
        headers=api.headers(*COORDINATOR),
    )
    assert decided.status_code == 200, decided.text
    return queue[0]


def test_a_confirmed_match_ranks_the_perpetrator_once_on_both_ids_incidents(matac):
    lee = {"name": "Lee Carter", "date_of_birth": "1985-04-09"}
    first = record(matac, body("INC-M1", "2026-02-20", ["abh"], lee, [dict(VICTIM)]))
    l_carter = {"name": "L. Carter", "date_of_birth": "1985-04-09"}
    second = record(
        matac, body("INC-M2", "2025-12-10", ["coercive_control"], l_carter, [dict(VICTIM)])
    )
    kept, merged = first["suspect_person_id"], second["suspect_person_id"]
    assert second["suspect_match"] == "near" and kept != merged
    # Two rows for one man: 5 + 1 + 2*3 = 12 and 4 + 1 + 2*3 = 11.
    assert rows(matac) == [(1, kept, 12.0, 1), (2, merged, 11.0, 1)]

    proposal = confirm_only_proposal(matac)
    assert (proposal["person_id"], proposal["candidate_person_id"]) == (merged, kept)

    # One row: R 5 (ten days), F 2, G 4 (harm 12): 5 + 2 + 2*4 = 15, one victim.
    assert rows(matac) == [(1, kept, 15.0, 2)]
    profile = matac.client.get(f"/api/matac/perpetrators/{kept}", headers=police(matac))
    assert profile.status_code == 200, profile.text

    # A later incident naming the merged id lands on the kept one.
    later = record(
        matac,
        body(
            "INC-M3", "2026-02-25", ["harassment"], {"person_id": merged, "age": 40}, [dict(VICTIM)]
        ),
    )
    assert later["suspect_person_id"] == kept
    ranked = rows(matac)
    assert [(rank, person, frequency) for rank, person, _, frequency in ranked] == [(1, kept, 3)]

    matac.settle()
    projector = matac.projectors["matac"]
    projector.reset()
    assert rows(matac) == []
    projector.catch_up(timeout=60)
    assert rows(matac) == ranked


def test_a_confirmed_victim_match_counts_the_victim_once(matac):
    suspect = {"name": "Dean Moss", "date_of_birth": "1979-11-02"}
    record(matac, body("INC-V1", "2026-02-20", ["abh"], suspect, [dict(VICTIM)]))
    k_carter = {"name": "K. Carter", "date_of_birth": VICTIM["date_of_birth"]}
    record(matac, body("INC-V2", "2025-12-10", ["coercive_control"], suspect, [k_carter]))

    def victims() -> tuple[int, bool, float]:
        response = matac.client.get(
            "/api/matac/rankings", params={"area": "oxford"}, headers=police(matac)
        )
        [row] = response.json()["rows"]
        return row["victims"], row["serial"], row["score"]

    assert victims() == (2, True, 18.75)  # 15 x 1.25: two victims make him look serial
    confirm_only_proposal(matac)
    assert victims() == (1, False, 15.0)
