"""What each party reads of a nominal under the ISA for "mappa", and the minutes rule.

thames-valley-da-isa v2, purpose mappa: tvp, probation-tv, prisons-tv and mappa-coord read
every class; housing reads mappa.address_risk only; health reads mappa.identity only;
idva services are not party to MAPPA at all, so they get no record (see test_reach.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.mappa.helpers import (
    LEVEL_2_REASON,
    category,
    level,
    read,
    register,
    review,
    set_today,
    shown,
    withheld,
)

pytestmark = pytest.mark.integration

ISA = "withheld under thames-valley-da-isa v2"
MINUTES = "Compliant with licence; exclusion zone kept; level 2 continues"


@pytest.fixture
def nominal(api) -> str:
    set_today(api, dt.date(2026, 5, 20))
    nominal_id = register(api)
    category(api, nominal_id, 2, "2026-01-12")
    level(api, nominal_id, 2, "2026-01-19")
    api.settle()
    return nominal_id


def access_log(api, nominal_id: str) -> list[dict]:
    api.settle()
    response = api.client.get(
        "/api/audit/access",
        params={"subject_id": nominal_id},
        headers=api.headers("mappa-coord", "dpo"),
    )
    assert response.status_code == 200, response.text
    return response.json()["accesses"]


def test_probation_sees_everything(api, nominal):
    record = read(api, nominal, "probation-tv", "mappa_coordinator")

    assert record["identity"] == {
        "name": shown("mappa.identity", "Mark Jones"),
        "aliases": [shown("mappa.identity", "Marky Jones")],
        "date_of_birth": shown("mappa.identity", "1984-07-19"),
        "visor_reference": shown("mappa.identity", "VIS-0042117"),
        "pnc_id": shown("mappa.identity", "02/0431123K"),
        "probation_reference": shown("mappa.identity", "TV-2026-00871"),
    }
    assert record["offence"] == {
        "index_offence": shown("mappa.offence", "Wounding with intent against ex-partner"),
        "sentence": shown("mappa.offence", "6 years' imprisonment"),
        "sentence_date": "2021-03-04",
        "release_date": "2026-01-09",
        "licence_end_date": "2027-03-03",
    }
    assert record["address"] == {
        "address": shown(
            "mappa.address_risk", "Approved premises, 1 Example Road, Reading RG1 1AA"
        ),
        "address_risk": shown(
            "mappa.address_risk", "Must not live within 1 mile of the victim in Caversham"
        ),
    }
    assert record["risk_management_plan"] == shown(
        "mappa.minutes", "Exclusion zone; weekly probation appointments"
    )
    assert record["level_history"][0]["reason"] == shown("mappa.minutes", LEVEL_2_REASON)
    assert record["rosh_level"] == "high"
    assert "enc:v1:" not in str(record)


def test_housing_sees_the_fact_of_management_and_the_address_risk_only(api, nominal):
    record = read(api, nominal, "housing-oxford")

    # The fact of MAPPA management (structure) ...
    assert (record["status"], record["category"], record["level"]) == ("managed", 2, 2)
    assert record["lead_agency"] == "probation-tv"
    # ... and the address-related risk ...
    assert record["address"]["address_risk"] == shown(
        "mappa.address_risk", "Must not live within 1 mile of the victim in Caversham"
    )
    # ... but not who the nominal is, nor the index offence, nor minutes.
    identity_reason = f"{ISA}: housing-oxford may not read mappa.identity for mappa"
    assert record["identity"]["name"] == withheld("mappa.identity", identity_reason)
    assert record["identity"]["date_of_birth"] == withheld("mappa.identity", identity_reason)
    assert record["identity"]["aliases"] == [withheld("mappa.identity", identity_reason)]
    assert record["offence"]["index_offence"] == withheld(
        "mappa.offence", f"{ISA}: housing-oxford may not read mappa.offence for mappa"
    )
    assert record["level_history"][0]["reason"] == withheld(
        "mappa.minutes", f"{ISA}: housing-oxford may not read mappa.minutes for mappa"
    )
    assert "Mark Jones" not in str(record)
    assert "Wounding" not in str(record)

    # The read is audited with exactly what was shown.
    housing_reads = [a for a in access_log(api, nominal) if a["agency"] == "housing-oxford"]
    assert [(a["data_classes"], a["purpose"], a["agreement_version"]) for a in housing_reads] == [
        (["mappa.address_risk"], "mappa", 2)
    ]


def test_health_sees_identity_but_not_address(api, nominal):
    health = read(api, nominal, "health-ouh")

    assert health["identity"]["name"] == shown("mappa.identity", "Mark Jones")
    assert health["address"]["address"]["status"] == "withheld"
    # IDVA services are no MAPPA party: they get no record at all (test_reach.py).


def test_minutes_are_shown_only_to_agencies_that_attended(api, nominal):
    review(
        api,
        nominal,
        "2026-05-11",
        outcome=MINUTES,
        attended_agencies=["tvp", "probation-tv", "housing-oxford"],
    )
    api.settle()

    def outcome(agency: str) -> dict:
        (entry,) = read(api, nominal, agency)["reviews"]
        assert entry["attended_agencies"] == ["tvp", "probation-tv", "housing-oxford"]
        return entry["outcome"]

    assert outcome("tvp") == shown("mappa.minutes", MINUTES)
    assert outcome("probation-tv") == shown("mappa.minutes", MINUTES)
    # The MAPPA coordination unit keeps the minutes for the chair.
    assert outcome("mappa-coord") == shown("mappa.minutes", MINUTES)
    # Responsible Authority, may read minutes under the ISA, but was not there.
    assert outcome("prisons-tv") == withheld(
        "mappa.minutes",
        "withheld: prisons-tv did not attend this review (MAPPA minutes are shared only with "
        "the agencies that attended; onward sharing needs the chair's approval)",
    )
    # Attended, but the ISA gives housing no minutes: the agreement's reason.
    assert outcome("housing-oxford") == withheld(
        "mappa.minutes", f"{ISA}: housing-oxford may not read mappa.minutes for mappa"
    )
    # prisons-tv still reads the level reason: the attendance rule is for review minutes.
    prisons = read(api, nominal, "prisons-tv")
    assert prisons["level_history"][0]["reason"] == shown("mappa.minutes", LEVEL_2_REASON)
    assert MINUTES not in str(prisons)


def test_the_recording_agency_reads_its_own_minutes(api, nominal):
    review(api, nominal, "2026-05-11", outcome=MINUTES, attended_agencies=["tvp"])
    api.settle()

    (own,) = read(api, nominal, "probation-tv")["reviews"]
    (other,) = read(api, nominal, "prisons-tv")["reviews"]

    assert own["outcome"] == shown("mappa.minutes", MINUTES)
    assert own["recorded_by"] == "probation-tv"
    assert other["outcome"]["status"] == "withheld"


def test_erased_nominal_reads_as_erased(api, nominal):
    response = api.client.post(
        "/api/sharing/erasures",
        json={"subject_id": nominal, "reason": "Right to erasure request ref DPO-2026-114"},
        headers=api.headers("mappa-coord", "dpo"),
    )
    assert response.status_code == 201, response.text
    api.settle()

    record = read(api, nominal, "probation-tv")

    assert record["identity"]["name"]["status"] == "erased"
    assert record["level"] == 2  # structure survives crypto-shredding
