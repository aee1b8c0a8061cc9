"""Split fields: one JSON object of answers, kept as several fields of different data classes.

A schema field may carry `"split_from": "<source>"` and `"split_keys": [...]`: it holds the
entries of the source field's JSON object whose keys are listed, under its own data class,
and the source keeps the rest. The DASH checklist is the case in point: the answers that
reveal the victim's health, the children or the perpetrator's offending are kept (and
encrypted) apart from the rest of the risk narrative, so a party without those classes
cannot decrypt them (see docs/data-classes.md).

* On the publish path, ``split_plain`` moves the listed keys out of the source before
  encryption; a writer need not know the split.
* On the read path, an event written before the split (every split field null, the source
  holding all the answers) is split after decryption by ``split_revealed``: each group is
  shown only to a caller who may read its class, so old events follow the stricter rule too.

Split fields and their source must be top-level, sensitive, and siblings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from services.sharing.errors import SensitiveSchemaError, SharingError
from services.sharing.records import Protected, SubjectClass


@dataclass(frozen=True)
class Split:
    field: str
    source: str
    keys: frozenset[str]
    data_class: str
    subject: str


class Decision(Protocol):
    """What ``split_revealed`` needs of an agreement decision."""

    allowed: bool
    reason: str | None


def splits_for(definition: Mapping[str, Any]) -> tuple[Split, ...]:
    """The split fields of a record schema, checked."""
    fields = {f["name"]: f for f in definition.get("fields", [])}
    result: list[Split] = []
    claimed: dict[str, str] = {}
    for field in fields.values():
        source = field.get("split_from")
        if source is None:
            continue
        name = field["name"]
        keys = field.get("split_keys")
        origin = fields.get(source)
        if origin is None or "data_class" not in origin:
            raise SensitiveSchemaError(f"{name}: split_from {source!r} is not a sensitive sibling")
        if "data_class" not in field or origin.get("subject") != field.get("subject"):
            raise SensitiveSchemaError(
                f"{name}: a split field is sensitive, with its source's subject"
            )
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise SensitiveSchemaError(f"{name}: split_keys must be a non-empty list of keys")
        for key in keys:
            if key in claimed:
                raise SensitiveSchemaError(f"{name}: key {key!r} is also split into {claimed[key]}")
            claimed[key] = name
        result.append(Split(name, source, frozenset(keys), field["data_class"], field["subject"]))
    return tuple(result)


def split_plain(splits: tuple[Split, ...], payload: Mapping[str, Any]) -> dict[str, Any]:
    """Publish path: move each split's keys out of its source's JSON object (plaintext)."""
    result = dict(payload)
    for source, group in _by_source(splits).items():
        text = result.get(source)
        if text is None:
            continue
        answers = _json_object(text, source)
        if any(result.get(s.field) is not None for s in group):
            leaked = [k for s in group for k in answers if k in s.keys]
            if leaked:
                raise SharingError(f"{source}: {', '.join(sorted(leaked))} belong in a split field")
            continue
        for split in group:
            part = {k: v for k, v in answers.items() if k in split.keys}
            result[split.field] = json.dumps(part, sort_keys=True)
        moved = {k for s in group for k in s.keys}
        rest = {k: v for k, v in answers.items() if k not in moved}
        result[source] = json.dumps(rest, sort_keys=True)
    return result


def split_revealed(
    splits: tuple[Split, ...],
    payload: Mapping[str, Any],
    decide: Callable[[str], Decision],
) -> tuple[dict[str, Any], set[SubjectClass]]:
    """Read path, for events written before the split: split the decrypted source.

    Returns the payload and the (subject, class) pairs this showed beyond the source's.
    """
    result = dict(payload)
    shown: set[SubjectClass] = set()
    for source, group in _by_source(splits).items():
        origin = result.get(source)
        if not isinstance(origin, Protected) or any(result.get(s.field) is not None for s in group):
            continue  # nothing stored, or written after the split: each part has its own token
        if origin.status != "shown":
            for split in group:
                decision = decide(split.data_class)
                status = origin.status if decision.allowed else "withheld"
                reason = origin.reason if decision.allowed else decision.reason
                result[split.field] = Protected(status, split.data_class, reason=reason)
            continue
        try:
            answers = _json_object(origin.value, source)
        except SharingError:
            for split in group:  # not an object: nothing can be told apart, so none is shown
                result[split.field] = Protected("withheld", split.data_class, reason=_UNSPLIT)
            result[source] = Protected("withheld", origin.data_class, reason=_UNSPLIT)
            continue
        for split in group:
            decision = decide(split.data_class)
            if decision.allowed:
                part = {k: v for k, v in answers.items() if k in split.keys}
                result[split.field] = Protected(
                    "shown", split.data_class, value=json.dumps(part, sort_keys=True)
                )
                if part:
                    shown.add((str(payload.get(split.subject)), split.data_class))
            else:
                result[split.field] = Protected(
                    "withheld", split.data_class, reason=decision.reason
                )
        moved = {k for s in group for k in s.keys}
        rest = {k: v for k, v in answers.items() if k not in moved}
        result[source] = Protected(
            "shown", origin.data_class, value=json.dumps(rest, sort_keys=True)
        )
    return result, shown


_UNSPLIT = "withheld: the stored answers could not be split by data class"


def _by_source(splits: tuple[Split, ...]) -> dict[str, list[Split]]:
    groups: dict[str, list[Split]] = {}
    for split in splits:
        groups.setdefault(split.source, []).append(split)
    return groups


def _json_object(text: Any, source: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise SharingError(f"{source}: a split source must hold a JSON object")
    return value
