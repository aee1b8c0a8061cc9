"""The unit of work of a command: decide on current state, store every event, or nothing.

A command runs inside one database transaction that

1. takes the store's append lock (so two commands never decide on the same state at once:
   three concurrent posts of the same person make one person);
2. reads whatever the decision needs through ``session.conn`` (current, not a lagging copy);
3. ``record()``s its events: validated, encrypted, encoded, signed, appended to the event store,
   and applied to every read model that follows their streams (*inline projection*: each
   handler in a savepoint, its event id marked applied so the projector skips it later);
4. optionally stores its answer under the caller's ``Idempotency-Key``.

On commit the relay is woken to put the events on Kafka. If anything raises, nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from projections import tracking
from projections.runtime import INFRASTRUCTURE_ERRORS, Projection
from services.kernel import store
from services.kernel.bus import Outgoing
from services.kernel.codec import Codec
from services.kernel.events import Event, utc_now

log = logging.getLogger(__name__)


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was used before for a different request."""


class AlreadyAnswered(Exception):
    """The same request was accepted before: here is the answer it got."""

    def __init__(self, status_code: int, body: Any):
        self.status_code, self.body = status_code, body
        super().__init__(f"already answered with {status_code}")


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's ``Idempotency-Key`` for one request, scoped to the caller."""

    scope: str
    key: str
    request_hash: str

    @classmethod
    def of(cls, scope: str, key: str, method: str, path: str, body: bytes) -> IdempotencyKey:
        digest = hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()
        return cls(scope, key, digest)


@dataclass
class CommandSession:
    conn: Connection
    prepare: Callable[[Sequence[Event]], list[Outgoing]]
    codec: Codec
    projections: Mapping[str, Projection]
    idempotency: IdempotencyKey | None = None
    recorded: list[Outgoing] = field(default_factory=list)

    def record(self, events: Sequence[Event]) -> list[Outgoing]:
        """Store the events (all of this command's, in order) and project them at once."""
        outgoing = self.prepare(events)
        store.append(self.conn, outgoing)
        self.recorded.extend(outgoing)
        self._project(outgoing)
        return outgoing

    def answer(self, response: Any, status_code: int = 201) -> Any:
        """Keep the answer for a retry with the same Idempotency-Key; returns ``response``."""
        if self.idempotency is not None:
            body = response.model_dump(mode="json") if hasattr(response, "model_dump") else response
            self.conn.execute(
                store.idempotency_keys.insert().values(
                    scope=self.idempotency.scope,
                    key=self.idempotency.key,
                    request_hash=self.idempotency.request_hash,
                    status_code=status_code,
                    response=json.loads(json.dumps(body, default=str)),
                    created_at=utc_now(),
                )
            )
        return response

    def _project(self, outgoing: Sequence[Outgoing]) -> None:
        decoded = [(record.stream, self.codec.decode(record.value)) for record in outgoing]
        for projection in self.projections.values():
            mine = [event for stream, event in decoded if stream in projection.streams]
            if not mine:
                continue
            done = tracking.already_applied(self.conn, projection.name, (e.event_id for e in mine))
            applied = []
            for event in mine:
                if event.event_id in done:
                    continue
                handler = projection.handlers.get(event.event_type)
                if handler is None:
                    applied.append(event.event_id)
                    continue
                savepoint = self.conn.begin_nested()
                try:
                    handler(self.conn, event)
                    savepoint.commit()
                    applied.append(event.event_id)
                except INFRASTRUCTURE_ERRORS:
                    savepoint.rollback()
                    raise
                except Exception:
                    # Stored all the same: the projector meets it on the topic and
                    # dead-letters it with the reason, as for any event it cannot apply.
                    savepoint.rollback()
                    log.exception(
                        "%s could not apply %s %s inline",
                        projection.name,
                        event.event_type,
                        event.event_id,
                    )
            tracking.mark_applied(self.conn, projection.name, applied)


class CommandRunner:
    """Opens command sessions on the writer engine and wakes the relay after each commit."""

    def __init__(
        self,
        engine: Engine,
        prepare: Callable[[Sequence[Event]], list[Outgoing]],
        codec: Codec,
        projections: Mapping[str, Projection],
    ):
        self.engine = engine
        self.prepare = prepare
        self.codec = codec
        self.projections = projections
        self.committed = threading.Event()
        """Set after every commit that stored events: the relay waits on it."""

    @contextmanager
    def begin(self, idempotency: IdempotencyKey | None = None) -> Iterator[CommandSession]:
        with self.engine.begin() as conn:
            store.lock_appends(conn)
            if idempotency is not None:
                _replay_answer(conn, idempotency)
            session = CommandSession(conn, self.prepare, self.codec, self.projections, idempotency)
            yield session
        if session.recorded:
            self.committed.set()

    def record(self, events: Sequence[Event]) -> list[Outgoing]:
        """A command that only stores events (audit, tools): one transaction, all or none."""
        with self.begin() as session:
            return session.record(events)


def _replay_answer(conn: Connection, idempotency: IdempotencyKey) -> None:
    row = conn.execute(
        select(
            store.idempotency_keys.c.request_hash,
            store.idempotency_keys.c.status_code,
            store.idempotency_keys.c.response,
        ).where(
            store.idempotency_keys.c.scope == idempotency.scope,
            store.idempotency_keys.c.key == idempotency.key,
        )
    ).first()
    if row is None:
        return
    if row.request_hash != idempotency.request_hash:
        raise IdempotencyConflict(
            "Idempotency-Key was already used for a different request; "
            "use a new key for a new request"
        )
    raise AlreadyAnswered(row.status_code, row.response)
