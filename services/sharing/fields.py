"""Field encryption: one AES-256-GCM token per sensitive value.

The associated data binds each token to its event id, field path and data class, so a
token cut from one event or field and pasted into another fails to decrypt instead of
silently showing the wrong person's data. Tokens are text (`enc:v1:<base64url>`) so they
travel in ordinary Avro string fields.
"""

import base64
import binascii
import os
import re
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.sharing.errors import TamperedCiphertext

TOKEN_PREFIX = "enc:v1:"
ERASED_TOKEN = "enc:erased"
"""Written in place of a value about a subject already erased: nothing is encrypted (no key
may be made for them again) and nothing is kept; readers show the field as erased."""
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_BYTES = 32
_TOKEN = re.compile(r"enc:v1:[A-Za-z0-9_-]+")


def encrypt_field(
    value: str, key: bytes, event_id: str | UUID, field_path: str, data_class: str
) -> str:
    """Encrypt one value under a data key; a fresh random nonce every time."""
    if not isinstance(value, str):
        raise TypeError(f"{field_path}: only text can be encrypted, not {type(value).__name__}")
    nonce = os.urandom(_NONCE_BYTES)
    associated = associated_data(event_id, field_path, data_class)
    sealed = _aead(key).encrypt(nonce, value.encode("utf-8"), associated)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def decrypt_field(
    token: str, key: bytes, event_id: str | UUID, field_path: str, data_class: str
) -> str:
    """Decrypt a token; raises TamperedCiphertext if it is malformed or fails to authenticate."""
    raw = _token_bytes(token, field_path)
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    associated = associated_data(event_id, field_path, data_class)
    try:
        plaintext = _aead(key).decrypt(nonce, sealed, associated)
    except InvalidTag:
        raise TamperedCiphertext(f"{field_path}: token failed authentication") from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise TamperedCiphertext(f"{field_path}: decrypted value is not UTF-8") from None


def is_ciphertext(value: object) -> bool:
    """True for text shaped like a field token (it may still fail to authenticate)."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def is_erased_marker(value: object) -> bool:
    """True for the marker written instead of a value about an erased subject."""
    return value == ERASED_TOKEN


def is_field_value(value: object) -> bool:
    """What may stand in a sensitive field once encrypted: a token or the erased marker."""
    return is_ciphertext(value) or is_erased_marker(value)


def associated_data(event_id: str | UUID, field_path: str, data_class: str) -> bytes:
    """`tandem/v1|<event id>|<field path>|<data class>`; the parts may not contain `|`."""
    parts = (str(event_id), field_path, data_class)
    if any("|" in part or not part for part in parts):
        raise ValueError("event id, field path and data class must be non-empty, without '|'")
    return ("tandem/v1|" + "|".join(parts)).encode("utf-8")


def cipher_for(key: bytes) -> AESGCM:
    """The AES-GCM cipher of one data key, made once to seal many fields (``EventSealer``)."""
    return _aead(key)


class EventSealer:
    """``encrypt_field`` for the many fields of one event, without its per-call overheads.

    Each token is exactly what ``encrypt_field`` writes (a fresh random nonce, the same
    associated data, the same format); only the event id is checked once, the caller brings
    one cipher per data key, and the nonces for the event are drawn from the OS in one call.
    """

    def __init__(self, event_id: str | UUID, fields: int) -> None:
        event = str(event_id)
        if not event or "|" in event:
            raise ValueError("event id, field path and data class must be non-empty, without '|'")
        self._head = f"tandem/v1|{event}|"
        self._nonces = os.urandom(_NONCE_BYTES * fields)
        self._used = 0

    def seal(self, cipher: AESGCM, value: str, field_path: str, data_class: str) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{field_path}: only text can be encrypted, not {type(value).__name__}")
        if not field_path or not data_class or "|" in field_path or "|" in data_class:
            raise ValueError("event id, field path and data class must be non-empty, without '|'")
        start, end = self._used, self._used + _NONCE_BYTES
        if end > len(self._nonces):  # more fields than announced: never reuse a nonce
            self._nonces, start, end = os.urandom(_NONCE_BYTES), 0, _NONCE_BYTES
        self._used = end
        nonce = self._nonces[start:end]
        associated = f"{self._head}{field_path}|{data_class}".encode()
        sealed = cipher.encrypt(nonce, value.encode("utf-8"), associated)
        return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def _aead(key: bytes) -> AESGCM:
    if len(key) != _KEY_BYTES:
        raise ValueError(f"data keys are {_KEY_BYTES} bytes, not {len(key)}")
    return AESGCM(key)


def _token_bytes(token: str, field_path: str) -> bytes:
    if not is_ciphertext(token):
        raise TamperedCiphertext(f"{field_path}: not a field token")
    body = token[len(TOKEN_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise TamperedCiphertext(f"{field_path}: token is not valid base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != body:
        raise TamperedCiphertext(f"{field_path}: token is not canonical base64url")
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise TamperedCiphertext(f"{field_path}: token is too short")
    return raw
