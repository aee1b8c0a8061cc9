"""Tracking records: where each projection has got to, stored with its read model.

Offsets and applied event ids are written in the same transaction as the rows an event
produces, so after a crash the read model and the position agree: nothing lost, nothing doubled.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    String,
    Table,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from projections.metadata import metadata

projection_offsets = Table(
    "projection_offsets",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
    Column("last_event_id", String(64)),
    # the event id at next_offset - 1: a broker that lost the tail and reused offsets shows a
    # different event there, which is how a projector notices it is being lied to
)

projection_applied_events = Table(
    "projection_applied_events",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("event_id", String(64), primary_key=True),
)


def load_offsets(conn: Connection, projection: str) -> dict[tuple[str, int], int]:
    rows = conn.execute(
        select(
            projection_offsets.c.topic,
            projection_offsets.c.partition,
            projection_offsets.c.next_offset,
        ).where(projection_offsets.c.projection == projection)
    )
    return {(r.topic, r.partition): r.next_offset for r in rows}


class PositionMoved(RuntimeError):
    """Someone else (a reconcile, a replay) moved the projection's position meanwhile."""


def load_positions(
    conn: Connection, projection: str
) -> dict[tuple[str, int], tuple[int, str | None]]:
    """(next offset, event id at next offset - 1) per partition."""
    rows = conn.execute(
        select(
            projection_offsets.c.topic,
            projection_offsets.c.partition,
            projection_offsets.c.next_offset,
            projection_offsets.c.last_event_id,
        ).where(projection_offsets.c.projection == projection)
    )
    return {(r.topic, r.partition): (r.next_offset, r.last_event_id) for r in rows}


def store_offsets(
    conn: Connection,
    projection: str,
    offsets: dict[tuple[str, int], int],
    last_event_ids: dict[tuple[str, int], str | None] | None = None,
    expected: dict[tuple[str, int], int] | None = None,
) -> None:
    """Store the next offset per partition (and the event id just before it).

    With ``expected`` (what the caller believes is stored), a position that someone else moved
    raises PositionMoved, so the caller's transaction rolls back instead of overwriting it.
    """
    if not offsets:
        return
    last_event_ids = last_event_ids or {}
    if expected is None:
        rows = [
            {
                "projection": projection,
                "topic": t,
                "partition": p,
                "next_offset": o,
                "last_event_id": last_event_ids.get((t, p)),
            }
            for (t, p), o in offsets.items()
        ]
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        statement = insert(projection_offsets).values(rows)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["projection", "topic", "partition"],
                set_={
                    "next_offset": statement.excluded.next_offset,
                    "last_event_id": statement.excluded.last_event_id,
                },
            )
        )
        return
    for (topic, partition), offset in offsets.items():
        values = {"next_offset": offset, "last_event_id": last_event_ids.get((topic, partition))}
        before = expected.get((topic, partition))
        if before is None:
            conflict = conn.execute(
                select(projection_offsets.c.next_offset).where(
                    projection_offsets.c.projection == projection,
                    projection_offsets.c.topic == topic,
                    projection_offsets.c.partition == partition,
                )
            ).first()
            if conflict is not None:
                raise PositionMoved(f"{projection} {topic}:{partition} was positioned meanwhile")
            conn.execute(
                projection_offsets.insert().values(
                    projection=projection, topic=topic, partition=partition, **values
                )
            )
            continue
        moved = conn.execute(
            update(projection_offsets)
            .where(
                projection_offsets.c.projection == projection,
                projection_offsets.c.topic == topic,
                projection_offsets.c.partition == partition,
                projection_offsets.c.next_offset == before,
            )
            .values(**values)
        )
        if moved.rowcount != 1:
            raise PositionMoved(f"{projection} {topic}:{partition} was moved from {before}")


def already_applied(conn: Connection, projection: str, event_ids: Iterable[str]) -> set[str]:
    ids = list(event_ids)
    found: set[str] = set()
    for start in range(0, len(ids), 500):  # keep IN lists within every database's limits
        chunk = ids[start : start + 500]
        found.update(
            conn.execute(
                select(projection_applied_events.c.event_id).where(
                    projection_applied_events.c.projection == projection,
                    projection_applied_events.c.event_id.in_(chunk),
                )
            ).scalars()
        )
    return found


def mark_applied(conn: Connection, projection: str, event_ids: list[str]) -> None:
    if event_ids:
        conn.execute(
            projection_applied_events.insert(),
            [{"projection": projection, "event_id": e} for e in event_ids],
        )


def forget(conn: Connection, projection: str) -> None:
    """Drop a projection's position so it replays from offset zero."""
    conn.execute(delete(projection_offsets).where(projection_offsets.c.projection == projection))
    conn.execute(
        delete(projection_applied_events).where(
            projection_applied_events.c.projection == projection
        )
    )
