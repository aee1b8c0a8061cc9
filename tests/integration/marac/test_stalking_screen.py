"""The stalking screen on a referral: API -> ReferralSubmitted v3 -> read model -> agenda.

A DASH stalking "yes" calls for the 11 screening questions. Their answers travel encrypted,
classified as the DASH answers are: the ones about the perpetrator's own history under
offending.detail, the rest under risk.narrative, so the agenda shows each agency what the
agreement lets it read.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from services.marac import queries
from services.marac.domain.working_days import add_working_days
from tests.integration.marac.referral_data import referral
from tests.integration.marac.test_journeys import IDVA, published, refer, schedule
from tests.integration.sharing.test_encryption import raw_bytes_of_every_topic

pytestmark = pytest.mark.integration

SCREEN = {
    "very_frightened": "yes",
    "previous_harassment": "yes",
    "property_damaged": "no",
    "visits_often": "yes",
    "loitering": "yes",
    "threats_of_violence": "not_known",
    "third_parties_harassed": "no",
    "violent_to_others": "no",
    "others_engaged": "no",
    "substance_misuse": "yes",
    "violent_in_past": "not_known",
}
OFFENDING = {"previous_harassment", "violent_to_others", "substance_misuse", "violent_in_past"}


def test_the_screen_is_published_encrypted_by_class_and_shown_per_agency(api):
    today = dt.date.today()
    api.platform.today = lambda: today
    body = referral(yes=16)  # the first 16 include stalking_or_harassment
    body["stalking_screen"] = {"answers": SCREEN}
    case = refer(api, body)
    assert case["stalking_screen_needed"] is True
    api.settle()

    with api.platform.engine.connect() as conn:
        row = queries.referral(conn, case["referral_id"])
    assert (
        api.platform.codec.catalogue.latest("ReferralSubmitted").version >= 3
    )  # the screen since v3
    assert row["payload"]["stalking_screen"] and row["payload"]["stalking_screen_offending"]
    stored = json.dumps(row["payload"])
    assert "loitering" not in stored and "substance_misuse" not in stored  # tokens only
    assert b"loitering" not in raw_bytes_of_every_topic(api)

    detail = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*IDVA)
    ).json()["detail"]
    general = json.loads(detail["stalking_screen"]["value"])
    offending = json.loads(detail["stalking_screen_offending"]["value"])
    assert detail["stalking_screen"]["data_class"] == "risk.narrative"
    assert detail["stalking_screen_offending"]["data_class"] == "offending.detail"
    assert general | offending == SCREEN
    assert set(offending) == OFFENDING

    meeting = schedule(api, add_working_days(today, 10))

    def screen_as(agency: str) -> dict:
        response = api.client.get(
            f"/api/marac/meetings/{meeting['meeting_id']}/agenda",
            headers=api.headers(agency, "agency_contact"),
        )
        assert response.status_code == 200, response.text
        (listed,) = [c for c in response.json()["cases"] if c["case_id"] == case["case_id"]]
        return listed["stalking_screen"]

    police = screen_as("tvp")
    assert police["answers"] == SCREEN and police["withheld"] == []
    assert list(police["answers"]) == list(SCREEN)  # in question order

    housing = screen_as("housing-oxford")
    assert housing["answers"] == {k: v for k, v in SCREEN.items() if k not in OFFENDING}
    (withheld,) = housing["withheld"]
    assert withheld["status"] == "withheld"
    assert withheld["reason"].endswith("housing-oxford may not read offending.detail for marac")


def test_a_referral_without_the_screen_lists_none(api):
    today = dt.date.today()
    api.platform.today = lambda: today
    case = refer(api, referral(yes=15))
    api.settle()
    detail = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*IDVA)
    ).json()["detail"]
    assert detail["stalking_screen"] is None
    meeting = schedule(api, add_working_days(today, 10))
    agenda = api.client.get(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda", headers=api.headers(*IDVA)
    ).json()
    (listed,) = [c for c in agenda["cases"] if c["case_id"] == case["case_id"]]
    assert listed["stalking_screen"] is None


def test_an_unknown_screening_question_is_refused_naming_it(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    body = referral(yes=15)
    body["stalking_screen"] = {"answers": {"loitering": "yes", "bins_checked": "yes"}}
    before = published(api, "marac.cases", "persons")
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*IDVA))
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"][:3] == ["body", "stalking_screen", "answers"]
    assert "bins_checked" in error["msg"]
    bad_value = referral(yes=15) | {"stalking_screen": {"answers": {"loitering": "often"}}}
    response = api.client.post("/api/marac/referrals", json=bad_value, headers=api.headers(*IDVA))
    assert response.status_code == 422, response.text
    assert published(api, "marac.cases", "persons") == before
