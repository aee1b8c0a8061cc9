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
from kafka.errors import KafkaError
from sqlalchemy import Connection, Engine, Table, delete
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from projections import tracking
from services.kernel.bus import BOOTSTRAP_TIMEOUT_MS, BrokerUnavailable, DeadLetters, end_offsets
from services.kernel.codec import Codec, DecodeError
from services.kernel.events import Event
from services.kernel.streams import TopicNames

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Event], None]
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, DisconnectionError)
"""Database failures that say nothing about the event: retry the batch, never dead-letter it."""


def describe(exc: Exception) -> str:
    """A one-line reason: the database's own message without the SQL and parameters."""
    cause = getattr(exc, "orig", None) or exc
    return f"{cause.__class__.__name__}: {' '.join(str(cause).split())}"[:500]


class EventRejected(Exception):
    """Raised by a handler or verifier: this event can never be applied; dead-letter it."""


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
    ):
        self.projection = projection
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
            consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                group_id=self.group_id,
                client_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=self.batch_size,
                fetch_max_bytes=8 * 1024 * 1024,  # bounded read-ahead: long replays stay small
                max_partition_fetch_bytes=2 * 1024 * 1024,
                bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            )
        except (KafkaError, OSError) as exc:
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
        return consumer

    def seek_to_stored(self, consumer: KafkaConsumer, partitions) -> None:
        with self.engine.connect() as conn:
            stored = tracking.load_offsets(conn, self.projection.name)
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Poll one batch and apply it; returns how many records it handled."""
        if self._consumer is None:
            self._consumer = self._open()
        batch = self._consumer.poll(timeout_ms=timeout_ms, max_records=self.batch_size)
        records = [r for partition_records in batch.values() for r in partition_records]
        if not records:
            return 0
        try:
            self.apply(records)
        except Exception:
            # The consumer has moved past records that were not stored: go back to the database's
            # offsets so the batch is read again.
            self.seek_to_stored(self._consumer, self._consumer.assignment())
            raise
        return len(records)

    def run(self, stop: threading.Event, idle_ms: int = 500) -> None:
        """Apply batches until ``stop`` is set; database and broker errors are retried."""
        backoff = 0.5
        while not stop.is_set():
            try:
                self.poll_once(timeout_ms=idle_ms)
                backoff = 0.5
                if self.status.state != "running":
                    self.status.state, self.status.last_error = "running", None
            except Exception as exc:  # keep the service alive; report through /health
                self.status.state = "retrying"
                self.status.last_error = f"{exc.__class__.__name__}: {exc}"
                log.exception("projector %s failed a batch; retrying", self.projection.name)
                if isinstance(exc, BrokerUnavailable):
                    self._consumer = None
                stop.wait(backoff)
                backoff = min(backoff * 2, 10)
        self.close()
        self.status.state = "stopped"

    def catch_up(self, timeout: float = 60.0, progress: Callable[[int, int], None] | None = None):
        """Apply everything currently on the topics; for tests, replay and tools."""
        deadline = time.monotonic() + timeout
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
            self._consumer.close()
            self._consumer = None

    # -- applying ----------------------------------------------------------------------------

    def apply(self, records: Sequence) -> None:
        decoded: list[tuple[object, Event]] = []
        letters: list[tuple[object, str]] = []
        for record in records:
            try:
                decoded.append((record, self.codec.decode(record.value)))
            except DecodeError as exc:
                letters.append((record, str(exc)))
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
        offsets: dict[tuple[str, int], int] = {}
        for record in records:
            key = (record.topic, record.partition)
            offsets[key] = max(offsets.get(key, 0), record.offset + 1)

        try:
            with self.engine.begin() as conn:
                applied = self._apply_events(conn, decoded, isolate=False)
                self._finish(conn, applied, letters, offsets)
        except _HandlerFailed:
            with self.engine.begin() as conn:
                applied = self._apply_events(conn, decoded, isolate=True, letters=letters)
                self._finish(conn, applied, letters, offsets)
        self.status.applied += len(decoded)
        self.status.dead_lettered += len(letters)
        self.status.last_batch_at = time.time()
        self.status.positions.update(offsets)

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

    def _finish(self, conn, applied, letters, offsets) -> None:
        tracking.mark_applied(conn, self.projection.name, applied)
        tracking.store_offsets(conn, self.projection.name, offsets)
        for record, reason in letters:
            self.dead_letters.send(record, self.projection.name, reason)

    # -- replay ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Empty this projection's tables and position, in one transaction."""
        with self.engine.begin() as conn:
            for table in self.projection.tables:
                conn.execute(delete(table))
            tracking.forget(conn, self.projection.name)
        if self._consumer is not None:
            self.seek_to_stored(self._consumer, self._consumer.assignment())
