"""The relay (transactional outbox): puts stored events on Kafka, in order, until acknowledged.

Commands only write to the event store; this is the one path from the store to the topics.
It reads events after its cursor in sequence order, sends them with the idempotent producer,
waits for every acknowledgement, records where each landed and advances the cursor, all in one
transaction. While the broker is down it keeps trying (commands are still accepted and stored);
``/health`` shows its backlog as "publishing delayed".

The embedded broker can lose what it acknowledged and then hand the lost offsets to new
records. So every few seconds the relay checks that the last event it placed on each partition
is still there; if not, it runs ``reconcile`` to re-publish what the topic lost and to move every
projector back to where the damage starts. Only one process relays at a time (a lease row).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from services.kernel import store
from services.kernel.bus import Publisher, PublishError
from services.kernel.doorbell import Doorbell

log = logging.getLogger(__name__)

CURSOR = "relay"
LEASE_SECONDS = 30.0


@dataclass
class RelayStatus:
    state: str = "starting"
    published: int = 0
    backlog: int = 0
    last_error: str | None = None
    repairs: int = 0


class Relay:
    def __init__(
        self,
        engine: Engine,
        publisher: Publisher,
        check_tail=None,
        batch_size: int = 500,
        check_interval: float = 5.0,
        published: Doorbell | None = None,
    ):
        self.engine = engine
        self.published = published
        """Rung after each batch reaches Kafka, so this process's idle consumers fetch it now."""
        self.publisher = publisher
        self.batch_size = batch_size
        self.check_interval = check_interval
        self.check_tail = check_tail
        """Called with no arguments every ``check_interval``: verifies and repairs the topics."""
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.status = RelayStatus()
        self._last_check = 0.0
        self._lock = threading.Lock()

    def drain(self, timeout: float = 60.0) -> int:
        """Publish everything stored so far; returns how many events were sent."""
        deadline = time.monotonic() + timeout
        sent = 0
        while True:
            count = self.publish_batch()
            sent += count
            if count == 0:
                return sent
            if time.monotonic() > deadline:
                raise TimeoutError(f"relay did not drain the store within {timeout}s")

    def publish_batch(self) -> int:
        """One batch from the store to Kafka; 0 when there is nothing to send (or no lease).

        No transaction is open while sending: a broker that takes seconds to answer must not
        hold the database's writer lock that commands need.
        """
        with self._lock:
            with self.engine.begin() as conn:
                if not store.take_lease(conn, CURSOR, self.holder, LEASE_SECONDS):
                    self.status.state = "standby"  # another process relays
                    return 0
                position = store.cursor_position(conn, CURSOR)
                rows = store.read_after(conn, position, self.batch_size)
            if not rows:
                return 0
            pending = [r for r in rows if r.origin == store.ORIGIN_COMMAND]
            try:
                placed = self.publisher.send([r.outgoing() for r in pending])
            except PublishError:
                self.publisher.reset()  # the next try starts from a clean connection
                raise
            with self.engine.begin() as conn:
                store.record_positions(
                    conn,
                    [(r.event_id, p, o) for r, (_t, p, o) in zip(pending, placed, strict=True)],
                )
                store.advance_cursor(conn, CURSOR, rows[-1].sequence)
            self.status.published += len(pending)
            if self.published is not None:
                self.published.ring()
            return len(rows)

    def run(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        """Relay until ``stop`` is set; ``wake`` is set by commands when they commit."""
        backoff = 0.2
        while not stop.is_set():
            try:
                if time.monotonic() - self._last_check > self.check_interval:
                    self._check()
                count = self.publish_batch()
                with self.engine.connect() as conn:
                    self.status.backlog = store.backlog(conn, CURSOR)
                if self.status.state != "standby":
                    self.status.state, self.status.last_error = "running", None
                backoff = 0.2
                if count == 0:
                    if wake is not None:
                        wake.wait(1.0)
                        wake.clear()
                    else:
                        stop.wait(1.0)
            except Exception as exc:  # the broker is down: keep the backlog, keep trying
                self.status.state = "delayed"
                self.status.last_error = f"{exc.__class__.__name__}: {exc}"
                log.warning("relay: publishing delayed: %s", self.status.last_error)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        with self.engine.begin() as conn:
            store.release_lease(conn, CURSOR, self.holder)
        self.status.state = "stopped"

    def _check(self) -> None:
        self._last_check = time.monotonic()
        if self.check_tail is None:
            return
        repaired = self.check_tail()
        if repaired:
            self.status.repairs += 1
            log.warning("relay: the broker had lost %d event(s); re-published them", repaired)
