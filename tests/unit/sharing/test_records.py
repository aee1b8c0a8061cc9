"""Whole records: encrypted for the topic, decrypted per caller, verified at projection time."""

import base64
import copy
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import pytest

from services.sharing.agreements import load_agreement
from services.sharing.errors import SubjectErasedError, TamperedCiphertext
from services.sharing.fields import ERASED_TOKEN, is_ciphertext
from services.sharing.records import (
    AccessSummary,
    Protected,
    decrypt_record,
    encrypt_record,
    plaintext_values,
    to_jsonable,
    verify_record,
)
from services.sharing.vault import KeyVault
from tests.unit.sharing.sample_schema import REFERRAL, referral

EVENT = "6d1f7a0e-8c3b-4d2a-9e5f-0a1b2c3d4e5f"
V1 = Path(__file__).resolve().parents[3] / "agreements" / "thames-valley-da-isa" / "v1.yaml"

# Each value has a character outside the base64url alphabet, or is too long to turn up in a
# token by chance, so the leak scan below cannot fail at random.
EVERY_PLAINTEXT = [
    "Jane Smith",
    "1990-02-03",
    "12 Acacia Avenue, Oxford OX1 1AA",
    "Pregnant, 20 weeks",
    "John Doe",
    "Johnny D",
    "J.D.",
    "Two prior assaults",
    "Mark Roe",
    "1985-07-01",
    "Amy Smith",
    "St Mary's Primary",
    "01865 000000",
    "Threats to kill after separation",
]


def everything(data_class: str) -> bool:
    return True


def no_reason(data_class: str) -> str:
    raise AssertionError("nothing should be withheld")


def shown(value: str, data_class: str) -> Protected:
    return Protected("shown", data_class, value=value)


class RecordingVault:
    """The real vault, noting which keys were released."""

    def __init__(self, vault: KeyVault) -> None:
        self._vault = vault
        self.released: list[tuple[str, str]] = []

    def data_key_for_encryption(self, subject_id: str, data_class: str) -> bytes:
        return self._vault.data_key_for_encryption(subject_id, data_class)

    def data_key(self, subject_id: str, data_class: str) -> bytes | None:
        self.released.append((subject_id, data_class))
        return self._vault.data_key(subject_id, data_class)


@pytest.fixture
def encrypted(vault: KeyVault) -> dict[str, Any]:
    return encrypt_record(REFERRAL, referral(), EVENT, vault)


def test_plaintext_values_lists_every_sensitive_value() -> None:
    assert plaintext_values(REFERRAL, referral()) == EVERY_PLAINTEXT


def test_encryption_replaces_exactly_the_sensitive_values(encrypted: dict[str, Any]) -> None:
    original = referral()
    tokens = [
        encrypted["victim"]["name"],
        encrypted["victim"]["date_of_birth"],
        encrypted["victim"]["address"],
        encrypted["victim"]["health_notes"],
        encrypted["perpetrators"][0]["name"],
        *encrypted["perpetrators"][0]["aliases"],
        encrypted["perpetrators"][0]["offending_history"],
        encrypted["perpetrators"][1]["name"],
        encrypted["perpetrators"][1]["date_of_birth"],
        encrypted["children"][0]["name"],
        encrypted["children"][0]["school"],
        encrypted["referrer"]["phone"],
        encrypted["risk_summary"],
    ]
    assert len(tokens) == 14
    assert all(is_ciphertext(token) for token in tokens)
    # Structure stays in the clear; nulls stay null; empty arrays stay empty.
    assert encrypted["case_id"] == "case-1"
    assert encrypted["risk_level"] == "HIGH"
    assert encrypted["victim"]["person_id"] == "victim-1"
    assert encrypted["victim"]["area"] == "oxford"
    assert encrypted["perpetrators"][0]["date_of_birth"] is None
    assert encrypted["perpetrators"][1]["offending_history"] is None
    assert encrypted["perpetrators"][1]["aliases"] == []
    assert encrypted["previous_perpetrator"] is None
    assert encrypted["referrer"]["agency"] == "idva-oxon"
    assert referral() == original  # the input was not modified


def test_the_encrypted_record_serialises_without_leaking(encrypted: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(copy.deepcopy(REFERRAL)), encrypted)
    stored = buffer.getvalue()
    for value in EVERY_PLAINTEXT:
        assert value.encode() not in stored, value


def test_round_trip(vault: KeyVault, encrypted: dict[str, Any]) -> None:
    decrypted, summary = decrypt_record(REFERRAL, encrypted, EVENT, vault, everything, no_reason)
    assert decrypted["victim"] == {
        "person_id": "victim-1",
        "name": shown("Jane Smith", "victim.identity"),
        "date_of_birth": shown("1990-02-03", "victim.identity"),
        "address": shown("12 Acacia Avenue, Oxford OX1 1AA", "victim.address"),
        "health_notes": shown("Pregnant, 20 weeks", "victim.health"),
        "area": "oxford",
    }
    assert decrypted["perpetrators"] == [
        {
            "person_id": "perp-1",
            "name": shown("John Doe", "perpetrator.identity"),
            "date_of_birth": None,
            "aliases": [
                shown("Johnny D", "perpetrator.identity"),
                shown("J.D.", "perpetrator.identity"),
            ],
            "offending_history": shown("Two prior assaults", "offending.detail"),
        },
        {
            "person_id": "perp-2",
            "name": shown("Mark Roe", "perpetrator.identity"),
            "date_of_birth": shown("1985-07-01", "perpetrator.identity"),
            "aliases": [],
            "offending_history": None,
        },
    ]
    assert decrypted["children"] == [
        {
            "person_id": "child-1",
            "name": shown("Amy Smith", "children"),
            "school": shown("St Mary's Primary", "children"),
        }
    ]
    assert decrypted["referrer"]["phone"] == shown("01865 000000", "referrer.contact")
    assert decrypted["risk_summary"] == shown("Threats to kill after separation", "risk.narrative")
    assert decrypted["previous_perpetrator"] is None
    assert summary == AccessSummary(
        decrypted=(
            ("case-1", "risk.narrative"),
            ("child-1", "children"),
            ("perp-1", "offending.detail"),
            ("perp-1", "perpetrator.identity"),
            ("perp-2", "perpetrator.identity"),
            ("ref-7", "referrer.contact"),
            ("victim-1", "victim.address"),
            ("victim-1", "victim.health"),
            ("victim-1", "victim.identity"),
        )
    )


def test_an_optional_record_that_is_present_is_encrypted_too(vault: KeyVault) -> None:
    record = referral()
    record["previous_perpetrator"] = {
        "person_id": "perp-9",
        "name": "Old Partner",
        "date_of_birth": None,
        "aliases": ["OP"],
        "offending_history": None,
    }
    record["referrer"] = None
    encrypted = encrypt_record(REFERRAL, record, EVENT, vault)
    assert is_ciphertext(encrypted["previous_perpetrator"]["name"])
    assert is_ciphertext(encrypted["previous_perpetrator"]["aliases"][0])
    assert encrypted["referrer"] is None
    decrypted, _ = decrypt_record(REFERRAL, encrypted, EVENT, vault, everything, no_reason)
    assert decrypted["previous_perpetrator"]["name"] == shown("Old Partner", "perpetrator.identity")
    assert decrypted["previous_perpetrator"]["aliases"] == [shown("OP", "perpetrator.identity")]


def test_withheld_values_are_never_decrypted(vault: KeyVault, encrypted: dict[str, Any]) -> None:
    isa = load_agreement(V1)
    recording = RecordingVault(vault)

    def may_read(data_class: str) -> bool:
        return isa.may_read("housing-oxford", "marac", data_class)

    def reason(data_class: str) -> str:
        return isa.withheld_reason("housing-oxford", "marac", data_class)

    decrypted, summary = decrypt_record(REFERRAL, encrypted, EVENT, recording, may_read, reason)
    assert decrypted["victim"]["health_notes"] == Protected(
        "withheld",
        "victim.health",
        reason="withheld under thames-valley-da-isa v1: housing-oxford may not read "
        "victim.health for marac",
    )
    assert decrypted["victim"]["address"] == shown(
        "12 Acacia Avenue, Oxford OX1 1AA", "victim.address"
    )
    assert decrypted["perpetrators"][0]["offending_history"].status == "withheld"
    assert decrypted["perpetrators"][0]["name"] == shown("John Doe", "perpetrator.identity")
    assert sorted(set(recording.released)) == [
        ("case-1", "risk.narrative"),
        ("child-1", "children"),
        ("perp-1", "perpetrator.identity"),
        ("perp-2", "perpetrator.identity"),
        ("ref-7", "referrer.contact"),
        ("victim-1", "victim.address"),
        ("victim-1", "victim.identity"),
    ]
    assert summary.withheld == (("perp-1", "offending.detail"), ("victim-1", "victim.health"))
    assert ("victim-1", "victim.health") not in summary.decrypted


def test_erased_subjects_show_as_erased(vault: KeyVault, encrypted: dict[str, Any]) -> None:
    vault.erase("perp-1")
    decrypted, summary = decrypt_record(REFERRAL, encrypted, EVENT, vault, everything, no_reason)
    erased = Protected("erased", "perpetrator.identity", reason="erased on request")
    assert decrypted["perpetrators"][0]["name"] == erased
    assert decrypted["perpetrators"][0]["aliases"] == [erased, erased]
    assert decrypted["perpetrators"][0]["offending_history"] == Protected(
        "erased", "offending.detail", reason="erased on request"
    )
    assert decrypted["perpetrators"][1]["name"] == shown("Mark Roe", "perpetrator.identity")
    assert summary.erased == (("perp-1", "offending.detail"), ("perp-1", "perpetrator.identity"))
    assert "perp-1" not in {subject for subject, _ in summary.decrypted}


def test_nothing_new_is_encrypted_or_kept_for_an_erased_subject(vault: KeyVault) -> None:
    """A later event about an erased subject still records; their values are not kept."""
    vault.erase("victim-1")
    with pytest.raises(SubjectErasedError):
        vault.data_key_for_encryption("victim-1", "victim.identity")  # no key, ever again
    encrypted = encrypt_record(REFERRAL, referral(), EVENT, vault)
    assert encrypted["victim"]["name"] == ERASED_TOKEN
    assert is_ciphertext(encrypted["perpetrators"][0]["name"])  # others are encrypted
    verify_record(REFERRAL, encrypted, EVENT, vault)
    decrypted, summary = decrypt_record(REFERRAL, encrypted, EVENT, vault, everything, no_reason)
    assert decrypted["victim"]["name"] == Protected(
        "erased", "victim.identity", reason="erased on request"
    )
    assert decrypted["perpetrators"][1]["name"] == shown("Mark Roe", "perpetrator.identity")
    assert ("victim-1", "victim.identity") in summary.erased


def test_the_erased_marker_for_a_subject_not_erased_is_tampering(
    vault: KeyVault, encrypted: dict[str, Any]
) -> None:
    forged = copy.deepcopy(encrypted)
    forged["victim"]["name"] = ERASED_TOKEN  # hiding a living subject's value
    with pytest.raises(TamperedCiphertext):
        verify_record(REFERRAL, forged, EVENT, vault)
    with pytest.raises(TamperedCiphertext):
        decrypt_record(REFERRAL, forged, EVENT, vault, everything, no_reason)


def test_rendering_for_json(vault: KeyVault, encrypted: dict[str, Any]) -> None:
    vault.erase("child-1")
    decrypted, _ = decrypt_record(
        REFERRAL,
        encrypted,
        EVENT,
        vault,
        lambda data_class: data_class != "victim.health",
        lambda data_class: f"withheld under isa v1: no {data_class}",
    )
    rendered = to_jsonable(decrypted)
    assert rendered["victim"]["name"] == {
        "status": "shown",
        "data_class": "victim.identity",
        "value": "Jane Smith",
    }
    assert rendered["victim"]["health_notes"] == {
        "status": "withheld",
        "data_class": "victim.health",
        "reason": "withheld under isa v1: no victim.health",
    }
    assert rendered["children"][0]["school"] == {
        "status": "erased",
        "data_class": "children",
        "reason": "erased on request",
    }
    assert rendered["case_id"] == "case-1"


def test_protected_keeps_its_value_out_of_repr() -> None:
    assert "Jane" not in repr(shown("Jane", "victim.identity"))
    with pytest.raises(ValueError):
        Protected("withheld", "victim.health", value="leak")
    with pytest.raises(ValueError):
        Protected("shown", "victim.health")


def flip_a_byte(token: str) -> str:
    body = token.removeprefix("enc:v1:")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[14] ^= 0x01  # inside the ciphertext
    return "enc:v1:" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def swap(record: dict[str, Any], first: tuple[Any, ...], second: tuple[Any, ...]) -> None:
    def parent(path: tuple[Any, ...]) -> Any:
        node = record
        for step in path[:-1]:
            node = node[step]
        return node

    a, b = parent(first), parent(second)
    a[first[-1]], b[second[-1]] = b[second[-1]], a[first[-1]]


TAMPERINGS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("flipped-byte", lambda r: r["victim"].__setitem__("name", flip_a_byte(r["victim"]["name"]))),
    ("swapped-fields", lambda r: swap(r, ("victim", "name"), ("victim", "date_of_birth"))),
    (
        "swapped-aliases",
        lambda r: swap(r, ("perpetrators", 0, "aliases", 0), ("perpetrators", 0, "aliases", 1)),
    ),
    ("reordered-perpetrators", lambda r: r["perpetrators"].reverse()),
    ("subject-relabelled", lambda r: r["perpetrators"][1].__setitem__("person_id", "perp-1")),
    ("subject-unknown", lambda r: r["victim"].__setitem__("person_id", "victim-404")),
    ("subject-missing", lambda r: r["victim"].__setitem__("person_id", None)),
    ("plaintext-smuggled-in", lambda r: r["children"][0].__setitem__("school", "St Mary's")),
]


@pytest.mark.parametrize("tamper", [t[1] for t in TAMPERINGS], ids=[t[0] for t in TAMPERINGS])
def test_tampering_is_detected_on_decrypt_and_verify(
    vault: KeyVault, encrypted: dict[str, Any], tamper: Callable[[dict[str, Any]], None]
) -> None:
    tampered = copy.deepcopy(encrypted)
    tamper(tampered)
    with pytest.raises(TamperedCiphertext):
        decrypt_record(REFERRAL, tampered, EVENT, vault, everything, no_reason)
    with pytest.raises(TamperedCiphertext):
        verify_record(REFERRAL, tampered, EVENT, vault)


def test_a_record_replayed_under_another_event_id_fails(
    vault: KeyVault, encrypted: dict[str, Any]
) -> None:
    other_event = "6d1f7a0e-8c3b-4d2a-9e5f-0a1b2c3d4e60"
    with pytest.raises(TamperedCiphertext):
        verify_record(REFERRAL, encrypted, other_event, vault)


def test_verify_accepts_a_good_record_and_skips_erased_subjects(
    vault: KeyVault, encrypted: dict[str, Any]
) -> None:
    verify_record(REFERRAL, encrypted, EVENT, vault)
    vault.erase("perp-1")
    verify_record(REFERRAL, encrypted, EVENT, vault)
    tampered = copy.deepcopy(encrypted)
    swap(tampered, ("perpetrators", 0, "aliases", 0), ("perpetrators", 0, "aliases", 1))
    verify_record(REFERRAL, tampered, EVENT, vault)  # unreadable forever, so nothing to check


def test_encryption_needs_a_subject_id(vault: KeyVault) -> None:
    record = referral()
    record["victim"]["person_id"] = ""
    with pytest.raises(ValueError, match="victim.name: no subject id"):
        encrypt_record(REFERRAL, record, EVENT, vault)


def test_a_non_text_sensitive_value_is_refused(vault: KeyVault) -> None:
    record = referral()
    record["victim"]["date_of_birth"] = 19900203
    with pytest.raises(TypeError, match="victim.date_of_birth"):
        encrypt_record(REFERRAL, record, EVENT, vault)
