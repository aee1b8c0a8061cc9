"""A referral sent twice is a duplicate, not a repeat; a referrer may withdraw or correct its
referral until the cut-off. HTTP API -> event store -> projections, on both databases."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from services.kernel import store
from services.marac.domain.working_days import add_working_days
from tests.integration.marac.referral_data import dash, referral

pytestmark = pytest.mark.integration

IDVA = ("idva-oxon", "referrer")
HOUSING = ("housing-oxford", "referrer")
COORDINATOR = ("marac-coord", "coordinator")


def post(api, path: str, body: dict, who=IDVA, **headers):
    return api.client.post(path, json=body, headers=api.headers(*who) | headers)


def refer(api, body: dict, who=IDVA) -> dict:
    response = post(api, "/api/marac/referrals", body, who)
    assert response.status_code == 201, response.text
    return response.json()


def at(api, day: dt.date) -> None:
    api.platform.today = lambda: day


def schedule(api, day: dt.date) -> dict:
    response = post(
        api, "/api/marac/meetings", {"marac_area": "oxford", "meeting_date": day.isoformat()},
        COORDINATOR,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


def agenda(api, meeting_id: str) -> dict:
    response = api.client.get(
        f"/api/marac/meetings/{meeting_id}/agenda", headers=api.headers(*COORDINATOR)
    )
    assert response.status_code == 200, response.text
    return response.json()


def view(api, referral_id: str, who=IDVA) -> dict:
    response = api.client.get(f"/api/marac/referrals/{referral_id}", headers=api.headers(*who))
    assert response.status_code == 200, response.text
    return response.json()


# -- duplicates ------------------------------------------------------------------------------


def stored_types(api) -> list[str]:
    with api.platform.engine.connect() as conn:
        return list(conn.execute(select(store.event_store.c.event_type)).scalars())


def test_the_same_referral_twice_is_refused_naming_the_first_and_nothing_is_stored(api):
    at(api, dt.date.today())
    first = refer(api, referral(yes=15))
    before = stored_types(api)

    again = post(api, "/api/marac/referrals", referral(yes=15))

    assert again.status_code == 409, again.text
    detail = again.json()["detail"]
    assert detail["type"] == "duplicate_referral"
    assert detail["existing_referral"]["referral_id"] == first["referral_id"]
    assert detail["existing_referral"]["case_id"] == first["case_id"]
    assert first["referral_id"] in detail["msg"]
    assert '"confirm_duplicate": true' in detail["to_send_anyway"]
    assert "Jane Smith" not in again.text
    assert stored_types(api) == before
    assert before.count("ReferralSubmitted") == 1


def test_the_same_referral_sent_three_times_at_once_is_stored_once(api):
    at(api, dt.date.today())
    start = threading.Barrier(3)
    statuses: list[int] = []
    idva = api.headers(*IDVA)  # one token, issued before the threads start

    def send() -> None:
        start.wait()
        response = api.client.post("/api/marac/referrals", json=referral(yes=15), headers=idva)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409]
    assert stored_types(api).count("ReferralSubmitted") == 1


def test_a_confirmed_duplicate_joins_the_case_and_is_not_a_repeat(api):
    today = dt.date.today()
    at(api, today)
    first = refer(api, referral(yes=15))
    second = refer(api, referral(yes=15, confirm_duplicate=True))

    assert second["referral_id"] != first["referral_id"]
    assert second["case_id"] == first["case_id"]
    assert second["repeat"] is False and "repeat" not in second["criteria_met"]
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))
    cases = agenda(api, meeting["meeting_id"])["cases"]
    assert [(c["case_id"], c["repeat"]) for c in cases] == [(first["case_id"], False)]


def test_different_answers_another_agency_or_another_day_are_not_duplicates(api):
    today = dt.date.today()
    at(api, today)
    refer(api, referral(yes=15))
    refer(api, referral(yes=16))  # other answers: a new referral (a repeat)
    refer(api, referral(yes=15), who=HOUSING)  # another agency
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    refer(api, referral(yes=15, referral_date=yesterday))  # another referral date


def test_an_idempotent_retry_gets_the_first_answer_not_a_duplicate_refusal(api):
    at(api, dt.date.today())
    body = referral(yes=15)
    first = post(api, "/api/marac/referrals", body, **{"Idempotency-Key": "ref-1"})
    retry = post(api, "/api/marac/referrals", body, **{"Idempotency-Key": "ref-1"})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert post(api, "/api/marac/referrals", body).status_code == 409  # without the key


def test_a_withdrawn_referral_is_not_duplicated_or_repeated(api):
    at(api, dt.date.today())
    first = refer(api, referral(yes=15))
    response = post(
        api, f"/api/marac/referrals/{first['referral_id']}/withdraw", {"reason": "Sent early"}
    )
    assert response.status_code == 200, response.text
    again = refer(api, referral(yes=15))
    assert again["repeat"] is False


# -- withdrawal ------------------------------------------------------------------------------


def test_the_referrer_withdraws_a_referral_and_it_leaves_the_agenda(api):
    today = dt.date.today()
    at(api, today)
    keep = refer(api, referral(victim="Ana Cruz", victim_dob="1992-03-04", yes=16))
    gone = refer(api, referral(yes=15))
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))
    assert {c["case_id"] for c in agenda(api, meeting["meeting_id"])["cases"]} == {
        keep["case_id"],
        gone["case_id"],
    }
    assert view(api, gone["referral_id"])["amendable_until"] == meeting["cutoff_date"]

    response = post(
        api,
        f"/api/marac/referrals/{gone['referral_id']}/withdraw",
        {"reason": "Sent for the wrong victim"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    api.settle()
    assert [c["case_id"] for c in agenda(api, meeting["meeting_id"])["cases"]] == [keep["case_id"]]
    shown = view(api, gone["referral_id"])
    assert shown["withdrawn_on"] == today.isoformat()
    assert shown["withdrawal_reason"]["value"] == "Sent for the wrong victim"
    assert shown["amendable"] is False
    twice = post(api, f"/api/marac/referrals/{gone['referral_id']}/withdraw", {"reason": "x"})
    assert twice.status_code == 409 and "withdrawn" in twice.json()["detail"]


def test_a_withdrawal_reason_is_encrypted_in_the_store(api):
    at(api, dt.date.today())
    sent = refer(api, referral(yes=15))
    response = post(
        api,
        f"/api/marac/referrals/{sent['referral_id']}/withdraw",
        {"reason": "Zanzibar-marker reason"},
    )
    assert response.status_code == 200, response.text
    with api.platform.engine.connect() as conn:
        values = conn.execute(select(store.event_store.c.value)).scalars().all()
    assert values and not any(b"Zanzibar-marker" in bytes(v) for v in values)


def test_only_the_referring_agency_may_withdraw_or_correct(api):
    at(api, dt.date.today())
    sent = refer(api, referral(yes=15))
    path = f"/api/marac/referrals/{sent['referral_id']}"
    note = {"correction_note": "x", "reason": "y"}

    assert post(api, f"{path}/withdraw", {"reason": "x"}, COORDINATOR).status_code == 403
    assert post(api, f"{path}/correction", note, COORDINATOR).status_code == 403
    # another referring agency may not even see it
    assert post(api, f"{path}/withdraw", {"reason": "x"}, HOUSING).status_code == 404
    assert post(api, f"{path}/correction", note, HOUSING).status_code == 404
    assert view(api, sent["referral_id"])["withdrawn_on"] is None


def test_after_the_cut_off_withdrawal_and_correction_are_refused_naming_it(api):
    today = dt.date.today()
    at(api, today)
    sent = refer(api, referral(yes=15))
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))
    at(api, dt.date.fromisoformat(meeting["cutoff_date"]) + dt.timedelta(days=1))
    path = f"/api/marac/referrals/{sent['referral_id']}"

    withdrawn = post(api, f"{path}/withdraw", {"reason": "Too late"})
    corrected = post(api, f"{path}/correction", {"reason": "Too late", "correction_note": "x"})

    for response in (withdrawn, corrected):
        assert response.status_code == 409, response.text
        assert f"cut-off for the meeting on {meeting['meeting_date']}" in response.json()["detail"]
        assert meeting["cutoff_date"] in response.json()["detail"]
    assert view(api, sent["referral_id"])["amendable"] is False

    at(api, dt.date.fromisoformat(meeting["cutoff_date"]))  # on the cut-off day: still open
    assert post(api, f"{path}/withdraw", {"reason": "Just in time"}).status_code == 200


# -- correction ------------------------------------------------------------------------------


def test_a_correction_re_scores_re_assesses_and_shows_on_the_agenda(api):
    today = dt.date.today()
    at(api, today)
    high = refer(api, referral(victim="Ana Cruz", victim_dob="1992-03-04", yes=16))
    sent = refer(api, referral(yes=15))
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))
    assert [c["case_id"] for c in agenda(api, meeting["meeting_id"])["cases"]] == [
        high["case_id"],
        sent["case_id"],
    ]

    response = post(
        api,
        f"/api/marac/referrals/{sent['referral_id']}/correction",
        {"dash": dash(20), "correction_note": "Five answers were ticked no by mistake"},
    )

    assert response.status_code == 200, response.text
    corrected = response.json()
    assert (corrected["status"], corrected["dash_score"]) == ("corrected", 20)
    assert corrected["criteria_met"] == ["visible_high_risk"]
    api.settle()
    cases = agenda(api, meeting["meeting_id"])["cases"]
    assert [(c["case_id"], c["dash_score"], c["corrected"]) for c in cases] == [
        (sent["case_id"], 20, True),
        (high["case_id"], 16, False),
    ]
    shown = view(api, sent["referral_id"])
    assert (shown["dash_score"], shown["corrected_on"]) == (20, today.isoformat())
    assert shown["correction_note"]["value"] == "Five answers were ticked no by mistake"
    assert shown["detail"]["dash_score"] == 20
    assert shown["detail"]["reason"]["value"].startswith("Strangled")  # kept as it was
    assert shown["detail"]["dash_answers_health"]["status"] == "shown"


def test_a_correction_that_meets_no_criterion_is_refused(api):
    at(api, dt.date.today())
    sent = refer(api, referral(yes=15))
    response = post(
        api,
        f"/api/marac/referrals/{sent['referral_id']}/correction",
        {"dash": dash(3), "correction_note": "Most answers were wrong"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "criteria"]
    assert "withdraw it instead" in response.json()["detail"][0]["msg"]
    assert view(api, sent["referral_id"])["dash_score"] == 15


def test_a_duplicate_is_compared_with_the_corrected_answers(api):
    at(api, dt.date.today())
    sent = refer(api, referral(yes=15))
    post(
        api,
        f"/api/marac/referrals/{sent['referral_id']}/correction",
        {"dash": dash(18), "correction_note": "Three more yes"},
    )
    assert post(api, "/api/marac/referrals", referral(yes=18)).status_code == 409
    assert post(api, "/api/marac/referrals", referral(yes=15)).status_code == 201


def test_a_published_agenda_shows_a_withdrawn_case_until_it_is_re_issued(api):
    today = dt.date.today()
    at(api, today)
    sent = refer(api, referral(yes=15))
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))
    publish = f"/api/marac/meetings/{meeting['meeting_id']}/agenda/publish"
    assert post(api, publish, {}, COORDINATOR).status_code == 200

    post(api, f"/api/marac/referrals/{sent['referral_id']}/withdraw", {"reason": "In error"})

    [case] = agenda(api, meeting["meeting_id"])["cases"]
    assert (case["case_id"], case["withdrawn"]) == (sent["case_id"], True)
    csv_text = api.client.get(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda",
        params={"format": "csv"},
        headers=api.headers(*COORDINATOR),
    ).text
    header, row = [line.split(",") for line in csv_text.splitlines()[1:3]]
    assert dict(zip(header, row, strict=True))["Withdrawn"] == "Yes"
    reissued = post(api, publish, {}, COORDINATOR).json()
    assert reissued["cases"] == []
    assert reissued["changes_since_previous_version"]["removed"] == [sent["case_id"]]
