"""Erasure and the audit trail belong to the data controller of the record.

A DPO erases (and reads the access trail of) the subjects their agency recorded data about;
the DPO of a party the agreement names partnership-wide acts on any known subject. Anything
else answers 404, as an unknown subject does, so no DPO learns another agency's subjects
exist. An erasure is done once (409 after), and records who asked and why, the why
encrypted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from projections.sharing import erasure_log
from services.cli import main as tandem
from services.sharing.fields import decrypt_field, is_ciphertext
from services.sharing.vault_tables import data_keys
from tests.integration.marac.referral_data import referral
from tests.integration.sharing.test_encryption import raw_bytes_of_every_topic

pytestmark = pytest.mark.integration

REASON = "Right to erasure request ref DPO-2026-114 (Mrs Smith, by letter)"


def submit(api, body, who=("idva-oxon", "referrer")) -> dict:
    response = api.client.post("/api/marac/referrals", json=body, headers=api.headers(*who))
    assert response.status_code == 201, response.text
    return response.json()


def erase(api, subject_id: str, agency: str, reason: str = REASON):
    return api.client.post(
        "/api/sharing/erasures",
        json={"subject_id": subject_id, "reason": reason},
        headers=api.headers(agency, "dpo", user=f"dpo@{agency}"),
    )


def keys_of(api, subject_id: str) -> int:
    with api.platform.vault.engine.connect() as conn:
        return len(
            conn.execute(select(data_keys).where(data_keys.c.subject_id == subject_id)).all()
        )


def trail(api, subject_id: str, agency: str, role: str = "dpo"):
    return api.client.get(
        "/api/audit/access", params={"subject_id": subject_id}, headers=api.headers(agency, role)
    )


def test_another_agencys_dpo_cannot_erase_or_audit_the_subject(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, referral(yes=16))
    victim = case["victim"]["person_id"]
    api.settle()

    for agency in ("housing-oxford", "tvp"):  # neither recorded anything about her
        refused = erase(api, victim, agency)
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"no data subject {victim} in {agency}'s scope"
        assert trail(api, victim, agency).status_code == 404
    assert keys_of(api, victim) == 5  # nothing destroyed
    assert not api.platform.vault.is_erased(victim)
    # the same words as for a subject that does not exist: nothing is learnt by probing
    unknown = erase(api, "p-doesnotexist", "housing-oxford")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == ("no data subject p-doesnotexist in housing-oxford's scope")

    assert trail(api, victim, "idva-oxon").status_code == 200  # the referrer's DPO
    assert trail(api, victim, "marac-coord", "coordinator").status_code == 200  # partnership
    assert erase(api, victim, "idva-oxon").status_code == 201


def test_a_partnership_wide_dpo_erases_any_known_subject_and_no_unknown_one(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, referral(yes=16), who=("housing-oxford", "referrer"))
    api.settle()

    unknown = erase(api, "p-doesnotexist", "marac-coord")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no data subject p-doesnotexist in marac-coord's scope"
    assert not api.platform.vault.is_erased("p-doesnotexist")  # no tombstone for a typo

    erased = erase(api, case["victim"]["person_id"], "marac-coord")
    assert erased.status_code == 201, erased.text


def test_erasing_twice_is_refused_and_the_first_record_stands(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, referral(yes=16))
    victim = case["victim"]["person_id"]
    assert erase(api, victim, "idva-oxon").status_code == 201
    api.settle()

    again = erase(api, victim, "marac-coord", reason="A second request")
    assert again.status_code == 409, again.text
    assert again.json()["detail"] == (
        f"subject {victim} was already erased on {dt.datetime.now(dt.UTC):%Y-%m-%d}; "
        "an erasure is done once and cannot be repeated"
    )
    api.settle()
    with api.platform.engine.connect() as conn:
        (row,) = conn.execute(select(erasure_log)).all()
    assert (row.agency, row.requested_by, row.keys_destroyed) == ("idva-oxon", "dpo@idva-oxon", 5)


def test_the_erasure_records_who_asked_and_why_with_the_why_encrypted(api):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, referral(yes=16))
    victim = case["victim"]["person_id"]
    response = erase(api, victim, "idva-oxon")
    assert response.status_code == 201, response.text
    api.settle()

    with api.platform.engine.connect() as conn:
        row = conn.execute(select(erasure_log).where(erasure_log.c.subject_id == victim)).one()
    assert (row.requested_by, row.requested_by_agency, row.trigger) == (
        "dpo@idva-oxon",
        "idva-oxon",
        "request",
    )
    assert (row.agency, row.actor) == ("idva-oxon", "dpo@idva-oxon")
    assert is_ciphertext(row.reason) and REASON not in row.reason
    key = api.platform.vault.data_key(row.erasure_id, "erasure.reason")
    assert (
        decrypt_field(
            row.reason, key, response.json()["event_id"], "request_reason", "erasure.reason"
        )
        == REASON
    )
    api.relay.drain()
    assert REASON.encode() not in raw_bytes_of_every_topic(api)
    assert b"DPO-2026-114" not in raw_bytes_of_every_topic(api)


def test_tandem_erase_is_scoped_and_refuses_twice(api, monkeypatch, capsys):
    api.platform.today = lambda: dt.date(2026, 11, 20)
    case = submit(api, referral(yes=16))
    victim = case["victim"]["person_id"]
    api.settle()
    settings = api.platform.settings
    monkeypatch.setenv("TANDEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANDEM_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TANDEM_VAULT_DATABASE_URL", settings.vault_database_url)
    monkeypatch.setenv("TANDEM_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("TANDEM_KAFKA_BOOTSTRAP", api.platform.bootstrap)
    base = ["erase", victim, "--reason", "Court order 2026/77"]

    with pytest.raises(SystemExit) as missing:
        tandem(base)  # who asked is required
    assert missing.value.code == 2
    with pytest.raises(SystemExit) as out_of_scope:
        tandem([*base, "--requested-by", "H. Dpo", "--agency", "housing-oxford"])
    assert str(out_of_scope.value) == (
        f"tandem erase: no data subject {victim} in housing-oxford's scope"
    )
    assert keys_of(api, victim) == 5

    assert tandem([*base, "--requested-by", "I. Dpo", "--agency", "idva-oxon"]) == 0
    assert f"erased {victim}: 5 data key(s) destroyed" in capsys.readouterr().out
    with pytest.raises(SystemExit) as twice:
        tandem([*base, "--requested-by", "A. Dpo"])
    assert "was already erased" in str(twice.value)
    api.settle()
    with api.platform.engine.connect() as conn:
        row = conn.execute(select(erasure_log).where(erasure_log.c.subject_id == victim)).one()
    assert (row.requested_by, row.requested_by_agency, row.actor) == ("I. Dpo", "idva-oxon", "cli")


def test_partnership_wide_is_per_purpose(api):
    """The MARAC coordination team has no part in MAPPA: its DPO cannot erase a nominal."""
    from tests.integration.mappa.helpers import register, set_today

    set_today(api, dt.date(2026, 5, 20))
    nominal = register(api)  # by probation-tv
    api.settle()

    assert erase(api, nominal, "marac-coord").status_code == 404
    assert trail(api, nominal, "marac-coord", "coordinator").status_code == 404
    assert trail(api, nominal, "mappa-coord").status_code == 200
    assert erase(api, nominal, "mappa-coord").status_code == 201
