"""The archiver: stores in the event store every event that reached Kafka from outside.

A police system producing ``IncidentRecorded`` straight onto its topic, or ``tandem publish``
on another host, never passes through a command, so without this the store would not hold
every event. The archiver reads every stream like a projector (same runtime: offsets in the
database, compare-and-set, divergence checks), authenticates each event's MAC, dead-letters
what cannot be decoded or authenticated, and appends the rest as they are. An event id the
store already holds is skipped; if it did not come from the relay it is counted as a duplicate.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection

from projections.runtime import Projection, Projector
from services.kernel import store
from services.kernel.bus import STORED_HEADER, Outgoing
from services.kernel.events import Event
from services.kernel.integrity import header_of
from services.kernel.streams import STREAMS, stream_for

log = logging.getLogger(__name__)

NAME = "archive"


def archive_projection() -> Projection:
    """Every stream, no tables of its own: ``tandem replay`` never clears the store."""
    return Projection(NAME, tuple(s.name for s in STREAMS), handlers={}, tables=())


class Archiver(Projector):
    """A projector whose "read model" is the event store itself."""

    duplicates = 0
    """Events skipped because the store already held their id (and the relay did not send)."""
    archived = 0

    def _apply_events(self, conn: Connection, decoded, *, isolate: bool, letters=None):
        if not decoded:
            return []
        store.lock_appends(conn)
        records: list[Outgoing] = []
        positions: list[tuple[int, int]] = []
        relayed: set[str] = set()
        for record, event in decoded:
            records.append(_outgoing(record, event))
            positions.append((record.partition, record.offset))
            if dict(record.headers or []).get(STORED_HEADER):
                relayed.add(event.event_id)
        added = set(store.append(conn, records, origin=store.ORIGIN_KAFKA, positions=positions))
        self.archived += len(added)
        for record in records:
            if record.event_id in added:
                added.discard(record.event_id)  # its first copy; any other is a duplicate
            elif record.event_id not in relayed:
                self.duplicates += 1
                log.info("archiver: duplicate event id %s skipped", record.event_id)
        return []  # nothing to mark: the store's unique event id is the record of what is held


def _outgoing(record, event: Event) -> Outgoing:
    mac = header_of(record.headers) or b""
    return Outgoing(
        event.event_id,
        event.event_type,
        stream_for(event.event_type).name,
        record.key or b"",
        record.value,
        mac,
    )
