"""What the event-store tests share: a broker of their own, read-model dumps, store counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from services.bootstrap import Platform
from services.kernel import store
from services.kernel.embedded_broker import EmbeddedBroker, free_port


def dump(platform: Platform, *names: str) -> dict[str, list[tuple]]:
    """Every row of every read-model table of the named services (all by default), sorted."""
    projections = (
        [platform.projections[n] for n in names] if names else platform.projections.values()
    )
    with platform.engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(select(t)).all())
            for p in projections
            for t in p.tables
        }


def stored_types(platform: Platform) -> list[str]:
    """The event types in the store, in sequence order."""
    with platform.engine.connect() as conn:
        return list(
            conn.execute(
                select(store.event_store.c.event_type).order_by(store.event_store.c.sequence)
            ).scalars()
        )


def stored_count(platform: Platform, event_type: str | None = None) -> int:
    query = select(func.count()).select_from(store.event_store)
    if event_type:
        query = query.where(store.event_store.c.event_type == event_type)
    with platform.engine.connect() as conn:
        return conn.execute(query).scalar_one()


@contextmanager
def own_broker(tmp_path) -> Iterator[EmbeddedBroker]:
    """A broker this test may kill, stop and restart (the session's one is shared)."""
    broker = EmbeddedBroker(tmp_path / "own-broker", free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()
