"""A hand-worked MATAC scenario, as API requests and as the domain's plain data.

Scored under the default policy on TODAY (2026-03-02), worked by hand:

oxford
  A  INC-A1 2026-02-20 abh (6) V1; INC-A2 2025-12-10 coercive control (6) V1;
     INC-A3 2025-06-01 common assault + criminal damage (3) V2.
     R: latest 1 month ago -> 5. F: 3 incidents -> 3. G: harm 15 -> 4.
     Base 5 + 3 + 2*4 = 16; two victims -> x1.25 = 20.
  B  INC-B1 2025-11-15 stalking (5) V3; INC-B2 2025-10-01 harassment (3) V3.
     R: 4 months -> 3. F: 2 -> 2. G: harm 8 -> 3. 3 + 2 + 6 = 11.
  C  INC-C1 2026-02-27 non-crime (1) V4. R 5, F 1, G 1: 5 + 1 + 2 = 8.
  D  INC-D1 2026-01-10 rape, aged 15: not ranked (under 16).
  E  INC-E1 2024-09-01 criminal damage (2) V6. R: 19 months -> 1. F 1, G 1: 1 + 1 + 2 = 4.
reading
  F  INC-F1 2026-02-01 threats to kill (6) V7. R: 2 months -> 4. F 1, G 3: 4 + 1 + 6 = 11.

On 2025-12-31 (an older as-of date):
  A  A2 and A3 count: R 5 (21 days), F 2, G 3 (harm 9): 5 + 2 + 6 = 13, x1.25 = 16.25.
  B  R: latest 1.5 months ago -> 4; F 2, G 3: 4 + 2 + 6 = 12.
  C, D: their incidents are later, so not in the population.
  E  R: 16 months -> 1: 4.
"""

from __future__ import annotations

from datetime import date

from services.matac.domain.model import Incident, Perpetrator

TODAY = date(2026, 3, 2)
OLDER = date(2025, 12, 31)

A, C, D, E, F = "p-a", "p-c", "p-d", "p-e", "p-f"
B_SUSPECT = {"name": "Mark Jones", "date_of_birth": "1990-05-17"}
B_VICTIM = {"name": "Kerry Jones", "date_of_birth": "1992-09-30"}


def body(
    incident_id: str,
    occurred_on: str,
    categories: list[str],
    suspect: dict,
    victims: list[dict],
    area: str = "oxford",
    **extra,
) -> dict:
    return {
        "incident_id": incident_id,
        "occurred_on": occurred_on,
        "policing_area": area,
        "is_crime": bool(categories),
        "offence_categories": categories,
        "suspect": suspect,
        "victims": victims,
        **extra,
    }


FIRST_BATCH = [
    body(
        "INC-A1",
        "2026-02-20",
        ["abh"],
        {"person_id": A, "name": "Darren Price", "date_of_birth": "1991-08-14"},
        [{"person_id": "p-v1"}],
        crime_reference="43260012345",
        summary="Assault at the victim's address.",
    ),
    body(
        "INC-A2",
        "2025-12-10",
        ["coercive_control"],
        {"person_id": A, "age": 34},
        [{"person_id": "p-v1"}],
    ),
    body(
        "INC-A3",
        "2025-06-01",
        ["common_assault", "criminal_damage"],
        {"person_id": A, "age": 33},
        [{"person_id": "p-v2"}],
    ),
    body("INC-B1", "2025-11-15", ["stalking"], B_SUSPECT, [B_VICTIM]),
    body("INC-C1", "2026-02-27", [], {"person_id": C, "age": 22}, [{"person_id": "p-v4"}]),
    body("INC-D1", "2026-01-10", ["rape"], {"person_id": D, "age": 15}, [{"person_id": "p-v5"}]),
    body(
        "INC-E1",
        "2024-09-01",
        ["criminal_damage"],
        {"person_id": E, "name": "Paul Green", "date_of_birth": "1985-07-07"},
        [{"person_id": "p-v6"}],
    ),
    body(
        "INC-F1",
        "2026-02-01",
        ["threats_to_kill"],
        {"person_id": F, "age": 30},
        [{"person_id": "p-v7"}],
        area="reading",
    ),
]
SECOND_BATCH = [body("INC-B2", "2025-10-01", ["harassment"], B_SUSPECT, [B_VICTIM])]


def police(api) -> dict[str, str]:
    return api.headers("tvp", "analyst")


def known_persons(api, *person_ids: str) -> None:  # api: anything with a .platform
    """Index hand-picked person ids, as a referral or earlier incident would have.

    The API refuses a person id Tandem never issued; the hand-worked scenario names its
    people by fixed ids, so they are indexed first, with terms that match no name.
    """
    from projections.sharing import person_terms
    from services.kernel.events import new_event

    with api.platform.engine.connect() as conn:
        present = set(
            conn.execute(
                person_terms.select().with_only_columns(person_terms.c.person_id)
            ).scalars()
        )
    events = [
        new_event(
            "PersonIndexed",
            {"person_id": pid, "role": "victim", "terms": {"exact": f"test-{pid}"}},
            aggregate_id=pid,
            agency="tvp",
            actor="test",
        )
        for pid in dict.fromkeys(person_ids)
        if pid not in present
    ]
    if events:
        api.platform.record(events)


def ids_in(request: dict) -> list[str]:
    people = [request.get("suspect") or {}, *request.get("victims", [])]
    return [p["person_id"] for p in people if p.get("person_id")]


def record(api, request: dict) -> dict:
    known_persons(api, *ids_in(request))
    response = api.client.post("/api/matac/incidents", json=request, headers=police(api))
    assert response.status_code == 201, response.text
    return response.json()


def record_scenario(api) -> dict[str, str]:
    """Record every incident through the API; returns B's and B's victim's matched ids."""
    results = {r["incident_id"]: r for r in (record(api, b) for b in FIRST_BATCH)}
    api.settle()  # the person index now knows B and B's victim
    results.update({r["incident_id"]: r for r in (record(api, b) for b in SECOND_BATCH)})
    api.settle()
    return {
        "B": results["INC-B1"]["suspect_person_id"],
        "B_victim": results["INC-B1"]["victim_person_ids"][0],
        "results": results,
    }


def domain_perpetrators(b: str, b_victim: str) -> list[Perpetrator]:
    """The same people as the domain's plain data, built by hand."""

    def incident(incident_id, on, categories, victims, area="oxford"):
        return Incident(
            incident_id, date.fromisoformat(on), area, bool(categories), tuple(categories), victims
        )

    return [
        Perpetrator(
            A,
            (
                incident("INC-A1", "2026-02-20", ["abh"], ("p-v1",)),
                incident("INC-A2", "2025-12-10", ["coercive_control"], ("p-v1",)),
                incident("INC-A3", "2025-06-01", ["common_assault", "criminal_damage"], ("p-v2",)),
            ),
            age=34,
        ),
        Perpetrator(
            b,
            (
                incident("INC-B1", "2025-11-15", ["stalking"], (b_victim,)),
                incident("INC-B2", "2025-10-01", ["harassment"], (b_victim,)),
            ),
            age=35,
        ),
        Perpetrator(C, (incident("INC-C1", "2026-02-27", [], ("p-v4",)),), age=22),
        Perpetrator(D, (incident("INC-D1", "2026-01-10", ["rape"], ("p-v5",)),), age=15),
        Perpetrator(E, (incident("INC-E1", "2024-09-01", ["criminal_damage"], ("p-v6",)),), age=40),
        Perpetrator(
            F,
            (incident("INC-F1", "2026-02-01", ["threats_to_kill"], ("p-v7",), area="reading"),),
            age=30,
        ),
    ]


def dump(platform) -> dict[str, list[tuple]]:
    """Every MATAC row, sorted: two read models are identical iff their dumps are equal."""
    from sqlalchemy import select

    from projections.matac import TABLES

    with platform.engine.connect() as conn:
        return {
            t.name: sorted(tuple(str(v) for v in r) for r in conn.execute(select(t)).all())
            for t in TABLES
        }
