"""A coordinator's confirmed match makes two victim ids one person in MARAC.

"J. Smyth" referred by housing after "Jane Smith" was referred by the IDVA (same date of
birth, same perpetrator) was a near match: a new person id, so no repeat and a second case
on the agenda. Once the match is confirmed the later referral is a repeat, the agenda lists
one case (the later one marked as part of it), a new referral for either name joins that
case as a repeat, and a replay of the topics rebuilds the same.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration

IDVA = ("idva-oxon", "referrer")
HOUSING = ("housing-oxford", "referrer")
COORDINATOR = ("marac-coord", "coordinator")


def refer(api, body: dict, who=IDVA) -> dict:
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*who))
    assert response.status_code == 201, response.text
    return response.json()


def agenda_cases(api, meeting_id: str) -> list[tuple[str, bool, list[str]]]:
    response = api.client.get(
        f"/api/marac/meetings/{meeting_id}/agenda", headers=api.headers(*COORDINATOR)
    )
    assert response.status_code == 200, response.text
    return [(c["case_id"], c["repeat"], c["linked_case_ids"]) for c in response.json()["cases"]]


def test_a_confirmed_match_makes_one_case_a_repeat_and_one_agenda_item(api):
    today = dt.date.today()  # agendas list referrals by the day they were received
    api.platform.today = lambda: today
    jane = refer(api, referral(yes=16, referral_date=(today - dt.timedelta(days=20)).isoformat()))
    smyth = refer(
        api,
        referral(
            yes=16, victim="J. Smyth", referral_date=(today - dt.timedelta(days=5)).isoformat()
        ),
        who=HOUSING,
    )
    assert smyth["victim"]["match"] == "near" and not smyth["repeat"]
    assert smyth["case_id"] != jane["case_id"]
    meeting = api.client.post(
        "/api/marac/meetings",
        json={"marac_area": "oxford", "meeting_date": (today + dt.timedelta(days=14)).isoformat()},
        headers=api.headers(*COORDINATOR),
    )
    assert meeting.status_code == 201, meeting.text
    meeting_id = meeting.json()["meeting_id"]
    assert sorted(agenda_cases(api, meeting_id)) == sorted(
        [(jane["case_id"], False, []), (smyth["case_id"], False, [])]
    )

    queue = api.client.get("/api/persons/matches", headers=api.headers(*COORDINATOR)).json()
    [proposal] = [m for m in queue if m["person_id"] == smyth["victim"]["person_id"]]
    decided = api.client.post(
        f"/api/persons/matches/{proposal['proposal_id']}/decision",
        json={"decision": "confirmed"},
        headers=api.headers(*COORDINATOR),
    )
    assert decided.status_code == 200, decided.text

    # One case, the earlier one, with the later referral (now a repeat) as part of it.
    merged = [(jane["case_id"], True, [smyth["case_id"]])]
    assert agenda_cases(api, meeting_id) == merged

    # Repeat detection sees both ids' referrals: a new referral under either name joins the
    # case as a repeat of the latest of them.
    again = refer(api, referral(yes=16, victim="J. Smyth", referral_date=today.isoformat()))
    assert again["victim"]["person_id"] == jane["victim"]["person_id"]
    assert again["repeat"] and again["case_id"] == jane["case_id"]
    assert again["last_referral_date"] == (today - dt.timedelta(days=5)).isoformat()
    assert agenda_cases(api, meeting_id) == merged

    api.settle()
    before = agenda_cases(api, meeting_id)
    projector = api.projectors["marac"]
    projector.reset()
    projector.catch_up(timeout=60)
    assert agenda_cases(api, meeting_id) == before
