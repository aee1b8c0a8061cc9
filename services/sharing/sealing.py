"""Encrypting records in one walk: find the sensitive values, then seal each in its place.

The publish path is the hot path of every producer, so a record is walked once along its
compiled plan (``sensitive_schema.plan_for``): the walk copies the containers on the way, as
``map_sensitive`` does, checks each value (text, with a subject id beside it, not already a
token) and notes where its token goes. The keys of a whole batch are then looked up once per
distinct (subject, data class), and each value is sealed straight into its slot: one AES-GCM
token per field, exactly as ``fields.encrypt_field`` writes it, so the ISA and
crypto-shredding keep their granularity (a key per subject and data class).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.sharing.errors import SharingError
from services.sharing.fields import ERASED_TOKEN, EventSealer, cipher_for, is_field_value
from services.sharing.sensitive_schema import NestedPlan, RecordPlan, _as_list

SubjectClass = tuple[str, str]  # (subject id, data class)

Ciphers = Mapping[SubjectClass, AESGCM | None]
"""The cipher of each (subject, data class) key; None for a subject already erased."""


class AlreadyEncrypted(SharingError):
    """A value to encrypt is already a token: re-encrypting would hide a copied token."""


_Slot = tuple[dict[str, Any] | list[Any], str | int, str, str, str, str]
"""(container, index in it, field path, data class, subject id, value): a plain tuple, as
there is one for every sensitive value published."""


class Unsealed:
    """A copy of a record whose sensitive values are still in the clear, and where they sit."""

    def __init__(self, record: dict[str, Any], slots: list[_Slot]) -> None:
        self._record = record
        self._slots = slots
        self.pairs: tuple[SubjectClass, ...] = tuple(
            dict.fromkeys((subject_id, data_class) for _, _, _, data_class, subject_id, _ in slots)
        )
        """Every (subject, data class) whose key this record needs, in field order."""

    def seal(self, event_id: str | UUID, ciphers: Ciphers) -> dict[str, Any]:
        """The record with every value replaced by its token (the erased marker for a subject
        already erased: nothing is kept about them). Call once."""
        sealer = EventSealer(event_id, len(self._slots))
        for container, index, path, data_class, subject_id, value in self._slots:
            cipher = ciphers[(subject_id, data_class)]
            container[index] = (  # type: ignore[index]
                ERASED_TOKEN if cipher is None else sealer.seal(cipher, value, path, data_class)
            )
        return self._record


def ciphers_for(keys: Mapping[SubjectClass, bytes | None]) -> dict[SubjectClass, AESGCM | None]:
    """One cipher per data key (None stays None: the subject was erased)."""
    return {pair: None if key is None else cipher_for(key) for pair, key in keys.items()}


def unsealed(
    plan: RecordPlan, record: Mapping[str, Any], *, refuse_tokens: bool = False
) -> Unsealed:
    """Walk the record once; raise on a value that cannot be encrypted.

    ValueError: no subject id beside a value; TypeError: a value that is not text;
    AlreadyEncrypted (with ``refuse_tokens``): a value that is already a token or the marker.
    """
    slots: list[_Slot] = []
    copy = _record(plan, record, "", slots, refuse_tokens)
    return Unsealed(copy, slots)


def _record(
    plan: RecordPlan, record: Any, prefix: str, slots: list[_Slot], refuse: bool
) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise TypeError(f"{prefix or 'record'}: expected a record, got {type(record).__name__}")
    result = dict(record)
    for field in plan.fields:
        value = record.get(field.name)
        if value is None:
            continue
        path = f"{prefix}.{field.name}" if prefix else field.name
        if isinstance(field, NestedPlan):
            result[field.name] = _value(field.value, value, path, slots, refuse)
            continue
        subject = record.get(field.subject)
        if field.many:
            items = list(_as_list(value, path))
            result[field.name] = items
            for i, item in enumerate(items):
                if item is not None:
                    _note(slots, items, i, f"{path}[{i}]", field.data_class, subject, item, refuse)
        else:
            _note(slots, result, field.name, path, field.data_class, subject, value, refuse)
    return result


def _value(plan: Any, value: Any, path: str, slots: list[_Slot], refuse: bool) -> Any:
    if value is None:
        return None
    if isinstance(plan, RecordPlan):
        return _record(plan, value, path, slots, refuse)
    return [
        _value(plan.items, item, f"{path}[{i}]", slots, refuse)
        for i, item in enumerate(_as_list(value, path))
    ]


def _note(
    slots: list[_Slot],
    container: dict[str, Any] | list[Any],
    index: str | int,
    path: str,
    data_class: str,
    subject_id: Any,
    value: Any,
    refuse: bool,
) -> None:
    if not isinstance(subject_id, str) or not subject_id:
        raise ValueError(f"{path}: no subject id to encrypt under")
    if not isinstance(value, str):
        raise TypeError(f"{path}: only text can be encrypted, not {type(value).__name__}")
    if refuse and value.startswith("enc:") and is_field_value(value):
        raise AlreadyEncrypted(f"{path} is already encrypted")
    slots.append((container, index, path, data_class, subject_id, value))
