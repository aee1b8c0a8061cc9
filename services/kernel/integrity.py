"""Integrity of whole events: a keyed, versioned MAC over the Kafka key and the encoded value.

AES-GCM already authenticates every *encrypted* field, but ids, dates, agencies and scores
travel in the clear, so without a MAC anyone who can write to a topic could, for example,
change ``referring_agency`` and give a referral to another agency. The MAC covers the whole
Confluent-framed value (envelope, every plaintext field and every token) and the message key,
so any change to any byte is caught. It travels as the ``tandem_mac`` header and is kept in
the event store beside the bytes.

Format: ``v1:<key id>:<base64url(HMAC-SHA256)>``. Keys live in an owner-only key ring file
(the same format as the local KEK file); ``tandem rotate-mac-key`` adds a key that signs from
then on, and events signed under a retired key still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from services.sharing.kek import LocalKeyFileProvider

HEADER = "tandem_mac"
_VERSION = "v1"
_DOMAIN = b"tandem/event-mac/v1\x00"


class IntegrityError(ValueError):
    """The event's MAC is missing, malformed or wrong: it was not produced by a Tandem key."""


class EventSigner:
    """Signs and checks events with the keys of one key ring."""

    def __init__(self, ring: LocalKeyFileProvider):
        self._ring = ring

    @classmethod
    def from_file(cls, path: Path) -> EventSigner:
        return cls(LocalKeyFileProvider(path))

    @property
    def current_key_id(self) -> str:
        return self._ring.current_key_id

    def rotate(self) -> str:
        return self._ring.rotate()

    def sign(self, key: bytes | None, value: bytes) -> bytes:
        """The header value for one message."""
        key_id, keys = self._ring.ring()
        digest = _mac(keys[key_id], key, value)
        return f"{_VERSION}:{key_id}:{base64.urlsafe_b64encode(digest).decode()}".encode()

    def check(self, key: bytes | None, value: bytes, header: bytes | None) -> None:
        """Raise IntegrityError unless ``header`` is a valid MAC of this key and value."""
        if not header:
            raise IntegrityError("integrity: the event carries no MAC (tandem_mac header)")
        try:
            version, key_id, encoded = header.decode("ascii").split(":", 2)
            claimed = base64.urlsafe_b64decode(encoded)
        except (UnicodeDecodeError, ValueError) as exc:
            raise IntegrityError("integrity: the event's MAC header is malformed") from exc
        if version != _VERSION:
            raise IntegrityError(f"integrity: unknown MAC version {version!r}")
        secret = self._ring.key(key_id)
        if secret is None:
            raise IntegrityError(f"integrity: the event is signed with unknown key {key_id!r}")
        if not hmac.compare_digest(claimed, _mac(secret, key, value)):
            raise IntegrityError(
                "integrity: the event's MAC does not match its bytes (changed after signing)"
            )


def header_of(headers) -> bytes | None:
    """The MAC header's value among a Kafka record's headers (a list of pairs), or None."""
    for name, value in headers or ():
        if name == HEADER:
            return value
    return None


def _mac(secret: bytes, key: bytes | None, value: bytes) -> bytes:
    key = key or b""
    message = _DOMAIN + len(key).to_bytes(4, "big") + key + value
    return hmac.new(secret, message, hashlib.sha256).digest()
