"""Whole-record encryption and per-caller decryption, driven by the Avro schema.

Intake encrypts every sensitive value before an event is published; projections verify
that every token authenticates; the query side decrypts only what the caller's agreement
allows. A withheld value is never decrypted (its key is never released), and every value
that is shown is listed in the AccessSummary for the audit trail.

Legacy plaintext: a field classified in a later schema version (`encrypted_since`) holds
plain text in events written before that version. Verification accepts it only when the
writer's version predates the classification; decryption treats it like a token of the
field's data class (shown only to a caller who may read that class, withheld otherwise,
erased once the subject is erased), so the ISA applies to old events too. Its bytes on the
topic stay as they were written: only encryption at write time can make them shreddable.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from uuid import UUID

from services.sharing.errors import SubjectErasedError, TamperedCiphertext, UnknownKey
from services.sharing.fields import (
    decrypt_field,
    is_erased_marker,
    is_field_value,
)
from services.sharing.sealing import ciphers_for, unsealed
from services.sharing.sensitive_schema import (
    RecordPlan,
    legacy_plaintext_since,
    map_sensitive,
    path_pattern,
    plan_for,
)

ERASED_REASON = "erased on request"

Schema = Mapping[str, Any] | RecordPlan
Status = Literal["shown", "withheld", "erased"]
SubjectClass = tuple[str, str]  # (subject id, data class)


class DataKeys(Protocol):
    """What records need from the key vault (`services.sharing.vault.KeyVault`)."""

    def data_key_for_encryption(self, subject_id: str, data_class: str) -> bytes: ...

    def data_key(self, subject_id: str, data_class: str) -> bytes | None: ...


@dataclass(frozen=True)
class Protected:
    """A sensitive value as one caller may see it: shown, withheld (and why) or erased."""

    status: Status
    data_class: str
    value: str | None = field(default=None, repr=False)  # keep plaintext out of logs
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.status == "shown") != (self.value is not None):
            raise ValueError("a value is carried exactly when it is shown")

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: the value when shown, otherwise the reason."""
        result = {"status": self.status, "data_class": self.data_class}
        if self.value is not None:
            result["value"] = self.value
        if self.reason is not None:
            result["reason"] = self.reason
        return result


@dataclass(frozen=True)
class AccessSummary:
    """Which (subject id, data class) pairs one decryption showed, withheld and found erased."""

    decrypted: tuple[SubjectClass, ...] = ()
    withheld: tuple[SubjectClass, ...] = ()
    erased: tuple[SubjectClass, ...] = ()


def encrypt_record(
    schema: Schema, record: Mapping[str, Any], event_id: str | UUID, vault: DataKeys
) -> dict[str, Any]:
    """A copy of the record with every sensitive value replaced by its token.

    A value about a subject already erased is not kept at all: it becomes the erased marker,
    so later events about an erased case or person still record (their structure, and what
    belongs to other subjects) and read back as erased there. One key lookup per distinct
    (subject, data class); the publish path batches them (``SharingService.encrypt_events``).
    """
    pending = unsealed(plan_for(schema), record)
    keys: dict[SubjectClass, bytes | None] = {}
    for subject_id, data_class in pending.pairs:
        try:
            keys[(subject_id, data_class)] = vault.data_key_for_encryption(subject_id, data_class)
        except SubjectErasedError:
            keys[(subject_id, data_class)] = None
    return pending.seal(event_id, ciphers_for(keys))


def decrypt_record(
    schema: Schema,
    record: Mapping[str, Any],
    event_id: str | UUID,
    vault: DataKeys,
    may_read: Callable[[str], bool],
    withheld_reason: Callable[[str], str],
    writer_version: int | None = None,
) -> tuple[dict[str, Any], AccessSummary]:
    """Each sensitive value becomes a Protected; raises TamperedCiphertext on a bad token.

    `may_read(data_class)` is asked before any key is fetched; `withheld_reason(data_class)`
    words the refusal, naming the agreement. `writer_version` (when known) limits legacy
    plaintext to events written before a field was classified; read models pass None, as
    they hold only events that passed `verify_record` with the writer's version.
    """
    keys = _KeysForOneRecord(vault)
    decrypted: set[SubjectClass] = set()
    withheld: set[SubjectClass] = set()
    erased: set[SubjectClass] = set()
    plan = plan_for(schema)
    legacy = legacy_plaintext_since(plan)

    def decrypt(path: str, data_class: str, subject_id: Any, token: Any) -> Protected:
        plain = _legacy_plaintext(legacy, path, token, writer_version)
        subject_id = _checked(path, subject_id, token, plain)
        if not may_read(data_class):
            withheld.add((subject_id, data_class))
            return Protected("withheld", data_class, reason=withheld_reason(data_class))
        if plain:
            if _is_erased(vault, subject_id):
                erased.add((subject_id, data_class))
                return Protected("erased", data_class, reason=ERASED_REASON)
            decrypted.add((subject_id, data_class))
            return Protected("shown", data_class, value=token)
        key = keys.get(path, subject_id, data_class)
        if key is None:
            erased.add((subject_id, data_class))
            return Protected("erased", data_class, reason=ERASED_REASON)
        _refuse_marker_of_living_subject(path, token)
        value = decrypt_field(token, key, event_id, path, data_class)
        decrypted.add((subject_id, data_class))
        return Protected("shown", data_class, value=value)

    result = map_sensitive(plan, record, decrypt)
    summary = AccessSummary(
        tuple(sorted(decrypted)), tuple(sorted(withheld)), tuple(sorted(erased))
    )
    return result, summary


def verify_record(
    schema: Schema,
    record: Mapping[str, Any],
    event_id: str | UUID,
    vault: DataKeys,
    writer_version: int | None = None,
) -> None:
    """Authenticate every token (erased subjects excepted); raise on the first bad one.

    Plain text is accepted only in a field classified after `writer_version`.
    """
    keys = _KeysForOneRecord(vault)
    plan = plan_for(schema)
    legacy = legacy_plaintext_since(plan)

    def verify(path: str, data_class: str, subject_id: Any, token: Any) -> Any:
        plain = writer_version is not None and _legacy_plaintext(
            legacy, path, token, writer_version
        )
        subject_id = _checked(path, subject_id, token, plain)
        if plain:
            return token
        key = keys.get(path, subject_id, data_class)
        if key is not None:
            _refuse_marker_of_living_subject(path, token)
            decrypt_field(token, key, event_id, path, data_class)
        return token

    map_sensitive(plan, record, verify)


def plaintext_values(schema: Schema, record: Mapping[str, Any]) -> list[str]:
    """Every non-null sensitive value of a plaintext record, to scan stored bytes for leaks."""
    found: list[str] = []

    def collect(path: str, data_class: str, subject_id: Any, value: Any) -> Any:
        found.append(value)
        return value

    map_sensitive(plan_for(schema), record, collect)
    return found


def to_jsonable(value: Any) -> Any:
    """A decrypted record with every Protected turned into its dict, ready for JSON."""
    if isinstance(value, Protected):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return value


def _refuse_marker_of_living_subject(path: str, token: Any) -> None:
    """The erased marker stands only for a subject whose keys are gone."""
    if is_erased_marker(token):
        raise TamperedCiphertext(f"{path}: marked erased, but its subject was not erased")


def _legacy_plaintext(
    legacy: Mapping[str, int], path: str, value: Any, writer_version: int | None
) -> bool:
    """True for plain text in a field that a version after the writer's classified."""
    if not legacy or not isinstance(value, str) or is_field_value(value):
        return False
    since = legacy.get(path_pattern(path))
    return since is not None and (writer_version is None or writer_version < since)


def _is_erased(vault: DataKeys, subject_id: str) -> bool:
    check = getattr(vault, "is_erased", None)
    return bool(check(subject_id)) if check is not None else False


def _checked(path: str, subject_id: Any, token: Any, legacy_plaintext: bool = False) -> str:
    """Reject values that cannot have come from encrypt_record (or a pre-classification writer)."""
    if not legacy_plaintext and not is_field_value(token):
        raise TamperedCiphertext(f"{path}: expected a field token, found a plain value")
    if not isinstance(subject_id, str) or not subject_id:
        raise TamperedCiphertext(f"{path}: the subject id beside this token is missing")
    return subject_id


class _KeysForOneRecord:
    """Fetch each (subject, class) key once per record; a missing key means tampering."""

    def __init__(self, vault: DataKeys) -> None:
        self._vault = vault
        self._keys: dict[SubjectClass, bytes | None] = {}

    def get(self, path: str, subject_id: str, data_class: str) -> bytes | None:
        wanted = (subject_id, data_class)
        if wanted not in self._keys:
            try:
                self._keys[wanted] = self._vault.data_key(subject_id, data_class)
            except UnknownKey as error:
                raise TamperedCiphertext(f"{path}: {error}") from error
        return self._keys[wanted]
