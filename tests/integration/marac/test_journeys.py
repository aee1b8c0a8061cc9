"""MARAC journeys end to end: HTTP API -> Kafka -> projections -> HTTP API, on both databases."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from services.kernel.bus import end_offsets
from services.kernel.events import new_event
from services.marac.domain.working_days import add_working_days
from services.sharing.blind_index import index_terms_for_full_name
from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration

IDVA = ("idva-oxon", "referrer")
HOUSING = ("housing-oxford", "referrer")
COORDINATOR = ("marac-coord", "coordinator")


def published(api, *streams: str) -> int:
    """How many messages the streams hold once the relay has published everything stored:
    to prove a refused request published nothing."""
    api.relay.drain()
    topics = [api.platform.topics.topic(s) for s in streams]
    return sum(end_offsets(api.platform.bootstrap, topics).values())


def refer(api, body: dict, who=IDVA):
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*who))
    assert response.status_code == 201, response.text
    return response.json()


def at(api, day: dt.date) -> None:
    api.platform.today = lambda: day


# -- journey 1: an IDVA refers ---------------------------------------------------------------


def test_idva_referral_is_scored_linked_encrypted_and_published(api):
    at(api, dt.date(2026, 11, 20))
    result = refer(api, referral(yes=15))

    assert result["dash_score"] == 15
    assert result["risk_level"] == "high"
    assert result["criteria_met"] == ["visible_high_risk"]
    assert result["repeat"] is False and result["last_referral_date"] is None
    assert result["victim"]["match"] is None  # a new person
    assert "strangulation" in result["judgement_flags"]

    api.settle()
    view = api.client.get(
        f"/api/marac/referrals/{result['referral_id']}", headers=api.headers(*IDVA)
    ).json()
    assert view["case_id"] == result["case_id"]
    assert view["detail"]["victim"]["name"] == {
        "status": "shown",
        "data_class": "victim.identity",
        "value": "Jane Smith",
    }


def test_the_same_victim_from_another_agency_is_linked_by_blind_index(api):
    at(api, dt.date(2026, 11, 20))
    first = refer(api, referral(yes=15))
    api.settle()
    second = refer(api, referral(yes=16, perpetrator="Tom Jones"), who=HOUSING)
    assert second["victim"] == {"person_id": first["victim"]["person_id"], "match": "exact"}


# -- journey 2: the criteria -----------------------------------------------------------------


def test_thirteen_ticks_and_nothing_else_is_refused_and_publishes_nothing(api):
    at(api, dt.date(2026, 11, 20))
    before = published(api, "marac.cases", "persons")
    response = api.client.post(
        "/api/marac/referrals", json=referral(yes=13), headers=api.headers(*IDVA)
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "criteria"]
    assert error["msg"].startswith("DASH score 13 is below 14 and no other criterion is met")
    assert published(api, "marac.cases", "persons") == before


def test_professional_judgement_with_a_reason_is_accepted_under_fourteen(api):
    at(api, dt.date(2026, 11, 20))
    result = refer(api, referral(yes=9, judgement="Threats to kill made to her sister."))
    assert result["criteria_met"] == ["professional_judgement"]
    assert result["risk_level"] == "standard"


def test_fourteen_is_visible_high_risk_whatever_the_judgement(api):
    at(api, dt.date(2026, 11, 20))
    result = refer(api, referral(yes=14, judgement="I consider the risk is lower."))
    assert result["criteria_met"] == ["visible_high_risk", "professional_judgement"]
    assert result["risk_level"] == "high"


def _police_incidents_for(api, name: str, dob: str, dates: list[dt.date]) -> str:
    """As police intake would: index the victim, then publish incidents naming her."""
    person_id = "p-police-victim-1"
    terms = index_terms_for_full_name(api.platform.blind_index_key, name, dob)
    events = [
        new_event(
            "PersonIndexed",
            {"person_id": person_id, "role": "victim", "terms": terms},
            aggregate_id=person_id,
            agency="tvp",
            actor="intake",
        )
    ]
    for number, day in enumerate(dates):
        events.append(
            new_event(
                "IncidentRecorded",
                {
                    "incident_id": f"inc-{number}",
                    "occurred_on": day,
                    "policing_area": "oxford",
                    "is_crime": True,
                    "offence_categories": ["common_assault"],
                    "suspect_person_id": "p-police-suspect-1",
                    "victim_person_ids": [person_id],
                },
                aggregate_id="p-police-suspect-1",
                agency="tvp",
                actor="intake",
            )
        )
    api.platform.publisher.publish(events)
    api.settle()
    return person_id


@pytest.mark.parametrize(
    ("incident_days", "accepted"),
    [
        ([dt.date(2026, 1, 5), dt.date(2026, 6, 1), dt.date(2026, 11, 1)], True),
        ([dt.date(2026, 6, 1), dt.date(2026, 11, 1)], False),
        ([dt.date(2025, 11, 19), dt.date(2026, 6, 1), dt.date(2026, 11, 1)], False),
    ],
    ids=["three-in-12-months", "two-in-12-months", "third-is-older-than-12-months"],
)
def test_police_incidents_count_toward_potential_escalation(api, incident_days, accepted):
    at(api, dt.date(2026, 11, 20))
    person_id = _police_incidents_for(api, "Jane Smith", "1990-02-03", incident_days)
    response = api.client.post(
        "/api/marac/referrals", json=referral(yes=9), headers=api.headers(*IDVA)
    )
    if accepted:
        assert response.status_code == 201, response.text
        assert response.json()["criteria_met"] == ["potential_escalation"]
        assert response.json()["victim"]["person_id"] == person_id
    else:
        assert response.status_code == 422
        assert "2 incidents in the 12 months" in response.json()["detail"][0]["msg"]


# -- journey 3: repeats ----------------------------------------------------------------------


def test_repeat_within_twelve_months_of_the_last_referral_joins_the_case(api):
    at(api, dt.date(2025, 11, 20))
    first = refer(api, referral(yes=15, referral_date="2025-11-20"))
    api.settle()
    at(api, dt.date(2026, 11, 20))
    repeat = refer(api, referral(yes=3, referral_date="2026-11-20"), who=HOUSING)

    assert repeat["repeat"] is True
    assert repeat["criteria_met"] == ["repeat"]
    assert repeat["last_referral_date"] == "2025-11-20"
    assert repeat["case_id"] == first["case_id"]


def test_twelve_months_and_a_day_later_is_a_new_referral(api):
    at(api, dt.date(2025, 11, 20))
    first = refer(api, referral(yes=15, referral_date="2025-11-20"))
    api.settle()
    at(api, dt.date(2026, 11, 21))
    later = refer(api, referral(yes=15, referral_date="2026-11-21"), who=HOUSING)

    assert later["repeat"] is False
    assert later["criteria_met"] == ["visible_high_risk"]
    assert later["case_id"] != first["case_id"]


# -- journeys 4 and 5: meetings and agendas --------------------------------------------------


def schedule(api, meeting_date: dt.date, capacity: int | None = None) -> dict:
    body = {"marac_area": "oxford", "meeting_date": meeting_date.isoformat()}
    if capacity:
        body["capacity"] = capacity
    response = api.client.post("/api/marac/meetings", json=body, headers=api.headers(*COORDINATOR))
    assert response.status_code == 201, response.text
    api.settle()
    return response.json()


def test_meeting_cut_off_skips_the_easter_bank_holidays(api):
    at(api, dt.date(2026, 3, 1))
    meeting = schedule(api, dt.date(2026, 4, 9))
    # Thu 9 Apr 2026 minus 5 working days: 8, 7 Apr, (6 Easter Monday, 4-5 weekend,
    # 3 Good Friday), 2, 1 Apr, 31 Mar.
    assert meeting["cutoff_date"] == "2026-03-31"


def _agenda(api, meeting_id: str, who=COORDINATOR, **params) -> dict:
    response = api.client.get(
        f"/api/marac/meetings/{meeting_id}/agenda", params=params, headers=api.headers(*who)
    )
    assert response.status_code == 200, response.text
    return response.json() if params.get("format", "json") == "json" else response


def test_agenda_orders_repeats_first_then_dash_and_overflows_past_capacity(api):
    today = dt.date.today()  # agendas list by the day a referral was received
    at(api, today - dt.timedelta(days=200))
    earlier = (today - dt.timedelta(days=200)).isoformat()
    old = refer(
        api, referral(victim="Kim Lee", victim_dob="1985-01-01", yes=14, referral_date=earlier)
    )
    api.settle()
    at(api, today)
    repeat = refer(api, referral(victim="Kim Lee", victim_dob="1985-01-01", yes=2))
    high = refer(api, referral(victim="Ana Cruz", victim_dob="1992-03-04", yes=20))
    middle = refer(api, referral(victim="Bea Hart", victim_dob="1993-05-06", yes=16))
    api.settle()

    meeting = schedule(api, add_working_days(today, 10), capacity=2)
    agenda = _agenda(api, meeting["meeting_id"])

    assert agenda["status"] == "draft"
    assert [c["case_id"] for c in agenda["cases"]] == [repeat["case_id"], high["case_id"]]
    assert [c["case_id"] for c in agenda["overflow"]] == [middle["case_id"]]
    assert repeat["case_id"] == old["case_id"]
    first = agenda["cases"][0]
    assert first["repeat"] is True
    assert first["last_referral_date"] == (today - dt.timedelta(days=200)).isoformat()
    assert first["children_count"] == 1
    assert first["victim_name"]["value"] == "Kim Lee"


def test_publishing_versions_the_agenda_and_shows_the_difference(api):
    today = dt.date.today()
    at(api, today)
    a = refer(api, referral(victim="Ana Cruz", victim_dob="1992-03-04", yes=16))
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))
    published_v1 = api.client.post(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda/publish",
        json={},
        headers=api.headers(*COORDINATOR),
    )
    assert published_v1.status_code == 200, published_v1.text
    assert published_v1.json()["version"] == 1

    b = refer(api, referral(victim="Bea Hart", victim_dob="1993-05-06", yes=20))
    api.settle()
    v2 = api.client.post(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda/publish",
        json={},
        headers=api.headers(*COORDINATOR),
    ).json()
    api.settle()
    assert v2["version"] == 2
    assert v2["changes_since_previous_version"] == {
        "added": [b["case_id"]],
        "removed": [],
        "moved": [f"{a['case_id']}: 1 -> 2"],
        "moved_cases": [{"case_id": a["case_id"], "old_position": 1, "new_position": 2}],
    }
    shown = _agenda(api, meeting["meeting_id"])
    assert (shown["status"], shown["version"]) == ("published", 2)
    assert _agenda(api, meeting["meeting_id"], version=1)["cases"][0]["case_id"] == a["case_id"]


def test_late_referrals_are_added_only_when_the_coordinator_says_and_marked_late(api):
    today = dt.date.today()
    at(api, today)
    meeting = schedule(api, add_working_days(today, 2))  # cut-off already passed
    late = refer(api, referral(yes=16))
    api.settle()

    assert _agenda(api, meeting["meeting_id"])["cases"] == []
    published = api.client.post(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda/publish",
        json={"late_case_ids": [late["case_id"]]},
        headers=api.headers(*COORDINATOR),
    ).json()
    assert [(c["case_id"], c["late"]) for c in published["cases"]] == [(late["case_id"], True)]


def test_agenda_downloads_as_csv_and_printable_html_per_reader(api):
    today = dt.date.today()
    at(api, today)
    case = refer(api, referral(yes=16))
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))

    rows = list(csv.reader(io.StringIO(_agenda(api, meeting["meeting_id"], format="csv").text)))
    assert rows[0] == ["# OFFICIAL-SENSITIVE"]
    header, first = rows[1], rows[2]
    assert first[header.index("Case")] == case["case_reference"]
    assert first[header.index("Victim")] == "Jane Smith"

    html = _agenda(api, meeting["meeting_id"], format="html").text
    assert html.count("OFFICIAL-SENSITIVE") >= 2
    assert "page-break-before: always" in html
    assert "Jane Smith" in html and "John Smith" in html
    # the case by its reference, agencies by name, in the summary and on the case's page
    assert case["case_reference"] in html and case["case_id"] not in html
    assert "Oxfordshire IDVA service" in html and "idva-oxon" not in html


def test_each_reader_sees_what_their_agency_may_under_the_agreement(api):
    today = dt.date.today()
    at(api, today)
    case = refer(api, referral(yes=16))
    api.settle()

    def victim_as(agency: str, role: str) -> dict:
        response = api.client.get(
            f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(agency, role)
        )
        assert response.status_code == 200, response.text
        return response.json()["detail"]["victim"]

    chair = victim_as("marac-coord", "coordinator")
    assert chair["health_notes"]["value"] == "Anxiety; under the community mental health team"
    assert chair["ethnicity"]["value"] == "black"

    meeting = schedule(api, add_working_days(today, 10))
    housing = _agenda(api, meeting["meeting_id"], who=("housing-oxford", "agency_contact"))
    assert housing["cases"][0]["victim_name"]["value"] == "Jane Smith"
    html = _agenda(
        api, meeting["meeting_id"], who=("housing-oxford", "agency_contact"), format="html"
    )
    assert "Jane Smith" in html.text


# -- journeys 6 and 7: actions and what the referrer sees ------------------------------------


def test_actions_are_owned_closed_chased_and_carried_to_the_next_agenda(api):
    today = dt.date.today()
    at(api, today)
    case = refer(api, referral(yes=16))
    api.settle()
    first_meeting = schedule(api, add_working_days(today, 10))
    api.client.post(
        f"/api/marac/meetings/{first_meeting['meeting_id']}/agenda/publish",
        json={},
        headers=api.headers(*COORDINATOR),
    )
    coordinator = api.headers(*COORDINATOR)
    housing_action = api.client.post(
        "/api/marac/actions",
        json={
            "case_id": case["case_id"],
            "meeting_id": first_meeting["meeting_id"],
            "owner_agency": "housing-oxford",
            "description": "Fit a lock change and a sanctuary scheme",
            "due_date": (today + dt.timedelta(days=7)).isoformat(),
        },
        headers=coordinator,
    ).json()
    idva_action = api.client.post(
        "/api/marac/actions",
        json={
            "case_id": case["case_id"],
            "owner_agency": "idva-oxon",
            "description": "Safety plan with the victim",
            "due_date": (today + dt.timedelta(days=3)).isoformat(),
        },
        headers=coordinator,
    ).json()
    api.settle()

    # another agency may not close housing's action
    wrong = api.client.post(
        f"/api/marac/actions/{housing_action['action_id']}/status",
        json={"status": "done"},
        headers=api.headers("idva-oxon", "agency_contact"),
    )
    assert wrong.status_code == 403
    assert "only the owning agency (housing-oxford)" in wrong.json()["detail"]

    no_reason = api.client.post(
        f"/api/marac/actions/{idva_action['action_id']}/status",
        json={"status": "not_done"},
        headers=api.headers("idva-oxon", "agency_contact"),
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]

    done = api.client.post(
        f"/api/marac/actions/{idva_action['action_id']}/status",
        json={"status": "done", "note": "Safety plan agreed"},
        headers=api.headers("idva-oxon", "agency_contact"),
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    api.settle()

    # a week and a day later housing's action is overdue
    at(api, today + dt.timedelta(days=8))
    overdue = api.client.get(
        "/api/marac/actions",
        params={"agency": "housing-oxford", "overdue": "true"},
        headers=coordinator,
    ).json()
    assert [a["action_id"] for a in overdue] == [housing_action["action_id"]]
    assert overdue[0]["description"]["value"] == "Fit a lock change and a sanctuary scheme"

    # the referrer sees the listing and only her agency's actions
    at(api, add_working_days(today, 11))
    mine = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*IDVA)
    ).json()
    assert mine["listed_for"] == [
        {
            "meeting_id": first_meeting["meeting_id"],
            "meeting_date": first_meeting["meeting_date"],
            "heard": True,
        }
    ]
    assert [(a["action_id"], a["status"]) for a in mine["actions"]] == [
        (idva_action["action_id"], "done")
    ]
    # her own referral reads back in full, the perpetrator's address she typed included
    assert mine["detail"]["perpetrators"][0]["address"]["status"] == "shown"

    # the open housing action comes back on the next meeting's agenda for review
    at(api, today)
    second_meeting = schedule(api, add_working_days(today, 15))
    next_agenda = _agenda(api, second_meeting["meeting_id"])
    assert [a["action_id"] for a in next_agenda["actions_for_review"]] == [
        housing_action["action_id"]
    ]

    # and the case on the first meeting's agenda carries its open actions
    first = _agenda(api, first_meeting["meeting_id"])
    assert [a["action_id"] for a in first["cases"][0]["outstanding_actions"]] == [
        housing_action["action_id"]
    ]


def test_another_agency_cannot_read_a_referral_by_guessing_its_id(api):
    at(api, dt.date(2026, 11, 20))
    case = refer(api, referral(yes=16))
    api.settle()
    response = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*HOUSING)
    )
    assert response.status_code == 404


# -- journey 8: the quarterly return ---------------------------------------------------------


def test_quarterly_return_counts_the_cases_heard(api):
    today = dt.date.today()
    at(api, today)
    refer(api, referral(yes=16))  # black, female, not LGBT+, one child
    young = referral(victim="Omar Khan", victim_dob="2009-01-10", yes=15,
                     perpetrator="Zed Young", perpetrator_dob="2010-01-01")  # fmt: skip
    young["victim"].update(gender="male", ethnicity="white", lgbt="yes")
    young["children"].append({"name": "Ben Khan", "date_of_birth": "2024-02-02"})
    refer(api, young, who=HOUSING)
    api.settle()
    meeting = schedule(api, add_working_days(today, 10))
    api.client.post(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda/publish",
        json={},
        headers=api.headers(*COORDINATOR),
    )
    api.settle()
    meeting_day = dt.date.fromisoformat(meeting["meeting_date"])
    at(api, meeting_day + dt.timedelta(days=1))
    quarter = f"{meeting_day.year}Q{(meeting_day.month - 1) // 3 + 1}"

    response = api.client.get(
        "/api/marac/returns",
        params={"marac": "oxford", "quarter": quarter},
        headers=api.headers(*COORDINATOR),
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    meeting_row, total = rows
    assert meeting_row["Meeting date"] == meeting["meeting_date"]
    assert total["Meeting date"] == "Total"
    expected = {
        "Cases discussed": "2", "Repeat cases": "0", "Referrals from IDVAs": "1",
        "Referrals from housing": "1",
        "Victims from Black, Asian and racially minoritised groups": "1",
        "LGBT victims": "1", "Male victims": "1", "Children in the households": "3",
    }  # fmt: skip
    assert {k: total[k] for k in expected} == expected
    # aged 16-17 and perpetrators aged 17 or under depend on the meeting date: hand-check
    victim_age = meeting_day.year - 2009 - ((meeting_day.month, meeting_day.day) < (1, 10))
    assert total["Victims aged 16 or 17"] == ("1" if victim_age in (16, 17) else "0")
    perp_age = meeting_day.year - 2010 - ((meeting_day.month, meeting_day.day) < (1, 1))
    assert total["Perpetrators aged 17 or under"] == ("1" if perp_age <= 17 else "0")


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        (lambda b: b["dash"]["answers"].update(bruises="yes"), ["body", "dash", "answers"],
         "bruises"),
        (lambda b: b.pop("victim"), ["body", "victim"], "Field required"),
        (lambda b: b["perpetrators"][0].update(name=None, date_of_birth=None),
         ["body", "perpetrators", 0], "name, date of birth or an alias"),
        (lambda b: b["victim"].update(date_of_birth="2030-01-01"),
         ["body", "victim", "date_of_birth"], "in the future"),
        (lambda b: b.update(professional_judgement_reason="   ", dash={"answers": {}}),
         ["body", "professional_judgement_reason"], "reason"),
        (lambda b: b.update(victim_consented="no"), ["body"], "consent_override_reason"),
    ],
    ids=["unknown-dash-key", "missing-victim", "unidentifiable-perpetrator", "future-dob",
         "judgement-without-reason", "no-consent-without-reason"],
)  # fmt: skip
def test_bad_referrals_are_4xx_naming_the_field_and_publish_nothing(api, change, location, message):
    at(api, dt.date(2026, 11, 20))
    body = referral(yes=15)
    change(body)
    before = published(api, "marac.cases", "persons")
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*IDVA))
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"][: len(location)] == location
    assert message in error["msg"]
    assert published(api, "marac.cases", "persons") == before


def test_an_action_for_a_case_that_does_not_exist_is_refused(api):
    before = published(api, "marac.cases")
    response = api.client.post(
        "/api/marac/actions",
        json={"case_id": "c-nope", "owner_agency": "housing-oxford",
              "description": "Check tenancy", "due_date": "2026-12-01"},
        headers=api.headers(*COORDINATOR),
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "case_id"]
    assert published(api, "marac.cases") == before


def test_referrals_need_a_referrer_role(api):
    response = api.client.post(
        "/api/marac/referrals", json=referral(), headers=api.headers("tvp", "analyst")
    )
    assert response.status_code == 403
