"""Which agency holds data about which data subject, for which purpose, and since when.

The publish path notes every (subject, agency, purpose) whose data an event carries, in the
key vault's database beside the subject's keys: an agency that recorded an event with a
sensitive field about a subject is a controller of that record. Erasure and the audit trail
are scoped by it (an agency's DPO acts on subjects their agency holds data about), and the
retention job reads when each subject was last active for each purpose.

Written before the event is stored, as the keys are: a command refused after encryption can
leave a row naming an agency that tried to record data about the subject. Only ids, agency
codes and dates are kept; nothing here identifies a person.

Beside it, each event's origin: the agency that recorded an event with sensitive fields, so
the agreement's `originator_reads_own` rule can let that agency read back exactly what it
submitted (that event's fields, not what others later recorded about the same subject).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.sharing.vault_tables import event_origins, subject_sources

_CACHE_LIMIT = 200_000
_ROWS_PER_INSERT = 1_000
_ORIGIN_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class Source:
    """One agency's data about one subject for one purpose, first and last recorded."""

    subject_id: str
    agency: str
    purpose: str
    first_recorded_on: dt.date
    last_recorded_on: dt.date


class SubjectRegister:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        # (subject, agency, purpose) -> the last day this process wrote: at most one write a
        # day for each, so a busy publisher does not pay a round trip per event.
        self._seen: dict[tuple[str, str, str], dt.date] = {}
        # event id -> the agency that recorded it: an event's origin never changes.
        self._origins: dict[str, str] = {}

    def note(
        self, rows: Iterable[tuple[str, str, str, dt.date]], *, backfill: bool = False
    ) -> None:
        """Record (subject, agency, purpose, day) facts; one transaction for what is new.

        `backfill` (events read back from the store) also moves a first day earlier.
        """
        latest: dict[tuple[str, str, str], dt.date] = {}
        earliest: dict[tuple[str, str, str], dt.date] = {}
        for subject_id, agency, purpose, day in rows:
            key = (subject_id, agency, purpose)
            if key not in latest or day > latest[key]:
                latest[key] = day
            if key not in earliest or day < earliest[key]:
                earliest[key] = day
        if backfill:
            self._write(earliest, backfill=True)
        self._write(latest, backfill=False)

    def _write(self, latest: dict[tuple[str, str, str], dt.date], *, backfill: bool) -> None:
        with self._lock:
            fresh = {k: d for k, d in latest.items() if backfill or self._seen.get(k) != d}
        if not fresh:
            return
        insert = pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        rows = [
            {"s": subject_id, "a": agency, "p": purpose, "d": day}
            for (subject_id, agency, purpose), day in sorted(fresh.items())
        ]
        with self._engine.begin() as connection:  # a few statements for the whole batch
            for start in range(0, len(rows), _ROWS_PER_INSERT):  # SQLite caps bound values
                chunk = rows[start : start + _ROWS_PER_INSERT]
                connection.execute(
                    insert(subject_sources)
                    .values(
                        [
                            {
                                "subject_id": r["s"],
                                "agency": r["a"],
                                "purpose": r["p"],
                                "first_recorded_on": r["d"],
                                "last_recorded_on": r["d"],
                            }
                            for r in chunk
                        ]
                    )
                    .on_conflict_do_nothing()
                )
            connection.execute(
                update(subject_sources)
                .where(
                    subject_sources.c.subject_id == bindparam("s"),
                    subject_sources.c.agency == bindparam("a"),
                    subject_sources.c.purpose == bindparam("p"),
                    subject_sources.c.last_recorded_on < bindparam("d"),
                )
                .values(last_recorded_on=bindparam("d")),
                rows,
            )
            if backfill:  # older facts may arrive after newer ones
                connection.execute(
                    update(subject_sources)
                    .where(
                        subject_sources.c.subject_id == bindparam("s"),
                        subject_sources.c.agency == bindparam("a"),
                        subject_sources.c.purpose == bindparam("p"),
                        subject_sources.c.first_recorded_on > bindparam("d"),
                    )
                    .values(first_recorded_on=bindparam("d")),
                    rows,
                )
        if backfill:
            return
        with self._lock:
            if len(self._seen) + len(fresh) > _CACHE_LIMIT:
                self._seen.clear()
            self._seen.update(fresh)

    def note_origins(self, rows: Iterable[tuple[str, str]]) -> None:
        """Record (event id, agency) for events carrying sensitive fields; repeats are kept once."""
        fresh = {event_id: agency for event_id, agency in rows if event_id not in self._origins}
        if not fresh:
            return
        insert = pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        items = sorted(fresh.items())
        with self._engine.begin() as connection:
            for start in range(0, len(items), _ROWS_PER_INSERT):
                chunk = items[start : start + _ROWS_PER_INSERT]
                connection.execute(
                    insert(event_origins)
                    .values([{"event_id": e, "agency": a} for e, a in chunk])
                    .on_conflict_do_nothing()
                )
        with self._lock:
            if len(self._origins) + len(fresh) > _ORIGIN_CACHE_LIMIT:
                self._origins.clear()
            self._origins.update(fresh)

    def origins(self, event_ids: Iterable[str]) -> dict[str, str]:
        """The agency that recorded each event, for those whose origin is known."""
        wanted = {str(event_id) for event_id in event_ids}
        with self._lock:
            found = {e: self._origins[e] for e in wanted if e in self._origins}
        missing = sorted(wanted - found.keys())
        if not missing:
            return found
        with self._engine.connect() as connection:
            for start in range(0, len(missing), _ROWS_PER_INSERT):
                rows = connection.execute(
                    select(event_origins.c.event_id, event_origins.c.agency).where(
                        event_origins.c.event_id.in_(missing[start : start + _ROWS_PER_INSERT])
                    )
                ).all()
                found.update({row[0]: row[1] for row in rows})
        with self._lock:
            if len(self._origins) + len(found) > _ORIGIN_CACHE_LIMIT:
                self._origins.clear()
            self._origins.update(found)
        return found

    def origin(self, event_id: str) -> str | None:
        """The agency that recorded the event, or None when it is not known."""
        return self.origins([event_id]).get(str(event_id))

    def sources(self, subject_id: str) -> list[Source]:
        """Every agency and purpose that holds data about the subject."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(subject_sources)
                .where(subject_sources.c.subject_id == subject_id)
                .order_by(subject_sources.c.agency, subject_sources.c.purpose)
            ).all()
        return [Source(**row._mapping) for row in rows]

    def agencies(self, subject_id: str) -> set[str]:
        return {source.agency for source in self.sources(subject_id)}

    def last_activity(self) -> list[tuple[str, str, dt.date]]:
        """(subject, purpose, last day any agency recorded data about them for it)."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(
                    subject_sources.c.subject_id,
                    subject_sources.c.purpose,
                    func.max(subject_sources.c.last_recorded_on),
                )
                .group_by(subject_sources.c.subject_id, subject_sources.c.purpose)
                .order_by(subject_sources.c.subject_id, subject_sources.c.purpose)
            ).all()
        return [(row[0], row[1], row[2]) for row in rows]
