"""Keyed blind indexes: link the same person across referrals without their identity in clear.

Each variant is an HMAC-SHA256, under a key held apart from the data keys, over a
normalised form of forename, surname and date of birth. Equal digests mean equal
normalised inputs; without the key the digests reveal nothing and cannot be brute-forced
from a list of names. Exact matches link automatically; near matches (an initial, a
misspelt surname) go to a coordinator to confirm.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
from datetime import date
from pathlib import Path
from typing import Final, Literal

from services.sharing.errors import KeyFileError
from services.sharing.names import normalise_forename, normalise_name, soundex, split_full_name
from services.sharing.secret_files import read_or_create_private_file

Variant = Literal["exact", "initial_surname_dob", "phonetic_dob"]
MatchKind = Literal["exact", "near"]
VARIANTS: Final[tuple[Variant, ...]] = ("exact", "initial_surname_dob", "phonetic_dob")
NAME_TERM: Final = "name"
"""The term of a name alone (``name_term``): for search, never for matching."""

_KEY_BYTES = 32
_FORMAT = "tandem-blind-index-key/v1"


class BlindIndexKey:
    """The HMAC secret. Never stored with the data keys: holding both defeats the purpose."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != _KEY_BYTES:
            raise ValueError(f"a blind-index key is {_KEY_BYTES} bytes, not {len(secret)}")
        self._secret = secret

    def __repr__(self) -> str:
        return "BlindIndexKey(<secret>)"

    @classmethod
    def from_file(cls, path: str | Path) -> "BlindIndexKey":
        """Load the key, creating the file (mode 0600) with a random key on first use."""
        path = Path(path)
        content = read_or_create_private_file(path, _new_key_file)
        try:
            document = json.loads(content)
            if document["format"] != _FORMAT:
                raise ValueError(f"unsupported format {document['format']!r}")
            return cls(base64.b64decode(document["key"], validate=True))
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise KeyFileError(f"blind-index key file {path} is not valid: {error}") from error

    def digest(self, message: str) -> str:
        """Hex HMAC-SHA256 of the message."""
        return hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def index_terms(
    key: BlindIndexKey, forename: str, surname: str, dob: date | str
) -> dict[Variant, str]:
    """The digest of every variant for one person."""
    first = normalise_forename(forename)
    last = normalise_name(surname)
    if not last:
        raise ValueError("a surname is needed to index a person")
    born = (dob if isinstance(dob, date) else date.fromisoformat(dob)).isoformat()
    initial = first[:1]
    parts: dict[Variant, tuple[str, ...]] = {
        "exact": (first, last, born),
        "initial_surname_dob": (initial, last, born),
        "phonetic_dob": (born, soundex(last), initial),
    }
    return {
        variant: key.digest("|".join(("tandem/blind/v1", variant, *fields)))
        for variant, fields in parts.items()
    }


def index_terms_for_full_name(
    key: BlindIndexKey, full_name: str, dob: date | str
) -> dict[Variant, str]:
    """`index_terms` for a name given in one piece, e.g. `J. Smyth`."""
    forename, surname = split_full_name(full_name)
    return index_terms(key, forename, surname, dob)


def name_term(key: BlindIndexKey, full_name: str) -> str:
    """The digest of a normalised forename and surname alone, without a date of birth.

    Not a matching variant (two people share a name far too often to link them on it):
    stored beside the variants so a coordinator can search by name when no date of birth
    is known.
    """
    forename, surname = split_full_name(full_name)
    first, last = normalise_forename(forename), normalise_name(surname)
    if not last:
        raise ValueError("a surname is needed to index a person")
    return key.digest("|".join(("tandem/blind/v1", NAME_TERM, first, last)))


def reference_term(key: BlindIndexKey, kind: str, reference: str) -> str:
    """The digest of an official reference (a PNC id, a ViSOR reference), spacing and case
    ignored, so an encrypted reference can be looked up without decrypting every record."""
    normalised = "".join(reference.split()).upper()
    if not normalised:
        raise ValueError(f"an empty {kind} cannot be indexed")
    return key.digest("|".join(("tandem/blind/v1", kind, normalised)))


def classify_match(
    new_terms: dict[Variant, str], existing_terms: dict[Variant, str]
) -> MatchKind | None:
    """`exact` when the exact variant agrees, `near` when only another one does."""
    if _same(new_terms, existing_terms, "exact"):
        return "exact"
    if any(_same(new_terms, existing_terms, v) for v in VARIANTS if v != "exact"):
        return "near"
    return None


def _same(left: dict[Variant, str], right: dict[Variant, str], variant: Variant) -> bool:
    a, b = left.get(variant), right.get(variant)
    return a is not None and b is not None and hmac.compare_digest(a, b)


def _new_key_file() -> bytes:
    document = {"format": _FORMAT, "key": base64.b64encode(os.urandom(_KEY_BYTES)).decode()}
    return (json.dumps(document, indent=2) + "\n").encode()
