"""Fields classified late, and DASH answers split by data class, on a real broker and databases.

Hardening items 6 and 13: free text that reached the broker and the read models in the clear
(a perpetrator's relationship to the victim, who decided a MAPPA level, why MAPPA management
ended, why a perpetrator left the MATAC cohort), and DASH answers that showed housing the
victim's health because every answer sat in one risk.narrative token.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct

import fastavro
import pytest
from sqlalchemy import MetaData, select

from services.kernel.bus import read_dead_letters
from services.kernel.events import Event
from services.marac import queries
from services.sharing.records import encrypt_record, to_jsonable
from services.sharing.service import Caller
from tests.factories import referral_event
from tests.integration.mappa.helpers import level, ok, post, read, register
from tests.integration.marac.referral_data import PARTNER_KEYS, referral
from tests.integration.matac.scenario import OLDER, TODAY, A, police, record_scenario
from tests.integration.sharing.test_encryption import raw_bytes_of_every_topic, submit

pytestmark = pytest.mark.integration

HOUSING = ("housing-oxford", "referrer")
RELATIONSHIP = "Marker-relationship-5c1e: her stepbrother"
DECIDER = "Marker-decider-5c1e: level 2 panel, chair DI Example"
ENDED = "Marker-ended-5c1e: licence expired early"
LEFT = "Marker-left-5c1e: moved to Cumbria"
MARKERS = (RELATIONSHIP, DECIDER, ENDED, LEFT)

HEALTH = {"depressed_or_suicidal", "pregnant_or_recent_birth"}
CHILDREN = {"child_contact_conflict"}  # the partner form's only children question
OFFENDING = {
    "hurt_anyone_else",
    "substance_or_mental_health",
    "suicide_threats",
    "breached_bail_or_orders",
    "criminal_history",
}


def read_model_text(api) -> str:
    """Every row of every table in the platform database, as text."""
    tables = MetaData()
    tables.reflect(api.platform.engine)
    with api.platform.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in tables.sorted_tables
            for row in conn.execute(select(table))
        )


def all_yes() -> dict:
    return {"form": "partner", "answers": {k: "yes" for k in PARTNER_KEYS}}


def test_planted_markers_reach_neither_the_broker_nor_the_read_models(api):
    api.platform.today = lambda: TODAY
    body = referral(referral_date=TODAY.isoformat())
    body["perpetrators"][0]["relationship_to_victim"] = RELATIONSHIP
    case = submit(api, body, who=HOUSING)

    nominal_id = register(api)
    level(api, nominal_id, 2, "2026-01-19", decided_by=DECIDER)
    ok(post(api, nominal_id, "end", {"ended_on": "2026-03-01", "reason": ENDED}))

    record_scenario(api)
    joined = api.client.post(
        "/api/matac/cohort", json={"person_id": A, "joined_on": OLDER.isoformat()},
        headers=police(api),
    )  # fmt: skip
    assert joined.status_code == 201, joined.text
    api.settle()
    left = api.client.delete(f"/api/matac/cohort/{A}", params={"reason": LEFT}, headers=police(api))
    assert left.status_code == 200, left.text
    api.settle()

    # Each value is still there for a reader the agreement lets see it ...
    shown = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*HOUSING)
    ).json()
    assert shown["detail"]["perpetrators"][0]["relationship_to_victim"]["value"] == RELATIONSHIP
    probation = read(api, nominal_id, "probation-tv")
    assert probation["level_history"][0]["decided_by"]["value"] == DECIDER
    assert probation["ended_reason"]["value"] == ENDED
    cohort = api.client.get("/api/matac/cohort", params={"area": "oxford"}, headers=police(api))
    (member,) = [m for m in cohort.json()["members"] if m["person_id"] == A]
    assert member["exit_reason"]["value"] == LEFT

    # ... and withheld, naming the agreement, from one it does not.
    housing = read(api, nominal_id, "housing-oxford")
    for withheld in (housing["level_history"][0]["decided_by"], housing["ended_reason"]):
        assert withheld["status"] == "withheld"
        assert "may not read mappa.minutes for mappa" in withheld["reason"]

    topics = raw_bytes_of_every_topic(api)
    stored = read_model_text(api)
    assert [m for m in MARKERS if m.encode() in topics] == []
    assert [m for m in MARKERS if m in stored] == []


def test_housing_sees_the_dash_score_but_not_the_answers_on_health_or_offending(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    body = referral(referral_date="2026-11-20")
    body["dash"] = all_yes()
    case = submit(api, body)  # an IDVA's referral: housing's own would read back in full
    api.settle()

    response = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers("idva-oxon", "referrer")
    )
    assert response.status_code == 200, response.text
    assert response.json()["dash_score"] == 24  # the score stays: it is the count of yes answers
    row = _stored_referral(api, case["referral_id"])
    detail = _reveal(api, "housing-oxford", row)
    general = json.loads(detail["dash_answers"]["value"])
    assert set(general) == set(PARTNER_KEYS) - HEALTH - CHILDREN - OFFENDING
    assert json.loads(detail["dash_answers_children"]["value"]) == {"child_contact_conflict": "yes"}
    for field, data_class in (
        ("dash_answers_health", "victim.health"),
        ("dash_answers_offending", "offending.detail"),
    ):
        assert detail[field]["status"] == "withheld"
        assert detail[field]["reason"] == (
            f"withheld under thames-valley-da-isa v2: housing-oxford may not read {data_class} "
            "for marac"
        )
    assert "depressed_or_suicidal" not in json.dumps(detail)

    # A health trust reads the health answers, and still not the police history ones.
    health = _reveal(api, "health-ouh", row)
    assert json.loads(health["dash_answers_health"]["value"]) == {k: "yes" for k in HEALTH}
    assert health["dash_answers_offending"]["status"] == "withheld"


def test_events_written_before_the_classification_read_under_the_stricter_rule(api):
    """A v1 referral: relationship in the clear, every DASH answer in one risk.narrative token."""
    api.platform.today = lambda: dt.date(2026, 11, 20)
    event = referral_event(agency="housing-oxford")
    event.payload["dash_answers"] = json.dumps({k: "yes" for k in PARTNER_KEYS})
    event.payload["dash_score"] = 24
    _send(api, event, _v1_bytes(api.platform, event))
    api.settle()

    letters = read_dead_letters(
        api.platform.bootstrap, api.platform.topics.dead_letter("marac.cases")
    )
    assert letters == []
    row = _stored_referral(api, event.payload["referral_id"])
    assert row is not None
    housing = _reveal(api, "housing-oxford", row)
    assert housing["perpetrators"][0]["relationship_to_victim"] == {
        "status": "shown",
        "data_class": "perpetrator.identity",
        "value": "ex-partner",
    }
    assert set(json.loads(housing["dash_answers"]["value"])).isdisjoint(HEALTH | OFFENDING)
    assert housing["dash_answers_health"]["status"] == "withheld"
    assert housing["dash_answers_offending"]["status"] == "withheld"
    assert json.loads(housing["dash_answers_children"]["value"]) == {
        "child_contact_conflict": "yes"
    }
    police_view = _reveal(api, "tvp", row)
    assert json.loads(police_view["dash_answers_health"]["value"]) == {k: "yes" for k in HEALTH}


def test_plain_text_in_a_classified_field_of_a_new_event_is_dead_lettered(api):
    """Only a writer on a version before the classification may leave the field in the clear."""
    platform = api.platform
    event = referral_event(agency="housing-oxford")
    encrypted = platform.sharing.encrypt_event(event)
    encrypted.payload["perpetrators"][0]["relationship_to_victim"] = "ex-partner"
    _send(api, event, platform.codec.encode(encrypted))
    api.settle()

    letters = read_dead_letters(platform.bootstrap, platform.topics.dead_letter("marac.cases"))
    assert len(letters) == 1
    assert "relationship_to_victim: expected a field token" in letters[0][0].reason


# -- helpers -----------------------------------------------------------------------------------


def _stored_referral(api, referral_id: str):
    with api.platform.engine.connect() as conn:
        return queries.referral(conn, referral_id)


def _reveal(api, agency: str, row) -> dict:
    caller = Caller(user="u", agency=agency, role="agency_contact")
    revealed = api.platform.sharing.reveal(
        caller, "marac", "ReferralSubmitted", row["event_id"], row["payload"]
    )
    return to_jsonable(revealed.payload)


def _v1_bytes(platform, event: Event) -> bytes:
    """The event as a ReferralSubmitted v1 writer published it (before this change)."""
    v1 = platform.codec.catalogue.get("ReferralSubmitted", 1)
    record = platform.codec.validate(event)
    for name in ("dash_answers_health", "dash_answers_children", "dash_answers_offending"):
        record.pop(name)
    envelope = record.pop("envelope") | {"schema_version": 1}
    payload = encrypt_record(v1.definition, record, event.event_id, platform.sharing.vault)
    assert payload["perpetrators"][0]["relationship_to_victim"] == "ex-partner"  # in the clear
    buffer = io.BytesIO()
    buffer.write(struct.pack(">bI", 0, platform.codec.registry.id_for(v1)))
    fastavro.schemaless_writer(buffer, v1.parsed, {"envelope": envelope, **payload})
    return buffer.getvalue()


def _send(api, event: Event, data: bytes) -> None:
    key = event.payload["case_id"].encode()
    mac = api.platform.signer.sign(key, data)
    api.platform.publisher.send_raw(
        api.platform.topics.topic("marac.cases"), key, data, [("tandem_mac", mac)]
    )
