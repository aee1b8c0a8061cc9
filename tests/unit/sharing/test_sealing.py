"""The one-walk publish encryption: the same tokens as encrypt_field, and the same refusals."""

import os

import pytest

from services.sharing.fields import EventSealer, cipher_for, decrypt_field, encrypt_field
from services.sharing.sealing import AlreadyEncrypted, ciphers_for, unsealed
from services.sharing.sensitive_schema import plan_for
from services.sharing.vault import KeyVault
from tests.unit.sharing.sample_schema import REFERRAL, referral

EVENT = "6d1f7a0e-8c3b-4d2a-9e5f-0a1b2c3d4e5f"


def test_a_sealed_token_is_an_encrypt_field_token() -> None:
    key = os.urandom(32)
    sealer = EventSealer(EVENT, 1)
    token = sealer.seal(cipher_for(key), "Jane", "victim.name", "victim.identity")
    assert decrypt_field(token, key, EVENT, "victim.name", "victim.identity") == "Jane"
    assert len(token) == len(encrypt_field("Jane", key, EVENT, "victim.name", "victim.identity"))
    with pytest.raises(Exception, match="failed authentication"):
        decrypt_field(token, key, EVENT, "victim.name", "victim.contact")


def test_more_fields_than_announced_still_get_fresh_nonces() -> None:
    key = os.urandom(32)
    sealer = EventSealer(EVENT, 1)
    tokens = {sealer.seal(cipher_for(key), "x", "victim.name", "victim.identity") for _ in range(3)}
    assert len(tokens) == 3


def test_a_value_that_is_already_a_token_is_refused(vault: KeyVault) -> None:
    plan = plan_for(REFERRAL)
    pending = unsealed(plan, referral())
    encrypted = pending.seal(EVENT, ciphers_for(vault.encryption_keys(pending.pairs)))
    with pytest.raises(AlreadyEncrypted, match="victim.name is already encrypted"):
        unsealed(plan, encrypted, refuse_tokens=True)


def test_the_input_record_is_not_changed(vault: KeyVault) -> None:
    record = referral()
    pending = unsealed(plan_for(REFERRAL), record)
    pending.seal(EVENT, ciphers_for(vault.encryption_keys(pending.pairs)))
    assert record == referral()


def test_a_bad_subject_id_creates_no_key(vault: KeyVault) -> None:
    with pytest.raises(ValueError, match="subject id"):
        vault.encryption_keys([("ok-1", "victim.identity"), ("x" * 200, "victim.identity")])
    assert not vault.has_keys("ok-1")
