"""Repairing topics from the event store, after a broker lost what it had acknowledged.

For every partition of every stream, ``reconcile`` reads what the topic holds and compares it
with where the store recorded each event:

* an event the topic no longer holds is **re-published** (in sequence order) and its new
  position recorded;
* the **floor** is the first offset at which topic and store disagree. Any consumer (projector
  or archiver) positioned past it is moved back to it, so events the broker gave reused offsets
  are read, and those already applied are skipped by event id. Its compare-and-set position
  makes a running projector notice the move and re-read from there.

``tail_is_intact`` is the cheap check the relay runs every few seconds: is the last event it
placed on each partition still there? Only if not does it reconcile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from kafka import TopicPartition
from sqlalchemy import Engine, func, select, update

from projections import tracking
from services.kernel import bus, store
from services.kernel.bus import Publisher
from services.kernel.codec import Codec, event_id_of
from services.kernel.streams import STREAMS, TopicNames

log = logging.getLogger(__name__)


@dataclass
class PartitionRepair:
    topic: str
    partition: int
    end: int
    floor: int | None
    republished: int
    moved: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Consumer name → (old next offset, new next offset)."""


@dataclass
class ReconcileReport:
    partitions: list[PartitionRepair] = field(default_factory=list)

    @property
    def republished(self) -> int:
        return sum(p.republished for p in self.partitions)

    @property
    def damaged(self) -> list[PartitionRepair]:
        return [p for p in self.partitions if p.floor is not None or p.republished or p.moved]


def read_partition(
    bootstrap: str, codec: Codec, topic: str, partition: int, timeout: float = 120.0
) -> tuple[dict[int, str | None], int]:
    """Every offset of one partition with the event id there, and the end offset.

    A topic or partition the broker no longer has holds nothing (end 0).
    """
    reader = bus.consumer(bootstrap, enable_auto_commit=False)
    try:
        if partition not in (reader.partitions_for_topic(topic) or ()):
            return {}, 0
        tp = TopicPartition(topic, partition)
        reader.assign([tp])
        reader.seek_to_beginning(tp)
        end = reader.end_offsets([tp])[tp]
        found: dict[int, str | None] = {}
        deadline = time.monotonic() + timeout
        while reader.position(tp) < end:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic}:{partition} took over {timeout}s")
            for records in reader.poll(timeout_ms=500).values():
                for record in records:
                    found[record.offset] = event_id_of(codec, record)
        return found, end
    finally:
        reader.close()


def tail_is_intact(engine: Engine, bootstrap: str, codec: Codec, topics: TopicNames) -> bool:
    """Whether the last event placed on each partition is still where it was acknowledged."""
    t = store.event_store.c
    with engine.connect() as conn:
        tails = conn.execute(
            select(t.stream, t.kafka_partition, func.max(t.kafka_offset).label("offset"))
            .where(t.kafka_offset.is_not(None))
            .group_by(t.stream, t.kafka_partition)
        ).all()
        expected = {}
        for row in tails:
            ids = store.event_ids_at(conn, row.stream, row.kafka_partition, [row.offset])
            tp = TopicPartition(topics.topic(row.stream), row.kafka_partition)
            expected[tp] = (row.offset, ids.get(row.offset))
    if not expected:
        return True
    reader = bus.consumer(bootstrap, enable_auto_commit=False)
    try:
        for tp in expected:
            if tp.partition not in (reader.partitions_for_topic(tp.topic) or ()):
                return False  # the broker lost the topic or some of its partitions
        reader.assign(list(expected))
        ends = reader.end_offsets(list(expected))
        for tp, (offset, _id) in expected.items():
            if ends.get(tp, 0) <= offset:
                return False
            reader.seek(tp, offset)
        seen: dict[TopicPartition, str | None] = {}
        deadline = time.monotonic() + 15
        while len(seen) < len(expected) and time.monotonic() < deadline:
            for tp, records in reader.poll(timeout_ms=300).items():
                for record in records:
                    if record.offset == expected[tp][0] and tp not in seen:
                        seen[tp] = event_id_of(codec, record)
        return all(seen.get(tp) == event_id for tp, (_o, event_id) in expected.items())
    finally:
        reader.close()


def reconcile(
    engine: Engine,
    publisher: Publisher,
    bootstrap: str,
    codec: Codec,
    topics: TopicNames,
    consumers: Mapping[str, Sequence[str]],
    say: Callable[[str], None] | None = None,
) -> ReconcileReport:
    """Re-publish what the topics lost and move consumers back to where the damage starts.

    ``consumers`` maps each projector (and the archiver) to the streams it reads. The caller
    must hold the relay's lease, so nothing else publishes from the store meanwhile.
    """
    report = ReconcileReport()
    say = say or (lambda _line: None)
    reader = bus.consumer(bootstrap, enable_auto_commit=False)
    try:
        partitions = {
            stream.name: sorted(reader.partitions_for_topic(topics.topic(stream.name)) or ())
            for stream in STREAMS
        }
    finally:
        reader.close()
    for stream in STREAMS:
        topic = topics.topic(stream.name)
        with engine.connect() as conn:
            stored_partitions = set(
                conn.execute(
                    select(store.event_store.c.kafka_partition)
                    .where(
                        store.event_store.c.stream == stream.name,
                        store.event_store.c.kafka_partition.is_not(None),
                    )
                    .distinct()
                ).scalars()
            )
        for partition in sorted(set(partitions[stream.name]) | stored_partitions):
            repair = _reconcile_partition(
                engine, publisher, bootstrap, codec, topic, stream.name, partition, consumers
            )
            report.partitions.append(repair)
            if repair.floor is not None or repair.republished or repair.moved:
                say(
                    f"  {topic}:{partition}: end {repair.end}, first difference at "
                    f"{repair.floor}, {repair.republished} re-published, consumers moved "
                    f"{repair.moved or 'none'}"
                )
    return report


def _reconcile_partition(
    engine: Engine,
    publisher: Publisher,
    bootstrap: str,
    codec: Codec,
    topic: str,
    stream: str,
    partition: int,
    consumers: Mapping[str, Sequence[str]],
) -> PartitionRepair:
    on_topic, end = read_partition(bootstrap, codec, topic, partition)
    where: dict[str, int] = {}
    for offset, event_id in sorted(on_topic.items()):
        if event_id is not None:
            where.setdefault(event_id, offset)
    with engine.connect() as conn:
        placed = store.placed_on(conn, stream, partition)
    floor = None
    lost: list[str] = []
    moved_in_topic: list[tuple[str, int, int]] = []
    for offset, event_id, _sequence in placed:
        if on_topic.get(offset) != event_id and (floor is None or offset < floor):
            floor = offset
        if event_id not in where:
            lost.append(event_id)
        elif where[event_id] != offset:
            moved_in_topic.append((event_id, partition, where[event_id]))
    republished = 0
    with engine.begin() as conn:
        store.record_positions(conn, moved_in_topic)
    if lost:
        with engine.connect() as conn:
            rows = store.events_by_id(conn, lost)
        placed_now = publisher.send([row.outgoing() for row in rows])
        with engine.begin() as conn:
            store.record_positions(
                conn, [(r.event_id, p, o) for r, (_t, p, o) in zip(rows, placed_now, strict=True)]
            )
        republished = len(rows)
    repair = PartitionRepair(topic, partition, end, floor, republished)
    with engine.begin() as conn:
        for name, streams in consumers.items():
            if stream not in streams:
                continue
            position = tracking.load_positions(conn, name).get((topic, partition))
            if position is None:
                continue
            next_offset, _last = position
            target = min(next_offset, end if floor is None else min(floor, end))
            if target == next_offset:
                continue
            conn.execute(
                update(tracking.projection_offsets)
                .where(
                    tracking.projection_offsets.c.projection == name,
                    tracking.projection_offsets.c.topic == topic,
                    tracking.projection_offsets.c.partition == partition,
                )
                .values(next_offset=target, last_event_id=on_topic.get(target - 1))
            )
            repair.moved[name] = (next_offset, target)
    return repair
