"""Search by name, date of birth or reference, through the real API, broker and databases.

Each role finds the records of its own partnership purpose and only those its agency is a
party to under the agreement: the MAPPA coordinator (probation) finds the nominal, the MARAC
coordination team, even with the MAPPA coordinator role, finds nothing of MAPPA. Names are
looked up by keyed blind index, shown under the agreement, and every name shown is audited.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from projections.sharing import access_log
from tests.integration.mappa.helpers import register, set_today
from tests.integration.marac.referral_data import referral
from tests.integration.matac.scenario import body

pytestmark = pytest.mark.integration

COORDINATOR = ("marac-coord", "coordinator")
ANALYST = ("tvp", "analyst")
MAPPA = ("probation-tv", "mappa_coordinator")
NOT_MAPPA = ("marac-coord", "mappa_coordinator")  # the role, but no MAPPA party


def _search(api, who, **params):
    return api.client.get("/api/search", params=params, headers=api.headers(*who))


def _found(api, who, **params) -> list[dict]:
    response = _search(api, who, **params)
    assert response.status_code == 200, response.text
    return response.json()["hits"]


@pytest.fixture
def world(api):
    """One person, Mark Jones born 19 July 1984, in a MARAC case (as perpetrator), in a MATAC
    incident and registered as a MAPPA nominal; and the case's victim."""
    set_today(api, dt.date(2026, 3, 1))
    case = api.client.post(
        "/api/marac/referrals",
        json=referral(
            victim="Jane Smith",
            victim_dob="1990-02-03",
            perpetrator="Mark Jones",
            perpetrator_dob="1984-07-19",
            referral_date="2026-02-20",
        ),
        headers=api.headers("idva-oxon", "referrer"),
    )
    assert case.status_code == 201, case.text
    incident = api.client.post(
        "/api/matac/incidents",
        json=body(
            "INC-S1",
            "2026-02-10",
            ["abh"],
            {"name": "Mark Jones", "date_of_birth": "1984-07-19"},
            [{"name": "Jane Smith", "date_of_birth": "1990-02-03"}],
        ),
        headers=api.headers(*ANALYST),
    )
    assert incident.status_code == 201, incident.text
    nominal_id = register(api, registered_on="2026-01-12", confirmed_not_duplicate=False)
    api.settle()
    return {
        "case_id": case.json()["case_id"],
        "case_reference": case.json()["case_reference"],
        "referral_id": case.json()["referral_id"],
        "referral_reference": case.json()["reference"],
        "person_id": incident.json()["suspect_person_id"],
        "nominal_id": nominal_id,
    }


def test_each_role_finds_its_own_records_by_name_and_date_of_birth(api, world):
    who = {"name": "MARK JONES", "date_of_birth": "1984-07-19"}

    marac = _found(api, COORDINATOR, **who)
    matac = _found(api, ANALYST, **who)
    mappa = _found(api, MAPPA, **who)

    case = next(h for h in marac if h["kind"] == "marac_case")
    assert case["id"] == world["case_id"]
    assert (case["match"], case["role_in_case"]) == ("exact", "perpetrator")
    assert case["name"]["status"] == "shown" and case["name"]["value"] == "Mark Jones"
    assert case["page"] == f"/marac/cases/{world['case_id']}"
    assert {h["kind"] for h in marac} == {"marac_case", "matac_perpetrator"}

    assert [(h["kind"], h["id"], h["match"]) for h in matac] == [
        ("matac_perpetrator", world["person_id"], "exact")
    ]
    assert matac[0]["name"]["value"] == "Mark Jones"

    assert [(h["kind"], h["id"], h["match"]) for h in mappa] == [
        ("mappa_nominal", world["nominal_id"], "exact")
    ]
    assert mappa[0]["name"]["value"] == "Mark Jones"
    assert mappa[0]["page"] == f"/mappa/nominals/{world['nominal_id']}"


def test_an_agency_that_is_no_mappa_party_finds_nothing_of_mappa(api, world):
    refused = _search(api, NOT_MAPPA, name="Mark Jones", date_of_birth="1984-07-19")
    assert refused.status_code == 200
    assert refused.json()["searched"] == []
    assert refused.json()["hits"] == []
    assert _found(api, NOT_MAPPA, reference=world["nominal_id"]) == []
    assert _found(api, COORDINATOR, reference=world["nominal_id"]) == []
    # a referrer may not search at all
    assert _search(api, ("idva-oxon", "referrer"), name="Mark Jones").status_code == 403


def test_near_matches_name_alone_and_references(api, world):
    near = _found(api, MAPPA, name="M. Jones", date_of_birth="1984-07-19")
    assert [(h["id"], h["match"]) for h in near] == [(world["nominal_id"], "near")]
    by_name = _found(api, COORDINATOR, name="Jane Smith")
    cases = [h for h in by_name if h["kind"] == "marac_case"]
    assert [(h["id"], h["match"], h["role_in_case"]) for h in cases] == [
        (world["case_id"], "name", "victim")
    ]
    assert _found(api, COORDINATOR, name="Jane Smith", date_of_birth="1991-01-01") == []

    human = (world["case_reference"], f" {world['referral_reference'].lower()} ")
    assert re.fullmatch(r"OX-2026-\d{4}", world["case_reference"])
    for reference in (world["case_id"], world["referral_id"], *human):
        hits = _found(api, COORDINATOR, reference=reference)
        assert [(h["id"], h["match"], h["role_in_case"]) for h in hits] == [
            (world["case_id"], "reference", "victim")
        ]
    assert [h["id"] for h in _found(api, ANALYST, reference=world["person_id"])] == [
        world["person_id"]
    ]
    nominal = api.client.get(
        f"/api/mappa/nominals/{world['nominal_id']}", headers=api.headers(*MAPPA)
    ).json()
    for reference in (world["nominal_id"], nominal["reference"], "02/0431123K", "vis-0042117"):
        assert [h["id"] for h in _found(api, MAPPA, reference=reference)] == [world["nominal_id"]]
    assert _found(api, MAPPA, reference="nothing-like-it") == []


def test_every_name_shown_is_audited_under_the_search_route(api, world):
    _found(api, MAPPA, name="Mark Jones", date_of_birth="1984-07-19")
    api.settle()
    with api.platform.engine.connect() as conn:
        rows = conn.execute(select(access_log).where(access_log.c.route == "GET /api/search")).all()
    assert [(r.subject_id, r.agency, r.data_classes) for r in rows] == [
        (world["nominal_id"], "probation-tv", ["mappa.identity"])
    ]


def test_bad_searches_name_the_field(api):
    assert _search(api, MAPPA).status_code == 422
    assert _search(api, MAPPA, date_of_birth="1984-07-19").status_code == 422
    bad = _search(api, MAPPA, name="Mark", date_of_birth="19/07/1984")
    assert bad.status_code == 422


def test_a_party_the_agreement_denies_the_identity_finds_the_nominal_with_the_name_withheld(
    api, world, tmp_path
):
    import shutil

    from services.sharing.service import AgreementCatalogue

    agreements = tmp_path / "agreements"
    shutil.copytree(api.platform.settings.agreements_dir, agreements)
    v2 = (agreements / "thames-valley-da-isa" / "v2.yaml").read_text()
    start = v2.index("  - agency: prisons-tv")
    end = v2.find("  - agency:", start + 10)
    end = len(v2) if end < 0 else end
    block = v2[start:end].replace(
        "      mappa: *responsible_authority_mappa\n", "      mappa:\n        - mappa.offence\n"
    )
    assert block != v2[start:end]
    v3 = (v2[:start] + block + v2[end:]).replace("\nversion: 2\n", "\nversion: 3\n")
    v3 = v3.replace("effective_from: 2025-04-01", "effective_from: 2026-03-01")
    (agreements / "thames-valley-da-isa" / "v3.yaml").write_text(v3)
    api.platform.sharing.agreements = AgreementCatalogue(agreements)

    hits = _found(api, ("prisons-tv", "mappa_coordinator"), reference="02/0431123K")

    assert [h["id"] for h in hits] == [world["nominal_id"]]
    assert hits[0]["name"]["status"] == "withheld"
    assert "thames-valley-da-isa v3" in hits[0]["name"]["reason"]
    assert "Mark" not in str(hits[0])
