"""The event store: the durable, append-only record of every event Tandem accepts.

The embedded broker acknowledges writes it then loses and hands lost offsets out again, so the
record cannot live in the broker. It lives here, in the database (SQLite embedded, PostgreSQL
in production), one row per event: a global sequence, the event id, its stream, the Kafka key,
the signed Avro bytes exactly as they go on the wire, and where the topic holds it.

* Commands append all their events in **one transaction** (see ``commands.py``); the relay then
  puts them on Kafka in sequence order (``relay.py``). Events partners put straight on Kafka are
  archived here by the archiver (``archiver.py``), so the store holds every event.
* Appends are serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite: its single
  writer), so sequence order is commit order and a relay reading by position never skips a
  row that commits late.
* ``tandem replay`` never touches this table; read models are rebuilt *from* it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from projections.metadata import metadata
from services.kernel.bus import Outgoing
from services.kernel.codec import Codec
from services.kernel.events import utc_now

ORIGIN_COMMAND = "command"
"""Accepted by a Tandem command: the relay publishes it."""
ORIGIN_KAFKA = "kafka"
"""Found on a topic (a partner system, ``tandem publish`` on another host): already published."""

_APPEND_LOCK = 7_305_142_001
"""PostgreSQL advisory lock id that serialises appends to the store."""

event_store = Table(
    "event_store",
    metadata,
    Column(
        "sequence",
        BigInteger().with_variant(Integer, "sqlite"),  # SQLite: the rowid, so it autoincrements
        primary_key=True,
        autoincrement=True,
    ),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("key", LargeBinary, nullable=False),
    Column("schema_id", Integer, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("mac", LargeBinary, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("kafka_partition", Integer),
    # where the topic holds the event, as last acknowledged (relay) or read (archiver)
    Column("kafka_offset", BigInteger),
    Index("ix_event_store_position", "stream", "kafka_partition", "kafka_offset"),
)

store_cursors = Table(
    "event_store_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    # the last sequence this cursor has dealt with (the relay: published)
    Column("position", BigInteger, nullable=False),
    # only one process relays at a time: the holder renews its lease every batch
    Column("holder", String(128)),
    Column("lease_until", DateTime(timezone=True)),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class StoredEvent:
    """One row of the store."""

    sequence: int
    event_id: str
    event_type: str
    stream: str
    key: bytes
    value: bytes
    mac: bytes
    origin: str
    kafka_partition: int | None
    kafka_offset: int | None

    def outgoing(self) -> Outgoing:
        return Outgoing(
            self.event_id, self.event_type, self.stream, self.key, self.value, self.mac, True
        )


_COLUMNS = (
    event_store.c.sequence,
    event_store.c.event_id,
    event_store.c.event_type,
    event_store.c.stream,
    event_store.c.key,
    event_store.c.value,
    event_store.c.mac,
    event_store.c.origin,
    event_store.c.kafka_partition,
    event_store.c.kafka_offset,
)


def _row(row) -> StoredEvent:
    return StoredEvent(
        row.sequence,
        row.event_id,
        row.event_type,
        row.stream,
        bytes(row.key),
        bytes(row.value),
        bytes(row.mac),
        row.origin,
        row.kafka_partition,
        row.kafka_offset,
    )


def _insert(conn: Connection):
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def lock_appends(conn: Connection) -> None:
    """Serialise appends until this transaction ends (SQLite's writer lock already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _APPEND_LOCK})


def append(
    conn: Connection,
    records: Sequence[Outgoing],
    *,
    origin: str = ORIGIN_COMMAND,
    positions: Sequence[tuple[int, int] | None] | None = None,
) -> list[str]:
    """Append records in order, skipping event ids already stored; returns the ids added.

    The caller's transaction must have taken ``lock_appends`` first.
    """
    if not records:
        return []
    ids = [r.event_id for r in records]
    known = set(
        conn.execute(select(event_store.c.event_id).where(event_store.c.event_id.in_(ids)))
        .scalars()
        .all()
    )
    now = utc_now()
    rows = []
    for index, record in enumerate(records):
        if record.event_id in known:
            continue
        known.add(record.event_id)
        position = positions[index] if positions else None
        rows.append(
            {
                "event_id": record.event_id,
                "event_type": record.event_type,
                "stream": record.stream,
                "key": record.key,
                "schema_id": Codec.schema_id_of(record.value) or 0,
                "value": record.value,
                "mac": record.mac,
                "origin": origin,
                "recorded_at": now,
                "kafka_partition": position[0] if position else None,
                "kafka_offset": position[1] if position else None,
            }
        )
    if rows:
        conn.execute(event_store.insert(), rows)
    return [r["event_id"] for r in rows]


def read_after(
    conn: Connection,
    position: int,
    limit: int,
    streams: Sequence[str] | None = None,
    until: int | None = None,
) -> list[StoredEvent]:
    """Up to ``limit`` events after sequence ``position``, in sequence order."""
    query = select(*_COLUMNS).where(event_store.c.sequence > position)
    if streams is not None:
        query = query.where(event_store.c.stream.in_(list(streams)))
    if until is not None:
        query = query.where(event_store.c.sequence <= until)
    rows = conn.execute(query.order_by(event_store.c.sequence).limit(limit))
    return [_row(r) for r in rows]


def iterate(
    engine, streams: Sequence[str] | None = None, batch: int = 2000
) -> Iterator[list[StoredEvent]]:
    """Every stored event of the streams, in sequence order, a batch at a time (flat memory)."""
    with engine.connect() as conn:
        until = last_sequence(conn)
    position = 0
    while True:
        with engine.connect() as conn:
            rows = read_after(conn, position, batch, streams, until)
        if not rows:
            return
        yield rows
        position = rows[-1].sequence


def last_sequence(conn: Connection) -> int:
    return conn.execute(select(func.coalesce(func.max(event_store.c.sequence), 0))).scalar_one()


def count(conn: Connection, streams: Sequence[str] | None = None) -> int:
    query = select(func.count()).select_from(event_store)
    if streams is not None:
        query = query.where(event_store.c.stream.in_(list(streams)))
    return conn.execute(query).scalar_one()


def record_positions(conn: Connection, placed: Sequence[tuple[str, int, int]]) -> None:
    """Remember where the topic holds each event: (event id, partition, offset)."""
    if placed:
        conn.execute(
            update(event_store)
            .where(event_store.c.event_id == bindparam("b_event_id"))
            .values(kafka_partition=bindparam("b_partition"), kafka_offset=bindparam("b_offset")),
            [{"b_event_id": e, "b_partition": p, "b_offset": o} for e, p, o in placed],
        )


def placed_on(conn: Connection, stream: str, partition: int) -> list[tuple[int, str, int]]:
    """(offset, event id, sequence) of every event recorded on one partition, by offset."""
    rows = conn.execute(
        select(event_store.c.kafka_offset, event_store.c.event_id, event_store.c.sequence)
        .where(
            event_store.c.stream == stream,
            event_store.c.kafka_partition == partition,
            event_store.c.kafka_offset.is_not(None),
        )
        .order_by(event_store.c.kafka_offset, event_store.c.sequence)
    )
    return [(r.kafka_offset, r.event_id, r.sequence) for r in rows]


def events_by_id(conn: Connection, event_ids: Sequence[str]) -> list[StoredEvent]:
    """The stored events with these ids, in sequence order."""
    found: list[StoredEvent] = []
    ids = list(event_ids)
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(*_COLUMNS).where(event_store.c.event_id.in_(ids[start : start + 500]))
        )
        found.extend(_row(r) for r in rows)
    return sorted(found, key=lambda e: e.sequence)


def event_ids_at(
    conn: Connection, stream: str, partition: int, offsets: Sequence[int]
) -> dict[int, str]:
    """The event id recorded at each offset (the latest recorded, if two claim one)."""
    if not offsets:
        return {}
    rows = conn.execute(
        select(event_store.c.kafka_offset, event_store.c.event_id)
        .where(
            event_store.c.stream == stream,
            event_store.c.kafka_partition == partition,
            event_store.c.kafka_offset.in_(list(offsets)),
        )
        .order_by(event_store.c.sequence)
    )
    return {r.kafka_offset: r.event_id for r in rows}


# -- cursors (the relay's position and lease) ------------------------------------------------


def cursor_position(conn: Connection, name: str) -> int:
    value = conn.execute(
        select(store_cursors.c.position).where(store_cursors.c.name == name)
    ).scalar()
    return value or 0


def take_lease(conn: Connection, name: str, holder: str, seconds: float) -> bool:
    """Hold the named cursor for ``seconds``; False while another live holder has it."""
    now = utc_now()
    until = now + dt.timedelta(seconds=seconds)
    conn.execute(
        _insert(conn)(store_cursors)
        .values(name=name, position=0, holder=None, lease_until=None)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = conn.execute(
        update(store_cursors)
        .where(
            store_cursors.c.name == name,
            (store_cursors.c.holder == holder)
            | store_cursors.c.holder.is_(None)
            | (store_cursors.c.lease_until < now),
        )
        .values(holder=holder, lease_until=until)
    )
    return taken.rowcount == 1


def release_lease(conn: Connection, name: str, holder: str) -> None:
    conn.execute(
        update(store_cursors)
        .where(store_cursors.c.name == name, store_cursors.c.holder == holder)
        .values(holder=None, lease_until=None)
    )


def advance_cursor(conn: Connection, name: str, position: int) -> None:
    conn.execute(
        update(store_cursors).where(store_cursors.c.name == name).values(position=position)
    )


def backlog(conn: Connection, name: str) -> int:
    """Events accepted by commands that the cursor has not yet dealt with."""
    position = cursor_position(conn, name)
    return conn.execute(
        select(func.count())
        .select_from(event_store)
        .where(event_store.c.sequence > position, event_store.c.origin == ORIGIN_COMMAND)
    ).scalar_one()
