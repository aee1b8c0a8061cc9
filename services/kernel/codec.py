"""Avro encoding with Confluent wire framing: magic byte 0, 4-byte big-endian schema id, body.

The framing lets standard Kafka tooling decode Tandem's topics with a registry. Writers always
use the latest version of an event type; readers resolve whatever version was written to the
latest one, so code on v2 reads events written with v1.
"""

from __future__ import annotations

import io
import struct
from dataclasses import replace

import fastavro

from services.kernel.conform import FieldError, conform
from services.kernel.events import Envelope, Event
from services.kernel.registry import SchemaRegistry, UnknownSchemaId
from services.kernel.schemas import SchemaCatalogue, SchemaError

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")


class DecodeError(ValueError):
    """Bytes that are not a Tandem event this build can read; the reason says why."""


class EventValidationError(FieldError):
    """An event's payload does not fit its schema; names the event type and the field."""

    def __init__(self, event_type: str, error: FieldError):
        self.event_type = event_type
        super().__init__(error.path, error.problem)

    def __str__(self) -> str:
        return f"{self.event_type}: {self.path}: {self.problem}"


class Codec:
    def __init__(self, catalogue: SchemaCatalogue, registry: SchemaRegistry):
        self.catalogue = catalogue
        self.registry = registry

    def validate(self, event: Event) -> dict:
        """The event as an Avro record in native types, or ``EventValidationError``."""
        try:
            schema = self.catalogue.latest(event.event_type)
        except SchemaError as exc:
            raise EventValidationError(
                event.event_type, FieldError("event_type", str(exc))
            ) from None
        envelope = replace(event.envelope, schema_version=schema.version).to_record()
        record = {"envelope": envelope, **event.payload}
        try:
            return conform(schema.definition, record)
        except FieldError as exc:
            raise EventValidationError(event.event_type, exc) from exc

    def conformed(self, event: Event) -> Event:
        """The event with its payload validated, converted to native types and defaults filled."""
        record = self.validate(event)
        record.pop("envelope")
        return replace(event, payload=record)

    def encode(self, event: Event, *, conformed: bool = False) -> bytes:
        """Avro bytes with the Confluent header; ``conformed`` skips re-validating a payload
        that came from ``conformed()`` (and was only changed by encrypting strings)."""
        if conformed:
            schema = self.catalogue.latest(event.event_type)
            envelope = replace(event.envelope, schema_version=schema.version).to_record()
            record = {"envelope": envelope, **event.payload}
        else:
            record = self.validate(event)  # names an unknown type before the lookup below
            schema = self.catalogue.latest(event.event_type)
        buffer = io.BytesIO()
        buffer.write(_HEADER.pack(MAGIC_BYTE, self.registry.id_for(schema)))
        fastavro.schemaless_writer(buffer, schema.parsed, record)
        return buffer.getvalue()

    def decode(self, data: bytes) -> Event:
        if data is None or len(data) < _HEADER.size:
            raise DecodeError("message is shorter than the 5-byte Confluent header")
        magic, schema_id = _HEADER.unpack_from(data)
        if magic != MAGIC_BYTE:
            raise DecodeError(f"magic byte is {magic}, expected {MAGIC_BYTE}")
        try:
            writer = self.registry.schema_for(schema_id)
            reader = self.catalogue.latest(writer.event_type)
        except (UnknownSchemaId, SchemaError) as exc:
            raise DecodeError(f"unknown schema id {schema_id}: {exc}") from exc
        try:
            record = fastavro.schemaless_reader(
                io.BytesIO(data[_HEADER.size :]), writer.parsed, reader.parsed
            )
        except Exception as exc:  # fastavro raises EOFError, ValueError, SchemaResolutionError...
            raise DecodeError(
                f"body does not match {writer.event_type} v{writer.version}: {exc!r}"
            ) from exc
        envelope_record = record.pop("envelope")
        envelope = Envelope(**envelope_record)
        if envelope.event_type != writer.event_type:
            raise DecodeError(
                f"envelope says {envelope.event_type} but schema id {schema_id} is "
                f"{writer.event_type}"
            )
        return Event(envelope, record)

    @staticmethod
    def schema_id_of(data: bytes) -> int | None:
        if data is None or len(data) < _HEADER.size or data[0] != MAGIC_BYTE:
            return None
        return _HEADER.unpack_from(data)[1]


def event_id_of(codec: Codec, record) -> str | None:
    """The event id of a Kafka record: its ``event_id`` header, else its decoded envelope."""
    header = dict(record.headers or []).get("event_id")
    if header:
        return header.decode(errors="replace")
    try:
        return codec.decode(record.value).event_id
    except DecodeError:
        return None
