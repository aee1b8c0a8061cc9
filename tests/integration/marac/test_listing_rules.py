"""MARAC listing rules found by the outside audit, end to end on both databases.

* a case heard at one meeting (even added late) is not listed again at the next unless a
  referral since brings it back;
* one meeting per area and date, and no overlapping agenda windows;
* an action names a meeting of the case's area that hears the case;
* a quarterly return is for an area of the MARAC policy, and its 422 has the documented shape;
* a meeting already held can be recorded (with the reason), and a case added on the day;
* request types are strict.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from services.marac.domain.working_days import add_working_days
from tests.integration.marac.referral_data import referral
from tests.integration.marac.test_journeys import COORDINATOR, IDVA, at, published, refer

pytestmark = pytest.mark.integration


def local_today() -> dt.date:
    """Agendas list by the local (Europe/London) day a referral was received."""
    return dt.datetime.now(ZoneInfo("Europe/London")).date()


def schedule(api, day: dt.date, area: str = "oxford", **extra):
    body = {"marac_area": area, "meeting_date": day.isoformat(), **extra}
    return api.client.post("/api/marac/meetings", json=body, headers=api.headers(*COORDINATOR))


def scheduled(api, day: dt.date, area: str = "oxford", **extra) -> dict:
    response = schedule(api, day, area, **extra)
    assert response.status_code == 201, response.text
    return response.json()


def publish(api, meeting_id: str, **body):
    return api.client.post(
        f"/api/marac/meetings/{meeting_id}/agenda/publish",
        json=body,
        headers=api.headers(*COORDINATOR),
    )


def agenda(api, meeting_id: str, **params) -> dict:
    response = api.client.get(
        f"/api/marac/meetings/{meeting_id}/agenda", params=params, headers=api.headers(*COORDINATOR)
    )
    assert response.status_code == 200, response.text
    return response.json()


def listed(view: dict) -> list[str]:
    return [c["case_id"] for c in view["cases"]]


def action(api, case_id: str, meeting_id: str | None, **extra):
    body = {
        "case_id": case_id,
        "owner_agency": "housing-oxford",
        "description": "Fit a lock change and a sanctuary scheme",
        "due_date": (local_today() + dt.timedelta(days=14)).isoformat(),
        **extra,
    }
    if meeting_id:
        body["meeting_id"] = meeting_id
    return api.client.post("/api/marac/actions", json=body, headers=api.headers(*COORDINATOR))


# -- 1. heard once ---------------------------------------------------------------------------


def test_a_case_added_late_is_not_heard_again_at_the_next_meeting(api):
    today = local_today()
    at(api, today)
    first = scheduled(api, add_working_days(today, 2))  # its cut-off has passed
    second = scheduled(api, add_working_days(today, 15))
    late = refer(api, referral(yes=16))
    response = publish(api, first["meeting_id"], late_case_ids=[late["case_id"]])
    assert response.status_code == 200, response.text
    assert [(c["case_id"], c["late"]) for c in response.json()["cases"]] == [
        (late["case_id"], True)
    ]

    at(api, dt.date.fromisoformat(first["meeting_date"]) + dt.timedelta(days=1))  # held
    assert listed(agenda(api, second["meeting_id"])) == []
    v1 = publish(api, second["meeting_id"]).json()
    assert listed(v1) == []
    mine = api.client.get(
        f"/api/marac/referrals/{late['referral_id']}", headers=api.headers(*IDVA)
    ).json()
    assert [m["meeting_id"] for m in mine["listed_for"]] == [first["meeting_id"]]

    # a repeat referral after the hearing brings the case back, flagged
    repeat = refer(api, referral(yes=3), who=("housing-oxford", "referrer"))
    assert repeat["repeat"] is True and repeat["case_id"] == late["case_id"]
    back = agenda(api, second["meeting_id"], draft="true")
    assert [(c["case_id"], c["repeat"]) for c in back["cases"]] == [(late["case_id"], True)]


def test_a_case_heard_cannot_be_added_late_again(api):
    today = local_today()
    at(api, today)
    first = scheduled(api, add_working_days(today, 2))
    late = refer(api, referral(yes=16))
    assert publish(api, first["meeting_id"], late_case_ids=[late["case_id"]]).status_code == 200
    # the next meeting's cut-off has passed too: the case could be "late" there as well
    second = scheduled(api, add_working_days(today, 3))
    before = published(api, "marac.meetings")
    response = publish(api, second["meeting_id"], late_case_ids=[late["case_id"]])
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "late_case_ids"]
    assert "already heard" in error["msg"]
    assert published(api, "marac.meetings") == before


# -- 2. one meeting per area and date ---------------------------------------------------------


def test_a_second_meeting_for_the_same_area_and_date_is_refused_and_nothing_stored(api):
    today = local_today()
    at(api, today)
    day = add_working_days(today, 20)
    first = scheduled(api, day)
    before = published(api, "marac.meetings")

    again = schedule(api, day, venue="Another room")
    assert again.status_code == 409, again.text
    assert first["meeting_id"] in again.json()["detail"]
    assert published(api, "marac.meetings") == before
    meetings = api.client.get(
        "/api/marac/meetings", params={"area": "oxford"}, headers=api.headers(*COORDINATOR)
    ).json()
    assert [m["meeting_id"] for m in meetings] == [first["meeting_id"]]

    assert schedule(api, day, area="reading").status_code == 201  # another area may


def test_a_meeting_whose_agenda_window_would_overlap_a_neighbours_is_refused(api):
    today = local_today()
    at(api, today)
    saturday = today + dt.timedelta(days=30)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    scheduled(api, saturday)
    before = published(api, "marac.meetings")
    # Saturday and Sunday have the same cut-off: one of the two agendas could not be built
    response = schedule(api, saturday + dt.timedelta(days=1))
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "meeting_date"]
    assert "overlap" in error["msg"]
    assert published(api, "marac.meetings") == before


# -- 3. an action's meeting hears its case ------------------------------------------------------


def test_an_action_must_name_a_meeting_of_its_area_that_hears_the_case(api):
    today = local_today()
    at(api, today)
    case = refer(api, referral(yes=16))
    heard_at = scheduled(api, add_working_days(today, 10))
    assert publish(api, heard_at["meeting_id"]).status_code == 200
    later = scheduled(api, add_working_days(today, 20))  # the case is not on its agenda
    elsewhere = scheduled(api, add_working_days(today, 10), area="reading")
    before = published(api, "marac.cases")

    for meeting, words in ((elsewhere, "reading MARAC meeting"), (later, "not on the agenda")):
        response = action(api, case["case_id"], meeting["meeting_id"])
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "meeting_id"]
        assert words in error["msg"]
    assert published(api, "marac.cases") == before

    accepted = action(api, case["case_id"], heard_at["meeting_id"])
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["meeting_id"] == heard_at["meeting_id"]


# -- 4 and 6. the quarterly return's parameters ------------------------------------------------


def _documented_422(api, path: str) -> dict:
    spec = api.client.get("/openapi.json").json()
    reference = spec["paths"][path]["get"]["responses"]["422"]["content"]["application/json"]
    name = reference["schema"]["$ref"].rsplit("/", 1)[-1]
    return spec["components"]["schemas"], spec["components"]["schemas"][name]


def _conforms(schemas: dict, schema: dict, body) -> None:
    """Enough of JSON Schema for FastAPI's HTTPValidationError: objects, arrays, refs, types."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        problems = []
        for option in schema["anyOf"]:
            try:
                _conforms(schemas, option, body)
                return
            except AssertionError as exc:
                problems.append(str(exc))
        raise AssertionError(f"{body!r} matches none of {problems}")
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(body, dict), f"expected an object, got {body!r}"
        for key in schema.get("required", []):
            assert key in body, f"{key} missing from {body!r}"
        for key, value in body.items():
            if key in schema.get("properties", {}):
                _conforms(schemas, schema["properties"][key], value)
    elif kind == "array":
        assert isinstance(body, list), f"expected an array, got {body!r}"
        for item in body:
            _conforms(schemas, schema["items"], item)
    elif kind == "string":
        assert isinstance(body, str), f"expected a string, got {body!r}"
    elif kind == "integer":
        assert isinstance(body, int) and not isinstance(body, bool), f"not an integer: {body!r}"


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"marac": "narnia", "quarter": "2026Q3"}, ["query", "marac"]),
        ({"marac": "oxford", "quarter": "2026-Q3"}, ["query", "quarter"]),
        ({"marac": "oxford", "quarter": "2026Q5"}, ["query", "quarter"]),
        ({"marac": "oxford"}, ["query", "quarter"]),
    ],
    ids=["unknown-area", "bad-quarter", "no-such-quarter", "no-quarter"],
)
def test_a_bad_return_request_is_422_in_the_documented_shape(api, params, location):
    response = api.client.get(
        "/api/marac/returns", params=params, headers=api.headers(*COORDINATOR)
    )
    assert response.status_code == 422, response.text
    body = response.json()
    schemas, documented = _documented_422(api, "/api/marac/returns")
    _conforms(schemas, documented, body)
    assert [e["loc"] for e in body["detail"]] == [location]


# -- 5. a meeting already held, a case added on the day -----------------------------------------


def test_a_meeting_already_held_is_recorded_with_the_reason(api):
    today = local_today()
    at(api, today)
    held = today - dt.timedelta(days=7)
    before = published(api, "marac.meetings")
    no_reason = schedule(api, held)
    assert no_reason.status_code == 422, no_reason.text
    assert no_reason.json()["detail"][0]["loc"] == ["body", "recorded_after_the_event_reason"]
    assert published(api, "marac.meetings") == before

    reason = "Tandem went live after this meeting; recorded from the chair's minutes"
    meeting = scheduled(api, held, recorded_after_the_event_reason=reason)
    assert meeting["recorded_after_the_event_reason"] == reason
    shown = api.client.get(
        "/api/marac/meetings", params={"area": "oxford"}, headers=api.headers(*COORDINATOR)
    ).json()
    assert [(m["meeting_id"], m["recorded_after_the_event_reason"]) for m in shown] == [
        (meeting["meeting_id"], reason)
    ]
    # a reason is for meetings already held only
    future = schedule(api, today + dt.timedelta(days=30), recorded_after_the_event_reason=reason)
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "recorded_after_the_event_reason"]


def test_a_case_received_on_the_meeting_day_is_added_on_the_day_and_counted(api):
    today = local_today()
    at(api, today)
    meeting = scheduled(api, today)  # a new installation's first meeting, today
    case = refer(api, referral(yes=16))  # received on the meeting day
    draft = agenda(api, meeting["meeting_id"])
    assert draft["cases"] == []

    before = published(api, "marac.meetings")
    no_reason = publish(api, meeting["meeting_id"], late_case_ids=[case["case_id"]])
    assert no_reason.status_code == 422, no_reason.text
    [error] = no_reason.json()["detail"]
    assert error["loc"] == ["body", "late_reason"]
    assert case["case_id"] in error["msg"]
    assert published(api, "marac.meetings") == before

    reason = "Strangled last night; the chair agreed to hear the case today"
    response = publish(
        api, meeting["meeting_id"], late_case_ids=[case["case_id"]], late_reason=reason
    )
    assert response.status_code == 200, response.text
    [heard] = response.json()["cases"]
    assert (heard["case_id"], heard["late"]) == (case["case_id"], True)
    shown = heard["late_reason"]
    assert (shown["status"], shown["data_class"], shown["value"]) == (
        "shown",
        "risk.narrative",
        reason,
    )
    assert agenda(api, meeting["meeting_id"])["cases"][0]["late_reason"]["value"] == reason

    api.settle()  # the reason travels encrypted
    tomorrow = today + dt.timedelta(days=1)
    at(api, tomorrow)
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    returned = api.client.get(
        "/api/marac/returns",
        params={"marac": "oxford", "quarter": quarter},
        headers=api.headers(*COORDINATOR),
    )
    assert returned.status_code == 200, returned.text
    rows = {r["Meeting date"]: r for r in csv.DictReader(io.StringIO(returned.text))}
    assert rows[meeting["meeting_date"]]["Cases discussed"] == "1"

    # heard today: not listed again at the next meeting
    after = scheduled(api, add_working_days(tomorrow, 10))
    assert listed(agenda(api, after["meeting_id"])) == []


# -- 6. strict types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (lambda b: b["victim"].update(safe_to_call=0), ["body", "victim", "safe_to_call"]),
        (lambda b: b.update(idva_allocated=1), ["body", "idva_allocated"]),
        (lambda b: b["victim"].update(date_of_birth=0), ["body", "victim", "date_of_birth"]),
        # midnight UTC timestamps: numbers lax parsing would read as dates
        (lambda b: b.update(referral_date=1_699_920_000), ["body", "referral_date"]),
        (
            lambda b: b["children"][0].update(date_of_birth=1_499_990_400.0),
            ["body", "children", 0, "date_of_birth"],
        ),
    ],
    ids=["safe-to-call-0", "idva-allocated-1", "dob-0", "referral-date-number", "child-dob"],
)
def test_referral_flags_and_dates_must_not_be_numbers(api, change, location):
    at(api, local_today())
    body = referral(yes=15)
    change(body)
    before = published(api, "marac.cases", "persons")
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*IDVA))
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [location]
    assert published(api, "marac.cases", "persons") == before


def _midnight_timestamp(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


def test_meeting_and_action_dates_and_counts_must_not_be_numbers_or_flags(api):
    today = local_today()
    at(api, today)
    day = add_working_days(today, 10)
    for body, location in (
        ({"meeting_date": _midnight_timestamp(day)}, ["body", "meeting_date"]),
        ({"meeting_date": day.isoformat(), "capacity": True}, ["body", "capacity"]),
        ({"meeting_date": day.isoformat(), "capacity": "20"}, ["body", "capacity"]),
    ):
        response = api.client.post(
            "/api/marac/meetings",
            json={"marac_area": "oxford", **body},
            headers=api.headers(*COORDINATOR),
        )
        assert response.status_code == 422, response.text
        assert [e["loc"] for e in response.json()["detail"]] == [location]
    case = refer(api, referral(yes=16))
    due = _midnight_timestamp(today + dt.timedelta(days=14))
    response = action(api, case["case_id"], None, due_date=due)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "due_date"]]


def test_a_referral_or_meeting_for_an_area_not_in_the_policy_is_refused(api):
    at(api, local_today())
    before = published(api, "marac.cases", "marac.meetings", "persons")
    response = api.client.post(
        "/api/marac/referrals", json=referral(area="oxfrod"), headers=api.headers(*IDVA)
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "marac_area"]
    response = schedule(api, add_working_days(local_today(), 10), area="oxfrod")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "marac_area"]
    assert published(api, "marac.cases", "marac.meetings", "persons") == before
