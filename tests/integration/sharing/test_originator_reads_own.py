"""A referrer can read back what it submitted (the ISA's `originator_reads_own`), on both
databases: exactly its own event's fields, audited like any read, never another agency's."""

from __future__ import annotations

import datetime as dt

import pytest

from services.marac import queries
from services.sharing.records import to_jsonable
from services.sharing.service import Caller
from tests.integration.marac.referral_data import referral
from tests.integration.sharing.test_encryption import submit

pytestmark = pytest.mark.integration

IDVA = ("idva-oxon", "referrer")
HOUSING = ("housing-oxford", "referrer")
POLICE = ("tvp", "referrer")
ISA = "withheld under thames-valley-da-isa v2"


def _read_own(api, who, referral_id: str) -> dict:
    response = api.client.get(f"/api/marac/referrals/{referral_id}", headers=api.headers(*who))
    assert response.status_code == 200, response.text
    return response.json()["detail"]


def _reveal(api, agency: str, referral_id: str) -> dict:
    with api.platform.engine.connect() as conn:
        row = queries.referral(conn, referral_id)
    caller = Caller(user="u", agency=agency, role="referrer")
    revealed = api.platform.sharing.reveal(
        caller, "marac", "ReferralSubmitted", row["event_id"], row["payload"]
    )
    return to_jsonable(revealed.payload)


def _accesses(api, subject_id: str) -> list[dict]:
    api.settle()
    response = api.client.get(
        "/api/audit/access",
        params={"subject_id": subject_id},
        headers=api.headers("marac-coord", "dpo"),
    )
    assert response.status_code == 200, response.text
    return response.json()["accesses"]


def test_an_idva_reads_back_the_perpetrator_address_she_typed_but_not_the_polices(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    own = submit(api, referral(), who=IDVA)
    police_body = referral()
    police_body["perpetrators"][0]["address"] = "9 Marston Street, Oxford"
    theirs = submit(api, police_body, who=POLICE)
    api.settle()
    perpetrator_id = own["perpetrators"][0]["person_id"]
    assert theirs["perpetrators"][0]["person_id"] == perpetrator_id  # the same person

    mine = _read_own(api, IDVA, own["referral_id"])
    assert mine["perpetrators"][0]["address"] == {
        "status": "shown",
        "data_class": "perpetrator.contact",
        "value": "4 Iffley Road, Oxford",
    }
    # the police's later record in the same class about the same person stays withheld
    police = _reveal(api, "idva-oxon", theirs["referral_id"])
    assert police["perpetrators"][0]["address"] == {
        "status": "withheld",
        "data_class": "perpetrator.contact",
        "reason": f"{ISA}: idva-oxon may not read perpetrator.contact for marac",
    }

    # the read-back is audited like any other read, under the agreement that allows it
    reads = [
        a
        for a in _accesses(api, perpetrator_id)
        if a["agency"] == "idva-oxon" and a["route"].startswith("GET /api/marac/referrals/")
    ]
    assert reads and "perpetrator.contact" in reads[0]["data_classes"]
    assert (reads[0]["agreement_id"], reads[0]["agreement_version"]) == (
        "thames-valley-da-isa",
        2,
    )


def test_housing_reads_back_the_gender_and_health_it_entered(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    own = submit(api, referral(), who=HOUSING)
    idva = submit(api, referral(), who=IDVA)
    api.settle()

    victim = _read_own(api, HOUSING, own["referral_id"])["victim"]
    assert victim["gender"] == {
        "status": "shown",
        "data_class": "victim.demographics",
        "value": "female",
    }
    assert victim["health_notes"]["status"] == "shown"
    assert victim["health_notes"]["value"].startswith("Anxiety")

    # the IDVA's referral about the same victim: housing's grants apply
    other = _reveal(api, "housing-oxford", idva["referral_id"])["victim"]
    assert other["health_notes"]["status"] == "withheld"
    assert other["health_notes"]["reason"] == (
        f"{ISA}: housing-oxford may not read victim.health for marac"
    )
    assert other["gender"]["status"] == "withheld"
