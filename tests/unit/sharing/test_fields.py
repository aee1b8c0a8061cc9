"""Field tokens: round trip, and refusal of anything altered or moved."""

import base64

import pytest

from services.sharing.errors import TamperedCiphertext
from services.sharing.fields import (
    associated_data,
    decrypt_field,
    encrypt_field,
    is_ciphertext,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
EVENT = "0b9f3c52-2a47-4a55-9d42-6a1e8d1e2f10"
PATH = "victim.name"
CLASS = "victim.identity"


def token_bytes(token: str) -> bytes:
    body = token.removeprefix("enc:v1:")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def as_token(raw: bytes) -> str:
    return "enc:v1:" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_round_trip_including_unicode_and_empty() -> None:
    for value in ("Jane Smith", "Zoë Ní Bhriain", "", "12 Acacia Avenue, Oxford OX1 1AA"):
        token = encrypt_field(value, KEY, EVENT, PATH, CLASS)
        assert decrypt_field(token, KEY, EVENT, PATH, CLASS) == value


def test_token_format() -> None:
    token = encrypt_field("Jane Smith", KEY, EVENT, PATH, CLASS)
    assert token.startswith("enc:v1:")
    assert "=" not in token
    assert len(token_bytes(token)) == 12 + 10 + 16  # nonce, "Jane Smith", tag
    assert "Jane Smith" not in token


def test_each_encryption_uses_a_fresh_nonce() -> None:
    first = encrypt_field("Jane", KEY, EVENT, PATH, CLASS)
    second = encrypt_field("Jane", KEY, EVENT, PATH, CLASS)
    assert first != second
    assert token_bytes(first)[:12] != token_bytes(second)[:12]


def test_the_associated_data_names_event_path_and_class() -> None:
    assert associated_data(EVENT, PATH, CLASS) == (
        b"tandem/v1|0b9f3c52-2a47-4a55-9d42-6a1e8d1e2f10|victim.name|victim.identity"
    )


@pytest.mark.parametrize("position", [0, 11, 12, 15, 16, 31])
def test_a_flipped_byte_anywhere_is_detected(position: int) -> None:
    raw = bytearray(token_bytes(encrypt_field("Jane", KEY, EVENT, PATH, CLASS)))
    raw[position] ^= 0x01
    with pytest.raises(TamperedCiphertext):
        decrypt_field(as_token(bytes(raw)), KEY, EVENT, PATH, CLASS)


@pytest.mark.parametrize(
    ("event_id", "path", "data_class", "key"),
    [
        ("0b9f3c52-2a47-4a55-9d42-6a1e8d1e2f11", PATH, CLASS, KEY),
        (EVENT, "victim.address", CLASS, KEY),
        (EVENT, "perpetrators[0].name", CLASS, KEY),
        (EVENT, PATH, "perpetrator.identity", KEY),
        (EVENT, PATH, CLASS, OTHER_KEY),
    ],
    ids=["wrong-event", "wrong-field", "wrong-array-position", "wrong-class", "wrong-key"],
)
def test_a_token_moved_elsewhere_fails(event_id: str, path: str, data_class: str, key: bytes):
    token = encrypt_field("Jane", KEY, EVENT, PATH, CLASS)
    with pytest.raises(TamperedCiphertext):
        decrypt_field(token, key, event_id, path, data_class)


@pytest.mark.parametrize(
    "token",
    [
        "Jane Smith",
        "enc:v1:",
        "enc:v2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "enc:v1:AAAA",  # too short to hold a nonce and a tag
        "enc:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",  # padding is not part of the format
        "enc:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  # not a whole number of bytes
        "enc:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  # non-zero padding bits
        "enc:v1:AAAAAAAA+/AAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # standard, not url-safe, alphabet
    ],
)
def test_malformed_tokens_are_tampered(token: str) -> None:
    with pytest.raises(TamperedCiphertext):
        decrypt_field(token, KEY, EVENT, PATH, CLASS)


def test_is_ciphertext() -> None:
    assert is_ciphertext(encrypt_field("Jane", KEY, EVENT, PATH, CLASS))
    assert not is_ciphertext("Jane")
    assert not is_ciphertext("enc:v1:")
    assert not is_ciphertext(None)
    assert not is_ciphertext(b"enc:v1:AAAA")


def test_only_text_is_encrypted() -> None:
    with pytest.raises(TypeError):
        encrypt_field(1990, KEY, EVENT, PATH, CLASS)  # type: ignore[arg-type]


def test_keys_must_be_256_bits() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encrypt_field("Jane", KEY[:16], EVENT, PATH, CLASS)


def test_separators_cannot_be_smuggled_into_the_associated_data() -> None:
    with pytest.raises(ValueError):
        encrypt_field("Jane", KEY, EVENT + "|victim.name", "x", CLASS)
