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
from kafka.admin import NewPartitions, NewTopic
from kafka.errors import (
    KafkaError,
    OutOfOrderSequenceNumberError,
    TopicAlreadyExistsError,
    UnknownProducerIdError,
)

from services.kernel.codec import Codec
from services.kernel.events import Event, utc_now
from services.kernel.integrity import HEADER as MAC_HEADER
from services.kernel.integrity import EventSigner
from services.kernel.streams import TopicNames, stream_for

log = logging.getLogger(__name__)

BOOTSTRAP_TIMEOUT_MS = 10_000
"""How long to try reaching a broker before saying it is down."""

RETENTION_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}
"""Kafka's default 7-day retention would silently delete the record of events."""

RECEIVE_MESSAGE_MAX_BYTES = 2_000_000_000
"""The embedded broker ignores fetch limits and answers with everything from the consumer's
position to the end of the topic in one frame; kafka-python refuses frames over 100 MB by
default and then retries forever. The frame size is a 32-bit field, so about 2 GB is the
ceiling. A stop-gap only: replays read the event store, not the topic (see store.py)."""


def client_options() -> dict:
    """Options every kafka-python client gets: security (SASL/SCRAM or TLS) from settings."""
    from services.kernel.settings import kafka_security_from_env

    return kafka_security_from_env()


def consumer(bootstrap: str, **options) -> KafkaConsumer:
    """A KafkaConsumer with Tandem's options; raises BrokerUnavailable naming the address."""
    try:
        return KafkaConsumer(
            bootstrap_servers=bootstrap,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            receive_message_max_bytes=RECEIVE_MESSAGE_MAX_BYTES,
            **{**client_options(), **options},
        )
    except (KafkaError, OSError) as exc:
        raise _unreachable(bootstrap, exc) from exc


STORED_HEADER = "tandem_stored"


class BrokerUnavailable(RuntimeError):
    """The Kafka broker cannot be reached; the message says which address and what to check."""


class PublishError(RuntimeError):
    """An event was not acknowledged by the broker: it is not stored and the caller must know."""


def _producer_state_lost(exc: Exception) -> bool:
    return isinstance(exc, OutOfOrderSequenceNumberError | UnknownProducerIdError)


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
            **client_options(),
        )
    except (KafkaError, OSError) as exc:
        raise _unreachable(bootstrap, exc) from exc


def ensure_topics(
    bootstrap: str, topics: Sequence[str], partitions: int, replication: int
) -> list[str]:
    """Create missing topics with infinite retention; returns the names it created.

    A topic with fewer partitions than configured gets the missing ones back: a broker that
    lost its state can auto-create a topic with one partition when a client first names it.
    """
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
        present = [t for t in topics if t in existing]
        if present:
            short = {
                (d.get("name") or d.get("topic")): NewPartitions(partitions)
                for d in admin.describe_topics(present)
                if 0 < len(d.get("partitions") or ()) < partitions
            }
            if short:
                log.warning("restoring partitions of %s", ", ".join(sorted(short)))
                admin.create_partitions(short)
        return created
    finally:
        admin.close()


def list_topics(bootstrap: str) -> list[str]:
    admin = admin_client(bootstrap)
    try:
        return sorted(admin.list_topics())
    finally:
        admin.close()


@dataclass(frozen=True)
class Outgoing:
    """One event ready for the wire: validated, encrypted, encoded and signed."""

    event_id: str
    event_type: str
    stream: str
    key: bytes
    value: bytes
    mac: bytes
    from_store: bool = False
    """Sent by the relay: the archiver then knows an already-stored id is no duplicate."""

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("event_type", self.event_type.encode()),
            ("event_id", self.event_id.encode()),
            (MAC_HEADER, self.mac),
        ]
        if self.from_store:
            headers.append((STORED_HEADER, b"1"))
        return headers


class Publisher:
    """Publishes events: idempotent, acks=all, and every send confirmed or reported as failed.

    ``prepare`` turns events into signed wire records (what the event store keeps) and
    ``send`` puts records on their topics; ``publish`` does both, for tools and partners that
    write straight to Kafka. Tandem's own commands store first and let the relay send.
    """

    def __init__(
        self,
        bootstrap: str,
        codec: Codec,
        topics: TopicNames,
        client_id: str = "tandem",
        encrypt: Callable[[Sequence[Event]], list[Event]] | None = None,
        signer: EventSigner | None = None,
    ):
        self.codec = codec
        self.encrypt = encrypt
        self.signer = signer
        self.topics = topics
        self.bootstrap = bootstrap
        self.client_id = client_id
        self._producer_instance: KafkaProducer | None = None

    @property
    def _producer(self) -> KafkaProducer:
        """Connected on first send: preparing events (what commands do) needs no broker."""
        if self._producer_instance is None:
            self._producer_instance = self._new_producer()
        return self._producer_instance

    def _new_producer(self) -> KafkaProducer:
        try:
            return KafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                max_block_ms=10_000,
                bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
                request_timeout_ms=15_000,
                retries=5,
                **client_options(),
            )
        except (KafkaError, OSError) as exc:
            raise _unreachable(self.bootstrap, exc) from exc

    def reset(self) -> None:
        """A new producer (new idempotence id): after a broker lost its state, the old
        producer's sequence numbers are refused for ever (OutOfOrderSequenceNumber)."""
        producer, self._producer_instance = self._producer_instance, None
        if producer is not None:
            try:
                producer.close(timeout=1)
            except Exception:  # a producer that cannot close cleanly is dropped all the same
                log.debug("closing the old producer failed", exc_info=True)

    def prepare(self, events: Sequence[Event]) -> list[Outgoing]:
        """Validate, encrypt, encode and sign every event; a bad event raises, nothing sent."""
        if self.encrypt is not None:
            # validate first, so a bad field is named before any data key is created
            conformed = self.encrypt([self.codec.conformed(e) for e in events])
            encoded = [(e, self.codec.encode(e, conformed=True)) for e in conformed]
        else:
            encoded = [(e, self.codec.encode(e)) for e in events]
        outgoing = []
        for event, value in encoded:
            key = event.aggregate_id.encode()
            outgoing.append(
                Outgoing(
                    event_id=event.event_id,
                    event_type=event.event_type,
                    stream=stream_for(event.event_type).name,
                    key=key,
                    value=value,
                    mac=self.signer.sign(key, value) if self.signer else b"",
                )
            )
        return outgoing

    def publish(self, events: Sequence[Event], timeout: float = 20.0) -> list[tuple[str, int, int]]:
        """Send and wait for acknowledgement; returns (topic, partition, offset) per event.

        Every event is validated, encrypted and encoded before any is sent, so a bad event in
        a batch sends nothing.
        """
        return self.send(self.prepare(events), timeout)

    def send(
        self, records: Sequence[Outgoing], timeout: float = 20.0
    ) -> list[tuple[str, int, int]]:
        """Put prepared records on their topics in order and wait for every acknowledgement.

        A broker that restarted without its producer state (or whose topic was recreated)
        refuses this producer's sequence numbers for ever; then a new producer resends, once,
        the records that were not acknowledged, in their order. Consumers skip a duplicate by
        event id, so a resend that doubles a record on the topic is harmless.
        """
        placed: list[tuple[str, int, int] | None] = [None] * len(records)
        for attempt in (1, 2):
            pending = [i for i, p in enumerate(placed) if p is None]
            failures = self._send_once([records[i] for i in pending], timeout)
            for index, result in zip(pending, failures, strict=True):
                if not isinstance(result, Exception):
                    placed[index] = result
            errors = [r for r in failures if isinstance(r, Exception)]
            if not errors:
                break
            first = errors[0]
            if attempt == 1 and _producer_state_lost(first):
                log.warning(
                    "broker lost this producer's state (%s); resending with a new one", first
                )
                self.reset()
                continue
            missing = next(records[i] for i, p in enumerate(placed) if p is None)
            raise PublishError(
                f"{missing.event_type} {missing.event_id} was not acknowledged by the broker "
                f"at {self.bootstrap}: {first}"
            ) from first
        return [p for p in placed if p is not None]

    def _send_once(
        self, records: Sequence[Outgoing], timeout: float
    ) -> list[tuple[str, int, int] | Exception]:
        futures = []
        for record in records:
            try:
                futures.append(
                    self._producer.send(
                        self.topics.topic(record.stream),
                        key=record.key,
                        value=record.value,
                        headers=record.headers(),
                    )
                )
            except KafkaError as exc:
                raise PublishError(
                    f"{record.event_type} {record.event_id} not sent: {exc}"
                ) from exc
        self._producer.flush(timeout=timeout)
        results: list[tuple[str, int, int] | Exception] = []
        for future in futures:
            try:
                metadata = future.get(timeout=timeout)
                results.append((metadata.topic, metadata.partition, metadata.offset))
            except Exception as exc:
                results.append(exc)
        return results

    def send_raw(self, topic: str, key: bytes | None, value: bytes, headers=None, timeout=20.0):
        """For dead letters and tools: raw bytes, still acknowledged or raised."""
        future = self._producer.send(topic, key=key, value=value, headers=headers or [])
        try:
            return future.get(timeout=timeout)
        except Exception as exc:
            raise PublishError(f"message to {topic} was not acknowledged: {exc}") from exc

    def close(self) -> None:
        producer, self._producer_instance = self._producer_instance, None
        if producer is not None:
            producer.close(timeout=5)


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
    reader = consumer(bootstrap, enable_auto_commit=False, consumer_timeout_ms=timeout_ms)
    try:
        partitions = reader.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in partitions]
        reader.assign(assigned)
        reader.seek_to_beginning(*assigned)
        letters = []
        for record in reader:
            detail = dict(record.headers or []).get("dlq_detail")
            if detail:
                letters.append((DeadLetter(**json.loads(detail)), record.value))
        return letters
    finally:
        reader.close()


def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
    """The next offset to be written per partition: lag is this minus what was applied."""
    reader = consumer(bootstrap, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(t, p) for t in topics for p in (reader.partitions_for_topic(t) or ())
        ]
        return {(tp.topic, tp.partition): o for tp, o in reader.end_offsets(partitions).items()}
    finally:
        reader.close()
