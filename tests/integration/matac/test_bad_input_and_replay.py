"""Bad input is refused with nothing published; bad events on the topic are dead-lettered;
a broken policy file is a clear error; a replay rebuilds the same ranking."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from projections.matac import matac_incidents
from projections.sharing import person_terms
from services.kernel.bus import end_offsets, read_dead_letters
from services.kernel.events import new_event
from services.matac.config import matac_policy
from services.matac.handlers import projection as matac_projection
from services.matac.policy import PolicyError, load_policy
from tests.integration.matac.scenario import (
    FIRST_BATCH,
    A,
    body,
    dump,
    police,
    record,
    record_scenario,
)

pytestmark = pytest.mark.integration

STREAMS = ("police.incidents", "persons", "matac.perpetrators")


def positions(api) -> dict:
    api.relay.drain()  # whatever was stored is on the topics
    topics = [api.platform.topics.topic(s) for s in STREAMS]
    return end_offsets(api.platform.bootstrap, topics)


def count(api, table) -> int:
    with api.platform.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def post(api, request: dict, headers=None):
    return api.client.post("/api/matac/incidents", json=request, headers=headers or police(api))


NAMED_SUSPECT = {"name": "Mark Jones", "date_of_birth": "1990-05-17"}
NAMED_VICTIM = {"name": "Kerry Jones", "date_of_birth": "1992-09-30"}


@pytest.mark.parametrize(
    ("request_body", "location", "message"),
    [
        (
            {k: v for k, v in body("I-1", "2026-02-01", ["abh"], {}, []).items() if k != "suspect"}
            | {"victims": [NAMED_VICTIM]},
            ["body", "suspect"],
            "Field required",
        ),
        (
            body("I-2", "2026-03-03", ["abh"], NAMED_SUSPECT, [NAMED_VICTIM]),
            ["body", "occurred_on"],
            "2026-03-03 is after today (2026-03-02)",
        ),
        (
            body("I-3", "2026-02-01", ["abh", "burglary"], NAMED_SUSPECT, [NAMED_VICTIM]),
            ["body", "offence_categories", 1],
            "unknown offence category 'burglary'",
        ),
        (
            body("I-4", "2026-02-01", ["abh"], {"name": "Mark Jones"}, [NAMED_VICTIM]),
            ["body", "suspect"],
            "give the suspect's person_id, or their name and date_of_birth",
        ),
        (
            body("I-5", "2026-02-01", ["abh"], NAMED_SUSPECT, [NAMED_SUSPECT]),
            ["body", "victims", 0],
            "has the suspect's name and date of birth",
        ),
    ],
    ids=["no-suspect", "future-date", "unknown-category", "unidentified-suspect", "same-person"],
)
def test_bad_incidents_are_refused_and_nothing_is_published(matac, request_body, location, message):
    before = positions(matac)

    response = post(matac, request_body)

    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == location
    assert message in problem["msg"]
    assert positions(matac) == before  # no person index terms, no incident
    matac.settle()
    assert count(matac, matac_incidents) == 0
    assert count(matac, person_terms) == 0


def test_only_police_analysts_record_incidents_and_an_incident_counts_once(matac):
    request = FIRST_BATCH[0]
    for headers in (
        matac.headers("housing-oxford", "agency_contact"),
        matac.headers("marac-coord", "analyst"),
        matac.headers("tvp", "coordinator"),
    ):
        assert post(matac, request, headers).status_code == 403
    record(matac, request)
    matac.settle()
    before = positions(matac)

    again = post(matac, request)

    assert again.status_code == 409
    assert again.json()["detail"]["rule"] == "incident_already_recorded"
    assert positions(matac) == before


def test_bad_incidents_arriving_on_the_topic_are_dead_lettered(matac):
    platform = matac.platform

    def incident(incident_id: str, suspect: str, categories: list[str]):
        return new_event(
            "IncidentRecorded",
            {
                "incident_id": incident_id,
                "occurred_on": dt.date(2026, 2, 1),
                "policing_area": "oxford",
                "is_crime": True,
                "offence_categories": categories,
                "suspect_person_id": suspect,
                "suspect_age": 30,
                "victim_person_ids": ["p-v1"],
            },
            aggregate_id=suspect or "unknown",
            agency="tvp",
            actor="feed",
        )

    platform.publisher.publish(
        [
            incident("RAW-1", "p-x", ["burglary"]),  # not in the harm table
            incident("RAW-2", "", ["abh"]),  # no suspect
            incident("RAW-3", "p-y", ["abh"]),  # fine
        ]
    )
    matac.settle()

    letters = [
        letter
        for letter, _ in read_dead_letters(
            platform.bootstrap, platform.topics.dead_letter("police.incidents")
        )
        if letter.consumer == "matac"
    ]
    reasons = sorted(letter.reason.split("EventRejected: ")[-1] for letter in letters)
    assert len(reasons) == 2
    assert reasons[0].startswith("incident RAW-1: unknown offence category 'burglary'; ")
    assert reasons[1] == "incident RAW-2: no suspect person id"
    with platform.engine.connect() as conn:
        stored = conn.execute(select(matac_incidents.c.incident_id)).scalars().all()
    assert stored == ["RAW-3"]


def _policy_file(folder: Path, change) -> Path:
    data = yaml.safe_load(Path(load_policy().source).read_text())
    change(data)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "matac.yaml").write_text(yaml.safe_dump(data))
    return folder


def _overlapping(data):
    data["recency_bands"][1]["max_months"] = 1  # same as the band before: overlap


def _negative(data):
    data["weights"]["gravity"] = -2


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_overlapping, "recency_bands[1].max_months: 1 must be greater than the previous"),
        (_negative, "weights.gravity: must not be negative, got -2"),
    ],
    ids=["overlapping-bands", "negative-weight"],
)
def test_a_broken_policy_file_is_a_clear_error_and_nothing_is_applied(
    matac, tmp_path, change, named
):
    folder = _policy_file(tmp_path / "policy", change)
    matac.platform.settings = matac.platform.settings.with_overrides(policy_dir=folder)
    before = positions(matac)

    response = post(matac, FIRST_BATCH[0])

    assert response.status_code == 503
    assert named in response.json()["detail"]
    assert str(folder / "matac.yaml") in response.json()["detail"]
    assert positions(matac) == before
    ranking = matac.client.get("/api/matac/rankings", headers=police(matac))
    assert ranking.status_code == 503
    with pytest.raises(PolicyError, match=re.escape(named)):
        matac_projection(policy_dir=folder)


def test_a_partnership_policy_applies_at_intake_and_in_the_projector(matac, tmp_path):
    def add_category(data):
        data["harm_points"]["intimate_image_abuse"] = 7

    folder = _policy_file(tmp_path / "policy", add_category)
    matac.platform.settings = matac.platform.settings.with_overrides(policy_dir=folder)
    matac.platform.projections["matac"] = matac_projection(policy_dir=folder)
    assert "intimate_image_abuse" in matac_policy(folder).harm_points

    record(
        matac,
        body(
            "INC-X1",
            "2026-02-20",
            ["intimate_image_abuse"],
            {"person_id": A, "age": 34},
            [{"person_id": "p-v1"}],
        ),
    )
    matac.settle()

    row = matac.client.get("/api/matac/rankings", headers=police(matac)).json()["rows"][0]
    # R 5, F 1, harm 7 -> G 3: 5 + 1 + 6 = 12.
    assert (row["person_id"], row["score"], row["total_harm"]) == (A, 12.0, 7.0)


def test_replay_rebuilds_the_same_read_model_and_ranking(matac):
    ids = record_scenario(matac)
    matac.client.post(
        "/api/matac/nominations",
        json={"person_id": "p-e", "reason": "Escalating threats reported to housing."},
        headers=matac.headers("housing-oxford", "agency_contact"),
    ).raise_for_status()
    matac.client.post(
        "/api/matac/cohort", json={"person_id": ids["B"]}, headers=police(matac)
    ).raise_for_status()
    matac.client.post(
        "/api/matac/perpetrators/p-c/status", json={"status": "custody"}, headers=police(matac)
    ).raise_for_status()
    matac.settle()

    def read() -> tuple[dict, dict]:
        ranking = matac.client.get("/api/matac/rankings", headers=police(matac))
        cohort = matac.client.get("/api/matac/cohort", headers=police(matac))
        return ranking.json(), cohort.json()

    before, tables = read(), dump(matac.platform)
    assert [r["person_id"] for r in before[0]["rows"]] == [A, ids["B"], "p-e", "p-f"]

    projector = matac.projectors["matac"]
    projector.reset()
    assert count(matac, matac_incidents) == 0
    assert read()[0]["rows"] == []
    projector.catch_up(timeout=60)

    assert dump(matac.platform) == tables
    assert read() == before


def test_a_person_id_tandem_never_issued_is_refused_not_made_a_phantom(api):
    """The incident example once named an id that existed nowhere: it made a new 'victim'
    who counted towards the suspect's victims (and so 'serial')."""
    analyst = api.headers("tvp", "analyst")
    incident = {
        "incident_id": "TVP-PHANTOM-1",
        "occurred_on": "2026-01-10",
        "policing_area": "oxford",
        "is_crime": True,
        "offence_categories": ["abh"],
        "suspect": {"name": "Darren Price", "date_of_birth": "1991-08-14"},
        "victims": [{"person_id": "p-1c9e0a7d2b44"}],
    }
    response = api.client.post("/api/matac/incidents", json=incident, headers=analyst)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "victims", 0, "person_id"]

    incident["victims"] = [{"name": "Kerry Price", "date_of_birth": "1993-02-01"}]
    accepted = api.client.post("/api/matac/incidents", json=incident, headers=analyst)
    assert accepted.status_code == 201, accepted.text
    victim_id = accepted.json()["victim_person_ids"][0]

    again = incident | {
        "incident_id": "TVP-PHANTOM-2",
        "suspect": {"person_id": "p-000000000000", "age": 34},
        "victims": [{"person_id": victim_id}],
    }
    response = api.client.post("/api/matac/incidents", json=again, headers=analyst)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "suspect", "person_id"]

    nomination = {"person_id": "p-000000000000", "area": "oxford", "reason": "Known to IDVA"}
    response = api.client.post(
        "/api/matac/nominations", json=nomination, headers=api.headers("idva-oxon", "referrer")
    )
    assert response.status_code == 422, response.text
