"""Key-encryption-key (KEK) providers: what wraps the data keys the vault stores.

The vault only ever stores data keys wrapped by a KEK, so a copy of the vault's tables
alone reveals nothing. The local key file is the embedded default; a cloud KMS or a
Vault transit engine can implement the same three-member protocol for production.
"""

import base64
import json
import os
import threading
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.sharing.errors import KekError, KeyFileError
from services.sharing.secret_files import read_or_create_private_file, replace_private_file

_FORMAT = "tandem-local-kek/v1"
_KEY_BYTES = 32
_NONCE_BYTES = 12


class KekProvider(Protocol):
    """Wraps and unwraps data keys; each wrapped key is tagged with the KEK that wrapped it."""

    @property
    def current_key_id(self) -> str:
        """The id of the KEK that `wrap` uses now."""
        ...

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """Encrypt a data key under the current KEK; returns (key id, wrapped bytes)."""
        ...

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        """Decrypt a data key wrapped by the KEK `key_id` (current or retired)."""
        ...


class LocalKeyFileProvider:
    """A key ring in an owner-only JSON file: one current KEK and any retired ones.

    The file is created on first use. `rotate()` adds a new current key and keeps the old
    ones so existing wrapped keys still open until the vault rewraps them.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._current: str | None = None
        self._keys: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"LocalKeyFileProvider({str(self.path)!r})"

    @property
    def current_key_id(self) -> str:
        current, _ = self._ring()
        return current

    def ring(self) -> tuple[str, dict[str, bytes]]:
        """The current key id and every key (for other keyed uses of the same file format)."""
        return self._ring()

    def key(self, key_id: str) -> bytes | None:
        """One key by id, rereading the file once if another process rotated it."""
        _, keys = self._ring()
        if key_id not in keys:
            keys = self._reload()
        return keys.get(key_id)

    @property
    def key_ids(self) -> list[str]:
        """Every KEK id in the ring, current included."""
        _, keys = self._ring()
        return sorted(keys)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        current, keys = self._ring()
        nonce = os.urandom(_NONCE_BYTES)
        wrapped = AESGCM(keys[current]).encrypt(nonce, data_key, _associated_data(current))
        return current, nonce + wrapped

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        _, keys = self._ring()
        if key_id not in keys:
            keys = self._reload()  # another process may have rotated the ring since we read it
        kek = keys.get(key_id)
        if kek is None:
            raise KekError(f"key-encryption key {key_id!r} is not in {self.path}")
        nonce, body = wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:]
        try:
            return AESGCM(kek).decrypt(nonce, body, _associated_data(key_id))
        except (InvalidTag, ValueError) as error:
            raise KekError(f"data key wrapped by {key_id!r} failed to unwrap") from error

    def rotate(self) -> str:
        """Add a fresh key and make it current; returns its id. Retired keys stay usable."""
        with self._lock:
            current, keys = self._load()
            new_id = f"local-{max(_sequence(k) for k in keys) + 1}"
            keys = {**keys, new_id: os.urandom(_KEY_BYTES)}
            replace_private_file(self.path, _encode(new_id, keys))
            self._current, self._keys = new_id, keys
            return new_id

    def _ring(self) -> tuple[str, dict[str, bytes]]:
        with self._lock:
            if self._current is None:
                self._current, self._keys = self._load()
            return self._current, self._keys

    def _reload(self) -> dict[str, bytes]:
        with self._lock:
            self._current, self._keys = self._load()
            return self._keys

    def _load(self) -> tuple[str, dict[str, bytes]]:
        content = read_or_create_private_file(
            self.path, lambda: _encode("local-1", {"local-1": os.urandom(_KEY_BYTES)})
        )
        return _decode(content, self.path)


def _associated_data(key_id: str) -> bytes:
    """Bind a wrapped key to the KEK id recorded beside it."""
    return f"tandem/kek/v1|{key_id}".encode()


def _sequence(key_id: str) -> int:
    prefix, _, number = key_id.rpartition("-")
    return int(number) if prefix == "local" and number.isdigit() else 0


def _encode(current: str, keys: dict[str, bytes]) -> bytes:
    document = {
        "format": _FORMAT,
        "current": current,
        "keys": {key_id: base64.b64encode(key).decode() for key_id, key in sorted(keys.items())},
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _decode(content: bytes, path: Path) -> tuple[str, dict[str, bytes]]:
    try:
        document = json.loads(content)
        if document["format"] != _FORMAT:
            raise ValueError(f"unsupported format {document['format']!r}")
        keys = {
            key_id: base64.b64decode(text, validate=True)
            for key_id, text in document["keys"].items()
        }
        current = document["current"]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise KeyFileError(f"key file {path} is not a valid key ring: {error}") from error
    if current not in keys:
        raise KeyFileError(f"key file {path}: current key {current!r} is not in the ring")
    if any(len(key) != _KEY_BYTES for key in keys.values()):
        raise KeyFileError(f"key file {path}: every key must be {_KEY_BYTES} bytes")
    return current, keys
