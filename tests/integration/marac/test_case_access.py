"""An action's owner can see its case, as the ISA lets its agency see it; others get 404.

Real broker, both databases: an IDVA refers, the chair records an action for housing, and
housing reads the case (victim contact and address shown; health, equality details and the
perpetrator's address withheld with the agreement's reason), audited like any read.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration

IDVA = ("idva-oxon", "referrer")
HOUSING = ("housing-oxford", "referrer")
HEALTH = ("health-ouh", "agency_contact")
COORDINATOR = ("marac-coord", "coordinator")
ISA = "withheld under thames-valley-da-isa v2"


def _case(api, case_id: str, who):
    return api.client.get(f"/api/marac/cases/{case_id}", headers=api.headers(*who))


def _refer_and_assign(api) -> tuple[dict, dict]:
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = api.client.post("/api/marac/referrals", json=referral(), headers=api.headers(*IDVA))
    assert case.status_code == 201, case.text
    case = case.json()
    api.settle()
    assert _case(api, case["case_id"], HOUSING).status_code == 404  # no action yet
    action = api.client.post(
        "/api/marac/actions",
        json={
            "case_id": case["case_id"],
            "owner_agency": "housing-oxford",
            "description": "Fit a lock change and a sanctuary scheme",
            "due_date": "2026-12-04",
        },
        headers=api.headers(*COORDINATOR),
    )
    assert action.status_code == 201, action.text
    api.settle()
    return case, action.json()


def test_housing_sees_the_case_of_its_action_as_the_agreement_gives_it(api):
    case, action = _refer_and_assign(api)

    response = _case(api, case["case_id"], HOUSING)
    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["case_id"], view["marac_area"], view["referring_agency"]) == (
        case["case_id"],
        "oxford",
        "idva-oxon",
    )
    assert [a["action_id"] for a in view["actions"]] == [action["action_id"]]
    victim = view["detail"]["victim"]
    assert victim["name"]["value"] == "Jane Smith"
    assert victim["phone"] == {
        "status": "shown",
        "data_class": "victim.contact",
        "value": "07700 900123",
    }
    assert victim["address"]["value"] == "12 Cowley Road, Oxford OX4 1AA"
    for value, data_class in (
        (victim["health_notes"], "victim.health"),
        (victim["gender"], "victim.demographics"),
        (view["detail"]["perpetrators"][0]["address"], "perpetrator.contact"),
    ):
        assert value == {
            "status": "withheld",
            "data_class": data_class,
            "reason": f"{ISA}: housing-oxford may not read {data_class} for marac",
        }
    assert "Anxiety" not in response.text and "4 Iffley Road" not in response.text

    # the read is audited against the victim, with the route it came through
    api.settle()
    trail = api.client.get(
        "/api/audit/access",
        params={"subject_id": case["victim"]["person_id"]},
        headers=api.headers("marac-coord", "dpo"),
    ).json()["accesses"]
    reads = [a for a in trail if a["route"] == f"GET /api/marac/cases/{case['case_id']}"]
    assert [a["agency"] for a in reads] == ["housing-oxford"]
    assert "victim.health" not in reads[0]["data_classes"]
    assert "victim.address" in reads[0]["data_classes"]


def test_an_agency_with_no_action_on_the_case_still_gets_404(api):
    case, _ = _refer_and_assign(api)
    for who in (HEALTH, ("housing-cherwell", "referrer")):
        response = _case(api, case["case_id"], who)
        assert response.status_code == 404, who
        assert "Jane Smith" not in response.text
    assert _case(api, "c-0000000000", COORDINATOR).status_code == 404
    # the referrer and the coordinator see it (the coordinator every agency's actions)
    assert _case(api, case["case_id"], IDVA).status_code == 200
    chair = _case(api, case["case_id"], COORDINATOR).json()
    assert [a["owner_agency"] for a in chair["actions"]] == ["housing-oxford"]
