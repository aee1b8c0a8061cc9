"""Field-level encryption enforcing the ISA, end to end on a real broker and databases."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import select

from projections.sharing import erasure_log
from services.cli import main as tandem
from services.kernel.bus import end_offsets, read_dead_letters
from services.kernel.events import new_event
from services.marac import queries
from services.sharing.agreements import load_agreement_set
from services.sharing.records import to_jsonable
from services.sharing.service import AgreementCatalogue, Caller
from services.sharing.vault_tables import data_keys
from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration

AGREEMENTS = Path(__file__).resolve().parents[3] / "agreements"
IDVA = ("idva-oxon", "referrer")
COORDINATOR = ("marac-coord", "coordinator")


def submit(api, body, who=IDVA) -> dict:
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*who))
    assert response.status_code == 201, response.text
    return response.json()


def full_referral(**kwargs) -> dict:
    """A referral that fills a field of every MARAC data class."""
    body = referral(**kwargs)
    body["referrer"]["phone"] = "01865 555 0101"
    body["victim"].update(pregnant="no", interpreter_language="Polish")
    body["perpetrators"][0]["aliases"] = ["Johnny Smithers"]
    body["police"] = {"crime_reference": "43260012345", "bail_conditions": "Not to enter Cowley",
                      "orders": "DVPO granted 2026-10-01"}  # fmt: skip
    body["feared_person"] = "Her ex-partner's brother"
    return body


SENSITIVE_VALUES = [
    "Jane Smith", "1990-02-03", "12 Cowley Road", "07700 900123", "Anxiety; under the community",
    "John Smith", "1987-06-30", "4 Iffley Road", "Amy Smith", "2018-04-01", "St Mary's Primary",
    "Strangled during an argument", "Sam Patel", "sam.patel@idva.example", "01865 555 0101",
    "Johnny Smithers", "43260012345", "Not to enter Cowley", "DVPO granted", "Polish",
    "Her ex-partner's brother", "Fit a lock change",
]  # fmt: skip


def raw_bytes_of_every_topic(api) -> bytes:
    consumer = KafkaConsumer(bootstrap_servers=api.platform.bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=2000)  # fmt: skip
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in api.platform.topics.all_topics()
            for p in (consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return b"\n".join(r.value + (r.key or b"") for r in consumer)
    finally:
        consumer.close()


def test_no_sensitive_plaintext_reaches_any_topic(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, full_referral(yes=16))
    submit(api, full_referral(yes=15, judgement="x"), who=("housing-oxford", "referrer"))
    api.settle()
    response = api.client.post(
        "/api/marac/actions",
        json={"case_id": case["case_id"], "owner_agency": "housing-oxford",
              "description": "Fit a lock change", "due_date": "2026-12-01"},
        headers=api.headers(*COORDINATOR),
    )  # fmt: skip
    assert response.status_code == 201
    api.settle()
    api.client.get(f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*IDVA))

    stored = raw_bytes_of_every_topic(api)
    assert b"enc:v1:" in stored  # the fields are there, encrypted
    leaked = [v for v in SENSITIVE_VALUES if v.encode() in stored]
    assert leaked == []


def _stored_referral(api, referral_id: str):
    with api.platform.engine.connect() as conn:
        return queries.referral(conn, referral_id)


def _field_classes(value, found: dict | None = None) -> dict[str, set[str]]:
    """data class -> statuses seen, over a revealed payload."""
    found = {} if found is None else found
    if isinstance(value, dict) and "data_class" in value and "status" in value:
        found.setdefault(value["data_class"], set()).add(value["status"])
    elif isinstance(value, dict):
        for item in value.values():
            _field_classes(item, found)
    elif isinstance(value, list):
        for item in value:
            _field_classes(item, found)
    return found


def test_every_party_reads_a_field_if_and_only_if_the_agreement_says_so(api):
    """Granted classes, plus everything in the referring agency's own referral
    (`originator_reads_own`)."""
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, full_referral(yes=16))
    api.settle()
    row = _stored_referral(api, case["referral_id"])
    agreement = load_agreement_set(AGREEMENTS).current(
        "thames-valley-da-isa", dt.date(2026, 11, 20)
    )

    checked = 0
    for party in agreement.parties:
        caller = Caller(user="matrix", agency=party.agency_id, role="agency_contact")
        revealed = api.platform.sharing.reveal(
            caller, "marac", "ReferralSubmitted", row["event_id"], row["payload"]
        )
        statuses = _field_classes(to_jsonable(revealed.payload))
        for data_class, seen in statuses.items():
            granted = agreement.may_read(party.agency_id, "marac", data_class)
            own = agreement.originator_reads_own and party.agency_id == IDVA[0]
            expected = "shown" if granted or own else "withheld"
            assert seen == {expected}, (party.agency_id, data_class, seen)
            checked += 1
    classes = {
        "victim.identity", "victim.contact", "victim.address", "victim.health",
        "victim.demographics", "children", "perpetrator.identity", "perpetrator.contact",
        "offending.detail", "risk.narrative", "referrer.contact",
    }  # fmt: skip
    assert checked == len(agreement.parties) * len(classes)


def test_housing_and_health_see_what_the_agreement_gives_them(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, full_referral(yes=16))
    api.settle()
    row = _stored_referral(api, case["referral_id"])

    def victim_as(agency):
        caller = Caller(user="u", agency=agency, role="agency_contact")
        revealed = api.platform.sharing.reveal(
            caller, "marac", "ReferralSubmitted", row["event_id"], row["payload"]
        )
        return to_jsonable(revealed.payload)

    housing = victim_as("housing-oxford")
    assert housing["victim"]["address"]["value"] == "12 Cowley Road, Oxford OX4 1AA"
    assert housing["victim"]["health_notes"]["status"] == "withheld"
    assert housing["victim"]["health_notes"]["reason"] == (
        "withheld under thames-valley-da-isa v2: housing-oxford may not read victim.health "
        "for marac"
    )
    health = victim_as("health-ouh")
    assert health["victim"]["health_notes"]["value"].startswith("Anxiety")
    assert health["police"]["crime_reference"]["status"] == "withheld"  # no police history


def test_an_agreement_change_takes_effect_on_reads_without_republishing(api, tmp_path):
    agreements = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, agreements)
    api.platform.sharing.agreements = AgreementCatalogue(agreements)
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, full_referral(yes=16))
    api.settle()
    row = _stored_referral(api, case["referral_id"])
    housing = Caller(user="u", agency="housing-oxford", role="agency_contact")

    def address():
        revealed = api.platform.sharing.reveal(
            housing, "marac", "ReferralSubmitted", row["event_id"], row["payload"]
        )
        return to_jsonable(revealed.payload)["victim"]["address"]

    assert address()["status"] == "shown"
    topics = api.platform.topics.all_topics()
    before = end_offsets(api.platform.bootstrap, topics)

    v2 = (agreements / "thames-valley-da-isa" / "v2.yaml").read_text()
    start = v2.index("  - agency: housing-oxford")
    block_end = v2.index("  - agency:", start + 10)
    housing_block = v2[start:block_end].replace("        - victim.address\n", "", 1)
    v3 = v2[:start] + housing_block + v2[block_end:]
    v3 = v3.replace("\nversion: 2\n", "\nversion: 3\n").replace(
        "effective_from: 2025-04-01", "effective_from: 2026-11-20"
    )
    (agreements / "thames-valley-da-isa" / "v3.yaml").write_text(v3)

    withheld = address()
    assert withheld["status"] == "withheld"
    assert "thames-valley-da-isa v3" in withheld["reason"]
    assert end_offsets(api.platform.bootstrap, topics) == before  # nothing republished


def test_kek_rotation_keeps_every_event_readable(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, full_referral(yes=16))
    api.settle()
    vault = api.platform.vault
    with vault._engine.connect() as conn:
        before = {r.kek_id for r in conn.execute(select(data_keys)).all()}

    new_kek = vault._kek.rotate()
    rewrapped = vault.rotate_kek()

    with vault._engine.connect() as conn:
        after = {r.kek_id for r in conn.execute(select(data_keys)).all()}
    assert rewrapped > 0 and after == {new_kek} and new_kek not in before
    vault._cache.clear()
    view = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*COORDINATOR)
    ).json()
    assert view["detail"]["victim"]["name"]["value"] == "Jane Smith"
    assert view["detail"]["police"]["crime_reference"]["value"] == "43260012345"


def test_erasure_shreds_the_subject_everywhere_and_replay_still_works(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, full_referral(yes=16))
    api.settle()
    victim_id = case["victim"]["person_id"]

    refused = api.client.post("/api/sharing/erasures", json={"subject_id": victim_id,
                              "reason": "request"}, headers=api.headers(*COORDINATOR))  # fmt: skip
    assert refused.status_code == 403
    erased = api.client.post(
        "/api/sharing/erasures",
        json={"subject_id": victim_id, "reason": "Erasure request DPO-2026-114"},
        headers=api.headers("idva-oxon", "dpo"),  # the referring agency: its record
    )
    assert erased.status_code == 201, erased.text
    assert erased.json()["keys_destroyed"] == 5  # identity, address, contact, demographics, health
    api.settle()

    def victim():
        view = api.client.get(
            f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*COORDINATOR)
        ).json()
        return view

    after = victim()
    assert after["detail"]["victim"]["name"] == {
        "status": "erased", "data_class": "victim.identity", "reason": "erased on request",
    }  # fmt: skip
    assert after["detail"]["perpetrators"][0]["name"]["value"] == "John Smith"
    assert after["dash_score"] == 16

    projector = api.platform.projector("marac")
    projector.reset()
    projector.catch_up(timeout=60)
    projector.close()
    replayed = victim()
    assert replayed["detail"]["victim"]["address"]["status"] == "erased"
    assert replayed["detail"]["children"][0]["name"]["value"] == "Amy Smith"

    assert api.platform.vault.data_key(victim_id, "victim.identity") is None
    with api.platform.vault._engine.connect() as conn:
        assert (
            conn.execute(select(data_keys).where(data_keys.c.subject_id == victim_id)).all() == []
        )
    with api.platform.engine.connect() as conn:
        logged = conn.execute(select(erasure_log)).one()
    assert (logged.subject_id, logged.agency) == (victim_id, "idva-oxon")


def test_tandem_erase_from_the_command_line(api, monkeypatch, capsys):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, full_referral(yes=16))
    api.settle()
    child_id = _stored_referral(api, case["referral_id"])["payload"]["children"][0]["person_id"]
    settings = api.platform.settings
    monkeypatch.setenv("TANDEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANDEM_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TANDEM_VAULT_DATABASE_URL", settings.vault_database_url)
    monkeypatch.setenv("TANDEM_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("TANDEM_KAFKA_BOOTSTRAP", api.platform.bootstrap)

    assert tandem(["erase", child_id, "--reason", "Court order 2026/77",
                   "--requested-by", "A. Dpo (partnership DPO)"]) == 0  # fmt: skip
    assert f"erased {child_id}: 1 data key(s) destroyed" in capsys.readouterr().out
    api.platform.vault._cache.clear()  # another process: its cached keys expire (60 s)
    api.settle()
    view = api.client.get(
        f"/api/marac/referrals/{case['referral_id']}", headers=api.headers(*COORDINATOR)
    ).json()
    assert view["detail"]["children"][0]["school"]["status"] == "erased"


def test_a_flipped_byte_in_a_ciphertext_sends_the_event_to_the_dead_letter_topic(api):
    platform = api.platform
    event = new_event(
        "RiskAssessed",
        {"case_id": "c-1", "assessed_on": dt.date(2026, 11, 20), "dash_form": "partner",
         "dash_answers": '{"injury": "yes"}', "dash_score": 1, "risk_level": "standard",
         "narrative": "New incident reported by the school"},
        aggregate_id="c-1", agency="idva-oxon", actor="u",
    )  # fmt: skip
    data = bytearray(platform.codec.encode(platform.sharing.encrypt_event(event)))
    position = bytes(data).index(b"enc:v1:") + len("enc:v1:") + 20
    data[position] = ord("A") if data[position] != ord("A") else ord("B")
    # signed after the change, as by someone holding the MAC key: AES-GCM must still catch it
    mac = platform.signer.sign(b"c-1", bytes(data))
    platform.publisher.send_raw(
        platform.topics.topic("marac.cases"), b"c-1", bytes(data), [("tandem_mac", mac)]
    )
    api.settle()

    letters = read_dead_letters(platform.bootstrap, platform.topics.dead_letter("marac.cases"))
    assert len(letters) == 1
    letter, original = letters[0]
    assert letter.reason.startswith("tampered ciphertext")
    assert original == bytes(data)


def test_near_matches_are_queued_and_a_coordinator_decision_is_an_event(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    jane = submit(api, referral(yes=16))
    api.settle()
    smyth = submit(api, referral(yes=16, victim="J. Smyth", perpetrator="Tom Jones"),
                   who=("housing-oxford", "referrer"))  # fmt: skip
    assert smyth["victim"]["match"] == "near"
    assert smyth["victim"]["person_id"] != jane["victim"]["person_id"]
    api.settle()

    queue = api.client.get("/api/persons/matches", headers=api.headers(*COORDINATOR)).json()
    assert [(m["person_id"], m["candidate_person_id"]) for m in queue] == [
        (smyth["victim"]["person_id"], jane["victim"]["person_id"])
    ]
    assert queue[0]["variants"] == ["initial_surname_dob", "phonetic_dob"] or queue[0][
        "variants"
    ] == ["phonetic_dob"]
    decided = api.client.post(
        f"/api/persons/matches/{queue[0]['proposal_id']}/decision",
        json={"decision": "confirmed"},
        headers=api.headers(*COORDINATOR),
    )
    assert decided.status_code == 200
    api.settle()
    assert api.client.get("/api/persons/matches", headers=api.headers(*COORDINATOR)).json() == []
    confirmed = api.client.get(
        "/api/persons/matches", params={"status": "confirmed"}, headers=api.headers(*COORDINATOR)
    ).json()
    assert confirmed[0]["decided_by"] == "coordinator@marac-coord (marac-coord)"
    again = api.client.post(
        f"/api/persons/matches/{queue[0]['proposal_id']}/decision",
        json={"decision": "rejected"},
        headers=api.headers(*COORDINATOR),
    )
    assert again.status_code == 409


def test_the_audit_trail_answers_who_saw_this_victim(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, referral(yes=16))
    api.settle()
    victim_id = case["victim"]["person_id"]
    url = f"/api/marac/referrals/{case['referral_id']}"
    api.client.get(url, headers=api.headers("idva-oxon", "referrer", user="alice"))
    api.client.get(url, headers=api.headers("marac-coord", "coordinator", user="carol"))
    api.client.get(url, headers=api.headers("idva-oxon", "referrer", user="alice"))
    api.settle()

    report = api.client.get(
        "/api/audit/access",
        params={"subject_id": victim_id},
        headers=api.headers("idva-oxon", "dpo"),  # the referrer's DPO: its victim's trail
    ).json()
    assert [(a["user"], a["agency"]) for a in report["accesses"]] == [
        ("alice", "idva-oxon"), ("carol", "marac-coord"), ("alice", "idva-oxon"),
    ]  # fmt: skip
    first = report["accesses"][0]
    assert first["route"] == f"GET {url}"
    assert first["purpose"] == "marac"
    assert (first["agreement_id"], first["agreement_version"]) == ("thames-valley-da-isa", 2)
    assert set(first["data_classes"]) == {
        "victim.identity", "victim.address", "victim.contact", "victim.demographics",
        "victim.health",
    }  # fmt: skip


def test_an_erased_victim_referred_again_is_a_new_person(api):
    idva = api.headers("idva-oxon", "referrer")
    first = submit(api, referral(yes=16))
    victim = first["victim"]["person_id"]
    erased = api.client.post(
        "/api/sharing/erasures",
        json={"subject_id": victim, "reason": "Right to erasure request DPO-2026-001"},
        headers=api.headers("idva-oxon", "dpo"),
    )
    assert erased.status_code == 201, erased.text
    again = api.client.post("/api/marac/referrals", json=referral(yes=16), headers=idva)
    assert again.status_code == 201, again.text
    assert again.json()["victim"]["person_id"] != victim
    assert again.json()["victim"]["match"] != "exact"
