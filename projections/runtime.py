"""The projector runtime: Kafka records in, read-model rows out, exactly once.

For each batch polled from the service's topics, in one database transaction:

1. skip events whose id this projection has already applied (a republished or duplicated event);
2. run the handler of each event type against the connection;
3. record the applied event ids and, per partition, the next offset to read.

If a handler fails, the transaction is rolled back and the batch is re-applied with a savepoint
around each event, so only the failing events are dead-lettered and the rest still land. A
message that cannot be decoded (or fails the projection's ``verify``, e.g. a tampered
ciphertext) goes to the dead-letter topic with the reason. Dead letters are acknowledged by the
broker before the transaction commits, so a crash can duplicate a dead letter but never lose one.

On start (and after any rebalance or database error) the consumer seeks to the offsets stored in
the database, not to Kafka's committed offsets: the database is the one source of truth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import OffsetOutOfRangeError
from sqlalchemy import Connection, Engine, Table, delete
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from projections import tracking
from services.kernel import bus
from services.kernel.bus import BrokerUnavailable, DeadLetters, end_offsets
from services.kernel.codec import Codec, DecodeError, event_id_of
from services.kernel.doorbell import Doorbell
from services.kernel.events import Event
from services.kernel.integrity import HEADER as MAC_HEADER
from services.kernel.integrity import EventSigner, IntegrityError, header_of
from services.kernel.streams import TopicNames

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Event], None]
IDLE_POLL_SECONDS = 2.0
"""How long an idle consumer sleeps between polls when nothing rings its doorbell."""

INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, DisconnectionError)
"""Database failures that say nothing about the event: retry the batch, never dead-letter it."""


def describe(exc: Exception) -> str:
    """A one-line reason: the database's own message without the SQL and parameters."""
    cause = getattr(exc, "orig", None) or exc
    return f"{cause.__class__.__name__}: {' '.join(str(cause).split())}"[:500]


class EventRejected(Exception):
    """Raised by a handler or verifier: this event can never be applied; dead-letter it."""


class TopicDiverged(RuntimeError):
    """The topic no longer holds what this projector applied: the broker lost or reused offsets.

    The projector stops applying (it would silently skip or double events) until
    ``tandem reconcile`` (or the relay, which runs it by itself) has repaired the topic.
    """


@dataclass(frozen=True)
class StoreRecord:
    """An event read from the event store, shaped like a Kafka record for the same code."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True)
class Projection:
    """What a service projects: its name, the streams it reads, handlers and its tables."""

    name: str
    streams: tuple[str, ...]
    handlers: Mapping[str, Handler]
    tables: Sequence[Table]
    """Cleared by a replay, in this order (children before parents)."""
    verify: Callable[[Event], None] | None = None
    """Raises EventRejected for an event that must not be applied (e.g. tampered)."""
    prepare: Callable[[Sequence[Event]], None] | None = None
    """Called once per batch before ``verify``: loads what verifying needs in one go."""


@dataclass
class ProjectorStatus:
    state: str = "starting"
    applied: int = 0
    dead_lettered: int = 0
    last_error: str | None = None
    last_batch_at: float | None = None
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    lagging_since: float | None = None


class _HandlerFailed(Exception):
    def __init__(self, event: Event, error: Exception):
        self.event, self.error = event, error


class Projector:
    def __init__(
        self,
        projection: Projection,
        engine: Engine,
        bootstrap: str,
        codec: Codec,
        topics: TopicNames,
        dead_letters: DeadLetters,
        batch_size: int = 500,
        group_prefix: str = "tandem",
        signer: EventSigner | None = None,
        check_interval: float = 3.0,
    ):
        self.projection = projection
        self.signer = signer
        self.topics = topics
        self.check_interval = check_interval
        self._expected: dict[tuple[str, int], int] = {}
        """What this projector believes is stored: positions are compare-and-set."""
        self._last_check = 0.0
        self.engine = engine
        self.bootstrap = bootstrap
        self.codec = codec
        self.topic_names = [topics.topic(s) for s in projection.streams]
        self.dead_letters = dead_letters
        self.batch_size = batch_size
        self.group_id = f"{group_prefix}-{projection.name}"
        self.status = ProjectorStatus()
        self._consumer: KafkaConsumer | None = None

    # -- consuming ---------------------------------------------------------------------------

    def _open(self) -> KafkaConsumer:
        """A consumer assigned every partition of the service's topics.

        Projectors assign partitions explicitly instead of joining a consumer group: the
        database holds the offsets, so a group would add only rebalances, and a member that
        crashed without leaving would stall the restart until the broker expired it.
        ``group_id`` is still set so offsets can be committed for standard lag tooling.
        """
        try:
            consumer = bus.consumer(
                self.bootstrap,
                group_id=self.group_id,
                client_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="none",  # a position past the end is a lie to report, not skip
                max_poll_records=self.batch_size,
                fetch_max_bytes=8 * 1024 * 1024,  # bounded read-ahead (on a broker that obeys)
                max_partition_fetch_bytes=2 * 1024 * 1024,
            )
        except BrokerUnavailable as exc:
            raise BrokerUnavailable(
                f"projector {self.projection.name} cannot reach Kafka at {self.bootstrap}: {exc}"
            ) from exc
        partitions = []
        for topic in self.topic_names:
            numbers = consumer.partitions_for_topic(topic)
            if not numbers:
                consumer.close()
                raise BrokerUnavailable(
                    f"projector {self.projection.name}: topic {topic} does not exist "
                    "(run `tandem topics --create`)"
                )
            partitions.extend(TopicPartition(topic, n) for n in sorted(numbers))
        consumer.assign(partitions)
        self.seek_to_stored(consumer, partitions)
        try:
            self.check_position(consumer)
        except BaseException:
            consumer.close()
            raise
        return consumer

    def seek_to_stored(self, consumer: KafkaConsumer, partitions) -> None:
        with self.engine.connect() as conn:
            stored = tracking.load_offsets(conn, self.projection.name)
        self._expected = dict(stored)
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)

    def check_position(self, consumer: KafkaConsumer | None = None) -> None:
        """Raise TopicDiverged if a topic no longer holds what this projector applied.

        Two lies are caught: the topic ends before the stored position (it lost its tail), or
        the record just before the position is not the event applied there (the broker lost
        records and gave their offsets to new ones).
        """
        consumer = consumer or self._consumer
        if consumer is None:
            return
        self._last_check = time.monotonic()
        with self.engine.connect() as conn:
            stored = tracking.load_positions(conn, self.projection.name)
        assigned = [tp for tp in consumer.assignment() if (tp.topic, tp.partition) in stored]
        if not assigned:
            return
        for tp in assigned:
            if tp.partition not in (consumer.partitions_for_topic(tp.topic) or ()):
                raise TopicDiverged(
                    f"topic {tp.topic} partition {tp.partition} no longer exists on the broker "
                    f"but projector {self.projection.name} has applied up to offset "
                    f"{stored[(tp.topic, tp.partition)][0]}: run `tandem reconcile`"
                )
        ends = consumer.end_offsets(assigned)
        probes: dict[TopicPartition, tuple[int, str]] = {}
        for tp in assigned:
            next_offset, last_event_id = stored[(tp.topic, tp.partition)]
            end = ends.get(tp, 0)
            if end < next_offset:
                raise TopicDiverged(
                    f"topic {tp.topic} partition {tp.partition} ends at offset {end} but "
                    f"projector {self.projection.name} has applied up to {next_offset}: the "
                    "broker lost events; run `tandem reconcile`"
                )
            if last_event_id and next_offset > 0:
                probes[tp] = (next_offset - 1, last_event_id)
        if probes:
            found = self._events_at(consumer, probes)
            for tp, (offset, expected) in probes.items():
                actual = found.get(tp)
                if actual != expected:
                    raise TopicDiverged(
                        f"topic {tp.topic} partition {tp.partition} offset {offset} holds event "
                        f"{actual or 'nothing'} but projector {self.projection.name} applied "
                        f"{expected} there: the broker reused lost offsets; run `tandem reconcile`"
                    )
        self.seek_to_stored(consumer, consumer.assignment())

    def _events_at(
        self, consumer: KafkaConsumer, probes: dict[TopicPartition, tuple[int, str]]
    ) -> dict[TopicPartition, str | None]:
        for tp, (offset, _expected) in probes.items():
            consumer.seek(tp, offset)
        found: dict[TopicPartition, str | None] = {}
        deadline = time.monotonic() + 10
        while len(found) < len(probes) and time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=200, max_records=self.batch_size)
            for tp, records in batch.items():
                if tp in probes and tp not in found:
                    wanted = probes[tp][0]
                    at = [r for r in records if r.offset == wanted]
                    if at:
                        found[tp] = event_id_of(self.codec, at[0])
                    elif records and records[0].offset > wanted:
                        found[tp] = None
        return found

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Poll one batch and apply it; returns how many records it handled."""
        if self._consumer is None:
            self._consumer = self._open()
        try:
            batch = self._consumer.poll(timeout_ms=timeout_ms, max_records=self.batch_size)
        except OffsetOutOfRangeError:
            self.check_position()
            raise
        records = [r for partition_records in batch.values() for r in partition_records]
        if not records:
            if time.monotonic() - self._last_check > self.check_interval:
                self.check_position()
            return 0
        try:
            self.apply(records)
        except Exception:
            # The consumer has moved past records that were not stored: go back to the database's
            # offsets so the batch is read again.
            self.seek_to_stored(self._consumer, self._consumer.assignment())
            raise
        return len(records)

    def run(
        self,
        stop: threading.Event,
        doorbell: Doorbell | None = None,
        idle_seconds: float = IDLE_POLL_SECONDS,
    ) -> None:
        """Apply batches until ``stop`` is set; database and broker errors are retried.

        While events flow, each poll waits briefly for the next fetch. Once a poll comes back
        empty the projector is idle: it polls without waiting (which drains what arrived and
        sends the next fetch) and then sleeps until ``doorbell`` rings (the relay published)
        or ``idle_seconds`` pass; after a ring the next poll waits for the new events. A
        broker that answers a fetch at once instead of holding it for ``fetch_max_wait_ms``
        (the embedded one does) would otherwise keep kafka-python's poll loop spinning: a
        whole core for an idle stack.
        """
        backoff = 0.5
        idle = False
        rings = doorbell.rings if doorbell else 0
        while not stop.is_set():
            try:
                handled = self.poll_once(timeout_ms=0 if idle else 100)
                backoff = 0.5
                if self.status.state != "running":
                    self.status.state, self.status.last_error = "running", None
                idle = handled == 0
                if idle and doorbell is not None:
                    rung = doorbell.wait(rings, idle_seconds)
                    # a ring means events are on the topic: wait for them in the next poll
                    idle, rings = rung == rings, rung
                elif idle:
                    stop.wait(idle_seconds)
            except TopicDiverged as exc:
                # stop applying until the topic is repaired; look again every few seconds
                if self.status.state != "diverged":
                    log.error("projector %s stopped: %s", self.projection.name, exc)
                self.status.state, self.status.last_error = "diverged", str(exc)
                self.close()
                stop.wait(2.0)
            except Exception as exc:  # keep the service alive; report through /health
                self.status.state = "retrying"
                self.status.last_error = f"{exc.__class__.__name__}: {exc}"
                log.exception("projector %s failed a batch; retrying", self.projection.name)
                if isinstance(exc, BrokerUnavailable):
                    self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 10)
        self.close()
        self.status.state = "stopped"

    def catch_up(self, timeout: float = 60.0, progress: Callable[[int, int], None] | None = None):
        """Apply everything currently on the topics; for tests, replay and tools."""
        deadline = time.monotonic() + timeout
        if self._consumer is None:
            self._consumer = self._open()
        else:
            self.check_position()
        targets = end_offsets(self.bootstrap, self.topic_names)
        total = sum(targets.values())
        while True:
            self.poll_once(timeout_ms=200)
            with self.engine.connect() as conn:
                stored = tracking.load_offsets(conn, self.projection.name)
            done = sum(min(stored.get(k, 0), v) for k, v in targets.items())
            if progress:
                progress(done, total)
            if all(stored.get(k, 0) >= v for k, v in targets.items()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"projector {self.projection.name} did not catch up within {timeout}s "
                    f"({done} of {total} records)"
                )

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close()
            finally:
                self._consumer = None

    # -- applying ----------------------------------------------------------------------------

    def apply(self, records: Sequence, *, positioned: bool = True) -> None:
        """Apply one batch in one transaction: rows, applied ids and offsets together.

        ``positioned=False`` (a replay from the store) applies without touching the offsets.
        """
        decoded, letters = self._check(records)
        offsets: dict[tuple[str, int], int] = {}
        last_ids: dict[tuple[str, int], str | None] = {}
        if positioned:
            for record in records:
                key = (record.topic, record.partition)
                if record.offset + 1 > offsets.get(key, 0):
                    offsets[key] = record.offset + 1
                    last_ids[key] = event_id_of(self.codec, record)

        try:
            with self.engine.begin() as conn:
                applied = self._apply_events(conn, decoded, isolate=False)
                self._finish(conn, applied, letters, offsets, last_ids)
        except _HandlerFailed:
            with self.engine.begin() as conn:
                applied = self._apply_events(conn, decoded, isolate=True, letters=letters)
                self._finish(conn, applied, letters, offsets, last_ids)
        self._expected.update(offsets)
        self.status.applied += len(decoded)
        self.status.dead_lettered += len(letters)
        self.status.last_batch_at = time.time()
        self.status.positions.update(offsets)

    def _check(self, records: Sequence) -> tuple[list[tuple[object, Event]], list]:
        """Decode, authenticate (MAC) and verify each record; the failures become letters."""
        decoded: list[tuple[object, Event]] = []
        letters: list[tuple[object, str]] = []
        for record in records:
            try:
                event = self.codec.decode(record.value)
            except DecodeError as exc:
                letters.append((record, str(exc)))
                continue
            if self.signer is not None:
                try:
                    self.signer.check(record.key, record.value, header_of(record.headers))
                except IntegrityError as exc:
                    letters.append((record, f"{event.event_type} {event.event_id}: {exc}"))
                    continue
            decoded.append((record, event))
        if self.projection.prepare is not None:
            self.projection.prepare([event for _, event in decoded])
        if self.projection.verify is not None:
            verified = []
            for record, event in decoded:
                try:
                    self.projection.verify(event)
                    verified.append((record, event))
                except EventRejected as exc:
                    letters.append((record, str(exc)))
            decoded = verified
        return decoded, letters

    def _apply_events(
        self,
        conn: Connection,
        decoded: list[tuple[object, Event]],
        *,
        isolate: bool,
        letters: list[tuple[object, str]] | None = None,
    ) -> list[str]:
        seen = tracking.already_applied(
            conn, self.projection.name, (e.event_id for _, e in decoded)
        )
        applied: list[str] = []
        for record, event in decoded:
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            handler = self.projection.handlers.get(event.event_type)
            if handler is None:
                applied.append(event.event_id)  # not this projection's concern
                continue
            if not isolate:
                try:
                    handler(conn, event)
                except INFRASTRUCTURE_ERRORS:
                    raise
                except Exception as exc:
                    raise _HandlerFailed(event, exc) from exc
                applied.append(event.event_id)
                continue
            savepoint = conn.begin_nested()
            try:
                handler(conn, event)
                savepoint.commit()
                applied.append(event.event_id)
            except INFRASTRUCTURE_ERRORS:
                savepoint.rollback()
                raise
            except Exception as exc:
                savepoint.rollback()
                assert letters is not None
                letters.append(
                    (record, f"{event.event_type} {event.event_id} not applied: {describe(exc)}")
                )
        return applied

    def _finish(self, conn, applied, letters, offsets, last_ids) -> None:
        tracking.mark_applied(conn, self.projection.name, applied)
        tracking.store_offsets(
            conn, self.projection.name, offsets, last_ids, expected=self._expected
        )
        for record, reason in letters:
            self.dead_letters.send(record, self.projection.name, reason)

    # -- replay ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Empty this projection's tables and position, in one transaction."""
        with self.engine.begin() as conn:
            for table in self.projection.tables:
                conn.execute(delete(table))
            tracking.forget(conn, self.projection.name)
        self._expected = {}
        if self._consumer is not None:
            self.seek_to_stored(self._consumer, self._consumer.assignment())

    def replay_from_store(
        self,
        engine: Engine,
        progress: Callable[[int, int], None] | None = None,
        batch_size: int = 2000,
    ) -> int:
        """Rebuild the read model from the event store (no broker); returns events read.

        Events are applied in the store's sequence order, a batch per transaction, then each
        partition's position is set to just after the last event the store knows is on it, so
        the live projector carries on from there (anything already applied is skipped by id).
        """
        from services.kernel import store

        self.reset()
        streams = list(self.projection.streams)
        with engine.connect() as conn:
            total = store.count(conn, streams)
        done = 0
        positions: dict[tuple[str, int], tuple[int, str]] = {}
        for rows in store.iterate(engine, streams, batch_size):
            records = []
            for row in rows:
                topic = self.topics.topic(row.stream)
                records.append(
                    StoreRecord(
                        topic,
                        row.kafka_partition if row.kafka_partition is not None else -1,
                        row.kafka_offset if row.kafka_offset is not None else -1,
                        row.key,
                        row.value,
                        [("event_id", row.event_id.encode()), (MAC_HEADER, row.mac)],
                    )
                )
                if row.kafka_offset is not None:
                    key = (topic, row.kafka_partition)
                    if row.kafka_offset + 1 > positions.get(key, (0, ""))[0]:
                        positions[key] = (row.kafka_offset + 1, row.event_id)
            self.apply(records, positioned=False)
            done += len(rows)
            if progress:
                progress(done, total)
        with self.engine.begin() as conn:
            tracking.store_offsets(
                conn,
                self.projection.name,
                {k: v[0] for k, v in positions.items()},
                {k: v[1] for k, v in positions.items()},
            )
        self._expected = {k: v[0] for k, v in positions.items()}
        if self._consumer is not None:
            self.seek_to_stored(self._consumer, self._consumer.assignment())
        return done
