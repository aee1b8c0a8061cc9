"""The event contracts: versioned Avro schemas loaded from ``schemas/avro``.

Layout: ``schemas/avro/envelope.avsc`` holds the common envelope record, and each event type
has a folder named after it in snake case holding ``v1.avsc``, ``v2.avsc`` ... Each event schema
refers to the envelope by name (``tandem.Envelope``); the catalogue inlines it so every schema
handed to a registry or to fastavro is self-contained.

``ids.json`` beside the schemas pins each (event type, version) to a schema id and the
fingerprint of its canonical form. Ids must never change once events carry them, so they are
recorded rather than derived; ``tandem schemas lock`` appends ids for new versions, and a test
fails if a published schema file is edited.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import to_parsing_canonical_form

ENVELOPE_NAME = "tandem.Envelope"
IDS_FILE = "ids.json"
_VERSION_FILE = re.compile(r"^v(\d+)\.avsc$")


class SchemaError(ValueError):
    """A schema file is missing, malformed, unregistered or was edited after publication."""


@dataclass(frozen=True)
class EventSchema:
    """One version of one event type."""

    event_type: str
    version: int
    definition: dict[str, Any]
    """The self-contained schema as JSON data (envelope inlined), with Tandem's attributes."""
    parsed: Any
    """fastavro's parsed form, for reading and writing."""
    path: Path

    @property
    def fingerprint(self) -> str:
        canonical = to_parsing_canonical_form(self.parsed)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def subject(self) -> str:
        """Registry subject: the record's full name (RecordNameStrategy), one per event type."""
        return f"{self.definition.get('namespace', 'tandem.events')}.{self.event_type}"

    def field(self, name: str) -> dict[str, Any]:
        for candidate in self.definition["fields"]:
            if candidate["name"] == name:
                return candidate
        raise KeyError(name)


def snake_case(event_type: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event_type).lower()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}: not valid JSON at line {exc.lineno}: {exc.msg}") from exc


def inline_envelope(definition: dict[str, Any], envelope: dict[str, Any]) -> dict[str, Any]:
    """Replace the first reference to the envelope by its definition."""
    result = copy.deepcopy(definition)
    for field in result.get("fields", []):
        if field.get("type") == ENVELOPE_NAME:
            field["type"] = copy.deepcopy(envelope)
            return result
    raise SchemaError(f"{definition.get('name')}: has no field of type {ENVELOPE_NAME}")


class SchemaCatalogue:
    """Every version of every event type, plus the pinned ids."""

    def __init__(self, schemas: list[EventSchema], ids: dict[tuple[str, int], int]):
        self._by_type: dict[str, dict[int, EventSchema]] = {}
        for schema in schemas:
            self._by_type.setdefault(schema.event_type, {})[schema.version] = schema
        self.ids = ids

    @classmethod
    def load(cls, directory: Path) -> SchemaCatalogue:
        envelope_path = directory / "envelope.avsc"
        if not envelope_path.is_file():
            raise SchemaError(f"{envelope_path}: the envelope schema is missing")
        envelope = _read_json(envelope_path)
        schemas: list[EventSchema] = []
        for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                match = _VERSION_FILE.match(path.name)
                if not match:
                    continue
                raw = _read_json(path)
                event_type = raw.get("name")
                if not event_type or snake_case(event_type) != folder.name:
                    raise SchemaError(
                        f"{path}: record name {event_type!r} does not match folder {folder.name!r}"
                    )
                definition = inline_envelope(raw, envelope)
                try:
                    parsed = fastavro.parse_schema(copy.deepcopy(definition), _write_hint=False)
                except Exception as exc:  # fastavro raises several exception types
                    raise SchemaError(f"{path}: not a valid Avro schema: {exc}") from exc
                schemas.append(
                    EventSchema(event_type, int(match.group(1)), definition, parsed, path)
                )
        ids = cls._load_ids(directory / IDS_FILE)
        return cls(schemas, ids)

    @staticmethod
    def _load_ids(path: Path) -> dict[tuple[str, int], int]:
        if not path.is_file():
            return {}
        data = _read_json(path)
        result = {}
        for key, entry in data.items():
            event_type, _, version = key.partition("/v")
            result[(event_type, int(version))] = int(entry["id"])
        return result

    def event_types(self) -> list[str]:
        return sorted(self._by_type)

    def versions(self, event_type: str) -> list[EventSchema]:
        try:
            return [self._by_type[event_type][v] for v in sorted(self._by_type[event_type])]
        except KeyError:
            raise SchemaError(f"unknown event type {event_type!r}") from None

    def latest(self, event_type: str) -> EventSchema:
        return self.versions(event_type)[-1]

    def get(self, event_type: str, version: int) -> EventSchema:
        try:
            return self._by_type[event_type][version]
        except KeyError:
            raise SchemaError(f"unknown schema {event_type} v{version}") from None

    def all(self) -> list[EventSchema]:
        return [s for t in self.event_types() for s in self.versions(t)]

    def lock_entries(self) -> dict[str, dict[str, Any]]:
        """The content of ids.json: existing ids kept, new versions appended in order."""
        next_id = max(self.ids.values(), default=0) + 1
        entries: dict[str, dict[str, Any]] = {}
        for schema in sorted(
            self.all(), key=lambda s: (self.ids.get((s.event_type, s.version), 10**9), s.subject)
        ):
            key = (schema.event_type, schema.version)
            if key in self.ids:
                schema_id = self.ids[key]
            else:
                schema_id, next_id = next_id, next_id + 1
            entries[f"{schema.event_type}/v{schema.version}"] = {
                "id": schema_id,
                "fingerprint": schema.fingerprint,
            }
        return entries


def write_lock(directory: Path) -> dict[str, dict[str, Any]]:
    """Pin ids for any schema versions that have none yet; never renumber existing ones."""
    catalogue = SchemaCatalogue.load(directory)
    entries = catalogue.lock_entries()
    (directory / IDS_FILE).write_text(json.dumps(entries, indent=2) + "\n")
    return entries
