"""A case whose subject was erased stays workable: later events record, erased fields read erased.

Erasing a case id destroys the case's keys (its risk narrative, DASH answers, action
descriptions); before, every later command that carried a field about the case failed to
encrypt (no key may ever be made for an erased subject) and answered 500.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from services.kernel.bus import end_offsets
from services.kernel.events import new_event
from services.marac.domain.working_days import add_working_days
from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration

IDVA = ("idva-oxon", "referrer")
HOUSING = ("housing-oxford", "referrer")
COORDINATOR = ("marac-coord", "coordinator")


def refer(api, body: dict, who=IDVA) -> dict:
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*who))
    assert response.status_code == 201, response.text
    return response.json()


def erase(api, subject_id: str, who=("idva-oxon", "dpo")) -> dict:
    response = api.client.post(
        "/api/sharing/erasures",
        json={"subject_id": subject_id, "reason": "Right to erasure request DPO-2026-301"},
        headers=api.headers(*who),
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_later_actions_on_a_case_whose_subject_was_erased_work(api):
    today = dt.date.today()
    api.platform.today = lambda: today
    first = refer(api, referral(yes=16))
    api.settle()
    case_id = first["case_id"]
    coordinator = api.headers(*COORDINATOR)
    meeting = api.client.post(
        "/api/marac/meetings",
        json={"marac_area": "oxford", "meeting_date": add_working_days(today, 10).isoformat()},
        headers=coordinator,
    ).json()
    api.settle()

    assert erase(api, case_id)["keys_destroyed"] >= 1  # the referrer's agency erases its case
    api.settle()

    # a repeat referral joins the erased case
    repeat = refer(api, referral(yes=3), who=HOUSING)
    assert (repeat["case_id"], repeat["repeat"]) == (case_id, True)

    # a partner's risk reassessment of the case records and projects
    reassessed = new_event(
        "RiskAssessed",
        {
            "case_id": case_id,
            "assessed_on": today,
            "dash_form": "SafeLives DASH 2009",
            "dash_answers": json.dumps({"strangulation": "yes", "depressed_or_suicidal": "yes"}),
            "dash_score": 20,
            "risk_level": "HIGH",
            "narrative": "Escalating since the last referral",
        },
        aggregate_id=case_id,
        agency="tvp",
        actor="officer-1",
    )
    api.platform.record([reassessed])

    # actions on the case are assigned and read
    action = api.client.post(
        "/api/marac/actions",
        json={
            "case_id": case_id,
            "meeting_id": meeting["meeting_id"],
            "owner_agency": "housing-oxford",
            "description": "Fit a lock change",
            "due_date": (today + dt.timedelta(days=7)).isoformat(),
        },
        headers=coordinator,
    )
    assert action.status_code == 201, action.text
    api.settle()

    published = api.client.post(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda/publish",
        json={},
        headers=coordinator,
    )
    assert published.status_code in (200, 201), published.text
    api.settle()

    agenda = api.client.get(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda", headers=coordinator
    )
    assert agenda.status_code == 200, agenda.text
    listed = [c for c in agenda.json()["cases"] if c["case_id"] == case_id]
    assert listed, agenda.json()
    for fmt in ("csv", "html"):
        download = api.client.get(
            f"/api/marac/meetings/{meeting['meeting_id']}/agenda",
            params={"format": fmt},
            headers=coordinator,
        )
        assert download.status_code == 200, download.text

    actions = api.client.get("/api/marac/actions", params={"case_id": case_id}, headers=coordinator)
    assert actions.status_code == 200, actions.text
    (found,) = [a for a in actions.json() if a["action_id"] == action.json()["action_id"]]
    assert found["description"]["status"] == "erased"  # recorded, but nothing of it kept

    view = api.client.get(f"/api/marac/referrals/{repeat['referral_id']}", headers=coordinator)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["detail"]["victim"]["name"]["value"] == "Jane Smith"  # the person is not erased
    with api.platform.engine.connect() as conn:
        from sqlalchemy import select

        from projections.marac import marac_cases

        case = conn.execute(select(marac_cases).where(marac_cases.c.case_id == case_id)).one()
    assert (case.latest_dash_score, case.latest_risk_level) == (20, "HIGH")

    # nothing was dead-lettered on the way
    api.relay.drain()
    dlq = [api.platform.topics.dead_letter("marac.cases")]
    assert sum(end_offsets(api.platform.bootstrap, dlq).values()) == 0


def test_an_agenda_with_an_erased_victim_reads_and_downloads(api):
    today = dt.date.today()
    api.platform.today = lambda: today
    case = refer(api, referral(yes=16))
    api.settle()
    coordinator = api.headers(*COORDINATOR)
    meeting = api.client.post(
        "/api/marac/meetings",
        json={"marac_area": "oxford", "meeting_date": add_working_days(today, 10).isoformat()},
        headers=coordinator,
    ).json()
    erase(api, case["victim"]["person_id"])
    api.settle()

    agenda = api.client.get(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda", headers=coordinator
    )
    assert agenda.status_code == 200, agenda.text
    assert "Jane Smith" not in agenda.text
    download = api.client.get(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda",
        params={"format": "csv"},
        headers=coordinator,
    )
    assert download.status_code == 200 and "ERASED" in download.text
    published = api.client.post(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda/publish", json={}, headers=coordinator
    )
    assert published.status_code in (200, 201), published.text
