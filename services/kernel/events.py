"""Events and their envelope, as plain data."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Envelope:
    """Who, when and which aggregate: what every event carries besides its payload."""

    event_id: str
    event_type: str
    aggregate_id: str
    agency: str
    actor: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    correlation_id: str
    causation_id: str | None = None
    schema_version: int = 0
    """Set by the codec to the version it wrote (or read)."""

    def to_record(self) -> dict[str, Any]:
        return dict(self.__dict__)  # flat fields only: cheaper than asdict's deep copy


@dataclass(frozen=True)
class Event:
    envelope: Envelope
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def event_type(self) -> str:
        return self.envelope.event_type

    @property
    def event_id(self) -> str:
        return self.envelope.event_id

    @property
    def aggregate_id(self) -> str:
        return self.envelope.aggregate_id


def new_event(
    event_type: str,
    payload: dict[str, Any],
    *,
    aggregate_id: str,
    agency: str,
    actor: str,
    occurred_at: dt.datetime | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: str | None = None,
) -> Event:
    """A new event with a fresh id; the correlation id defaults to the event id."""
    event_id = event_id or str(uuid.uuid4())
    now = utc_now()
    envelope = Envelope(
        event_id=event_id,
        event_type=event_type,
        aggregate_id=aggregate_id,
        agency=agency,
        actor=actor,
        occurred_at=occurred_at or now,
        recorded_at=now,
        correlation_id=correlation_id or event_id,
        causation_id=causation_id,
    )
    return Event(envelope, payload)
