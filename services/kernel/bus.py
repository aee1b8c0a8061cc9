"""The Kafka adapter: topic administration, publishing and dead letters, all on kafka-python.

Nothing here knows about a particular broker: the embedded one and Apache Kafka are reached the
same way through bootstrap servers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from services.kernel.codec import Codec
from services.kernel.events import Event, utc_now
from services.kernel.streams import TopicNames

log = logging.getLogger(__name__)

BOOTSTRAP_TIMEOUT_MS = 10_000
"""How long to try reaching a broker before saying it is down."""

RETENTION_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}
"""Kafka's default 7-day retention would silently delete the record of events."""


class BrokerUnavailable(RuntimeError):
    """The Kafka broker cannot be reached; the message says which address and what to check."""


class PublishError(RuntimeError):
    """An event was not acknowledged by the broker: it is not stored and the caller must know."""


def _unreachable(bootstrap: str, exc: Exception) -> BrokerUnavailable:
    return BrokerUnavailable(
        f"Kafka broker at {bootstrap} is not reachable ({exc.__class__.__name__}: {exc}). "
        "Start it with `tandem up`, or set TANDEM_KAFKA_BOOTSTRAP to a running cluster."
    )


def admin_client(bootstrap: str, timeout_ms: int = 10_000) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="tandem-admin",
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except (KafkaError, OSError) as exc:
        raise _unreachable(bootstrap, exc) from exc


def ensure_topics(
    bootstrap: str, topics: Sequence[str], partitions: int, replication: int
) -> list[str]:
    """Create missing topics with infinite retention; returns the names it created."""
    admin = admin_client(bootstrap)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics(
                    [NewTopic(topic, partitions, replication, topic_configs=RETENTION_FOREVER)]
                )
                created.append(topic)
            except TopicAlreadyExistsError:
                pass  # another process created it first
        return created
    finally:
        admin.close()


def list_topics(bootstrap: str) -> list[str]:
    admin = admin_client(bootstrap)
    try:
        return sorted(admin.list_topics())
    finally:
        admin.close()


class Publisher:
    """Publishes events: idempotent, acks=all, and every send confirmed or reported as failed."""

    def __init__(
        self,
        bootstrap: str,
        codec: Codec,
        topics: TopicNames,
        client_id: str = "tandem",
        encrypt: Callable[[Sequence[Event]], list[Event]] | None = None,
    ):
        self.codec = codec
        self.encrypt = encrypt
        self.topics = topics
        self.bootstrap = bootstrap
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=bootstrap,
                client_id=client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                max_block_ms=10_000,
                bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
                request_timeout_ms=15_000,
                retries=5,
            )
        except (KafkaError, OSError) as exc:
            raise _unreachable(bootstrap, exc) from exc

    def publish(self, events: Sequence[Event], timeout: float = 20.0) -> list[tuple[str, int, int]]:
        """Send and wait for acknowledgement; returns (topic, partition, offset) per event.

        Every event is validated, encrypted and encoded before any is sent, so a bad event in
        a batch sends nothing.
        """
        if self.encrypt is not None:
            # validate first, so a bad field is named before any data key is created
            conformed = self.encrypt([self.codec.conformed(e) for e in events])
            encoded = [
                (self.topics.for_event(e.event_type), e, self.codec.encode(e, conformed=True))
                for e in conformed
            ]
        else:
            encoded = [
                (self.topics.for_event(e.event_type), e, self.codec.encode(e)) for e in events
            ]
        futures = []
        for topic, event, value in encoded:
            headers = [
                ("event_type", event.event_type.encode()),
                ("event_id", event.event_id.encode()),
            ]
            try:
                futures.append(
                    self._producer.send(
                        topic, key=event.aggregate_id.encode(), value=value, headers=headers
                    )
                )
            except KafkaError as exc:
                raise PublishError(f"{event.event_type} {event.event_id} not sent: {exc}") from exc
        self._producer.flush(timeout=timeout)
        positions = []
        for (_topic, event, _value), future in zip(encoded, futures, strict=True):
            try:
                metadata = future.get(timeout=timeout)
            except Exception as exc:
                raise PublishError(
                    f"{event.event_type} {event.event_id} was not acknowledged by the broker at "
                    f"{self.bootstrap}: {exc}"
                ) from exc
            positions.append((metadata.topic, metadata.partition, metadata.offset))
        return positions

    def send_raw(self, topic: str, key: bytes | None, value: bytes, headers=None, timeout=20.0):
        """For dead letters and tools: raw bytes, still acknowledged or raised."""
        future = self._producer.send(topic, key=key, value=value, headers=headers or [])
        try:
            return future.get(timeout=timeout)
        except Exception as exc:
            raise PublishError(f"message to {topic} was not acknowledged: {exc}") from exc

    def close(self) -> None:
        self._producer.close(timeout=5)


@dataclass(frozen=True)
class DeadLetter:
    """What a dead-letter message carries about the message that could not be processed."""

    source_topic: str
    source_partition: int
    source_offset: int
    consumer: str
    reason: str
    failed_at: str


class DeadLetters:
    """Routes unprocessable messages to ``<topic>.dlq`` with the original bytes and the reason."""

    def __init__(self, publisher: Publisher, topics: TopicNames):
        self._publisher = publisher
        self._topics = topics

    def send(self, record, consumer: str, reason: str) -> None:
        stream = self._topics.stream_of_topic(record.topic)
        letter = DeadLetter(
            record.topic, record.partition, record.offset, consumer, reason, utc_now().isoformat()
        )
        headers = list(record.headers or []) + [
            ("dlq_reason", reason.encode()),
            ("dlq_source", f"{record.topic}:{record.partition}:{record.offset}".encode()),
            ("dlq_consumer", consumer.encode()),
            ("dlq_detail", json.dumps(letter.__dict__).encode()),
        ]
        log.warning(
            "dead letter from %s:%s:%s: %s", record.topic, record.partition, record.offset, reason
        )
        self._publisher.send_raw(
            self._topics.dead_letter(stream), record.key, record.value or b"", headers
        )


def read_dead_letters(
    bootstrap: str, topic: str, timeout_ms: int = 3000
) -> list[tuple[DeadLetter, bytes]]:
    """Every dead letter on a topic, with the original bytes (for tools and tests)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        letters = []
        for record in consumer:
            detail = dict(record.headers or []).get("dlq_detail")
            if detail:
                letters.append((DeadLetter(**json.loads(detail)), record.value))
        return letters
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
    """The next offset to be written per partition: lag is this minus what was applied."""
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except (KafkaError, OSError) as exc:
        raise _unreachable(bootstrap, exc) from exc
    try:
        partitions = [
            TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())
        ]
        return {(tp.topic, tp.partition): o for tp, o in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()
