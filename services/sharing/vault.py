"""The key vault: one data key per (data subject, data class), stored wrapped by a KEK.

Erasure is crypto-shredding: deleting a subject's data keys makes every copy of their
encrypted fields unreadable, wherever it lives. A tombstone then stops any new key being
created for them, so nothing written later can be read either.

Plain SQLAlchemy Core, so it runs on SQLite and PostgreSQL alike.
"""

import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from services.sharing.data_classes import is_data_class
from services.sharing.errors import SubjectAlreadyErased, SubjectErasedError, UnknownKey
from services.sharing.kek import KekProvider
from services.sharing.key_cache import KeyCache
from services.sharing.vault_tables import (
    SUBJECT_ID_MAX_LENGTH,
    data_keys,
    erasures,
    vault_metadata,
)

DATA_KEY_BYTES = 32


class KeyVault:
    """Creates, releases, rewraps and destroys data keys.

    The vault does not know who is asking: the caller checks the agreement before asking
    for a key (see `records.decrypt_record`) and records every release.
    """

    def __init__(
        self,
        engine: Engine,
        kek: KekProvider,
        *,
        cache: KeyCache | None = None,
        erasure_check_seconds: float = 1.0,
    ) -> None:
        self._engine = engine
        self._kek = kek
        self._cache = cache if cache is not None else KeyCache()
        self._erasure_check_seconds = erasure_check_seconds
        self._erasures_seen: int | None = None
        self._erasures_checked_at = float("-inf")
        self._watch_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The vault's database (its own: a system of record, never a read model)."""
        return self._engine

    def _watch_erasures(self) -> None:
        """Drop every cached key within a second of an erase done by any process.

        The tombstone table is shared by every process that uses this vault: when its size
        changes, someone erased a subject, and this process's cached keys may include theirs.
        """
        now = time.monotonic()
        if now - self._erasures_checked_at < self._erasure_check_seconds:
            return
        with self._watch_lock:
            if now - self._erasures_checked_at < self._erasure_check_seconds:
                return
            with self._engine.connect() as connection:
                count = connection.execute(select(func.count()).select_from(erasures)).scalar_one()
            if self._erasures_seen is not None and count != self._erasures_seen:
                self._cache.clear()
            self._erasures_seen = count
            self._erasures_checked_at = time.monotonic()

    def create_schema(self) -> None:
        """Create the vault's tables if missing; never drops anything."""
        vault_metadata.create_all(self._engine)

    def data_key_for_encryption(self, subject_id: str, data_class: str) -> bytes:
        """The key to encrypt with, created on first use; refuses an erased subject."""
        self._watch_erasures()
        _check_for_encryption(subject_id, data_class)
        cached = self._cache.get((subject_id, data_class))
        if cached is not None:
            return cached
        epoch = self._cache.epoch
        with self._engine.connect() as connection:
            erased, stored = self._lookup(connection, subject_id, data_class)
        if erased:
            raise SubjectErasedError(subject_id)
        key = stored if stored is not None else self._create(subject_id, data_class)
        self._cache.put((subject_id, data_class), key, epoch)
        return key

    def encryption_keys(
        self, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], bytes | None]:
        """The key to encrypt with for each distinct pair, None for an erased subject.

        A batch's keys in one round trip (``prepare``), created where missing, then one cache
        lookup each; every pair is checked first, so a bad one creates no key at all.
        """
        wanted = list(dict.fromkeys(pairs))
        for subject_id, data_class in wanted:
            _check_for_encryption(subject_id, data_class)
        self.prepare(wanted, create=True)
        keys: dict[tuple[str, str], bytes | None] = {}
        for pair in wanted:
            try:
                keys[pair] = self.data_key_for_encryption(*pair)
            except SubjectErasedError:
                keys[pair] = None
        return keys

    def data_key(self, subject_id: str, data_class: str) -> bytes | None:
        """The key to decrypt with; None if the subject was erased.

        Raises UnknownKey if no key ever existed: ciphertext naming such a key was not
        written by this platform.
        """
        self._watch_erasures()
        cached = self._cache.get((subject_id, data_class))
        if cached is not None:
            return cached
        epoch = self._cache.epoch
        with self._engine.connect() as connection:
            erased, stored = self._lookup(connection, subject_id, data_class)
        if erased:
            return None
        if stored is None:
            raise UnknownKey(subject_id, data_class)
        self._cache.put((subject_id, data_class), stored, epoch)
        return stored

    def prepare(self, pairs: Iterable[tuple[str, str]], *, create: bool = False) -> None:
        """Load (and, for encryption, create) the keys a whole batch needs in one round trip.

        Only a speed-up: keys land in the cache, and ``data_key`` / ``data_key_for_encryption``
        still decide every case (erased subjects, unknown keys, races) one key at a time.
        """
        self._watch_erasures()
        missing = sorted({p for p in pairs if self._cache.get(p) is None})
        if not missing:
            return
        epoch = self._cache.epoch
        subjects = sorted({subject for subject, _ in missing})
        with self._engine.connect() as connection:
            erased = set(
                connection.execute(
                    select(erasures.c.subject_id).where(erasures.c.subject_id.in_(subjects))
                ).scalars()
            )
            rows = connection.execute(
                select(
                    data_keys.c.subject_id,
                    data_keys.c.data_class,
                    data_keys.c.kek_id,
                    data_keys.c.wrapped_key,
                ).where(tuple_(data_keys.c.subject_id, data_keys.c.data_class).in_(missing))
            ).all()
        found = set()
        for row in rows:
            if row.subject_id not in erased:
                key = self._kek.unwrap(row.wrapped_key, row.kek_id)
                self._cache.put((row.subject_id, row.data_class), key, epoch)
                found.add((row.subject_id, row.data_class))
        if create:
            self._create_many(
                [
                    p
                    for p in missing
                    if p not in found and p[0] not in erased and is_data_class(p[1])
                ],
                epoch,
            )

    def _create_many(self, pairs: list[tuple[str, str]], epoch: int) -> None:
        """New keys for many pairs in one transaction; on any conflict, leave it to one-by-one."""
        if not pairs:
            return
        keys = {pair: os.urandom(DATA_KEY_BYTES) for pair in pairs}
        rows = []
        for (subject_id, data_class), key in keys.items():
            kek_id, wrapped = self._kek.wrap(key)
            rows.append(
                {
                    "subject_id": subject_id,
                    "data_class": data_class,
                    "kek_id": kek_id,
                    "wrapped_key": wrapped,
                    "created_at": _now(),
                }
            )
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(data_keys), rows)
        except IntegrityError:
            return  # another writer created some: data_key_for_encryption sorts each out
        subjects = sorted({subject for subject, _ in pairs})
        with self._engine.begin() as connection:
            erased = set(
                connection.execute(
                    select(erasures.c.subject_id).where(erasures.c.subject_id.in_(subjects))
                ).scalars()
            )
            for subject_id in erased:  # an erase raced us: as in _create, remove our keys
                connection.execute(delete(data_keys).where(data_keys.c.subject_id == subject_id))
        for pair, key in keys.items():
            if pair[0] not in erased:
                self._cache.put(pair, key, epoch)

    def erase(self, subject_id: str, *, finish: bool = False) -> int:
        """Destroy every data key of the subject and forbid new ones; returns keys destroyed.

        The tombstone is committed before the keys are deleted, so a key created
        concurrently is either deleted here or refused by its creator (see `_create`).
        A second erasure of the same subject raises SubjectAlreadyErased (the first one's
        record stands; two requests racing get one success and one refusal), unless
        `finish` is set: then only the keys a crash left behind are deleted.
        """
        self._cache.evict_subject(subject_id)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(erasures).values(
                        subject_id=subject_id, erased_at=_now(), keys_destroyed=0
                    )
                )
        except IntegrityError:
            if not finish:
                raise SubjectAlreadyErased(subject_id) from None
        with self._engine.begin() as connection:
            destroyed = connection.execute(
                delete(data_keys).where(data_keys.c.subject_id == subject_id)
            ).rowcount
            connection.execute(
                update(erasures)
                .where(erasures.c.subject_id == subject_id)
                .values(keys_destroyed=erasures.c.keys_destroyed + destroyed)
            )
        self._cache.evict_subject(subject_id)
        return destroyed

    def is_erased(self, subject_id: str) -> bool:
        """True once `erase` has been called for the subject."""
        with self._engine.connect() as connection:
            return self._tombstoned(connection, subject_id)

    def erased_at(self, subject_id: str) -> datetime | None:
        """When the subject was erased, or None."""
        with self._engine.connect() as connection:
            return connection.execute(
                select(erasures.c.erased_at).where(erasures.c.subject_id == subject_id)
            ).scalar_one_or_none()

    def has_keys(self, subject_id: str) -> bool:
        """True when any data key of the subject exists (none once erased)."""
        return bool(self.data_classes_of(subject_id))

    def data_classes_of(self, subject_id: str) -> set[str]:
        """The data classes the subject has keys for (none once erased)."""
        with self._engine.connect() as connection:
            return set(
                connection.execute(
                    select(data_keys.c.data_class).where(data_keys.c.subject_id == subject_id)
                ).scalars()
            )

    def rotate_kek(self, batch_size: int = 500) -> int:
        """Rewrap every data key not under the provider's current KEK; returns how many.

        Data keys themselves do not change, so no event is touched and cached keys stay
        valid. Safe to interrupt and run again.
        """
        current = self._kek.current_key_id
        rewrapped = 0
        after: tuple[str, str] | None = None
        while True:
            query = (
                select(
                    data_keys.c.subject_id,
                    data_keys.c.data_class,
                    data_keys.c.kek_id,
                    data_keys.c.wrapped_key,
                )
                .where(data_keys.c.kek_id != current)
                .order_by(data_keys.c.subject_id, data_keys.c.data_class)
                .limit(batch_size)
            )
            if after is not None:
                key_columns = tuple_(data_keys.c.subject_id, data_keys.c.data_class)
                query = query.where(key_columns > tuple_(*after))
            with self._engine.connect() as connection:
                rows = connection.execute(query).all()
            if not rows:
                return rewrapped
            with self._engine.begin() as connection:
                for subject_id, data_class, kek_id, wrapped in rows:
                    key = self._kek.unwrap(wrapped, kek_id)
                    new_kek_id, new_wrapped = self._kek.wrap(key)
                    rewrapped += connection.execute(
                        update(data_keys)
                        .where(
                            and_(
                                data_keys.c.subject_id == subject_id,
                                data_keys.c.data_class == data_class,
                                data_keys.c.kek_id == kek_id,
                            )
                        )
                        .values(kek_id=new_kek_id, wrapped_key=new_wrapped, rewrapped_at=_now())
                    ).rowcount
            after = (rows[-1][0], rows[-1][1])

    # -- internals ---------------------------------------------------------------------

    def _lookup(
        self, connection: Connection, subject_id: str, data_class: str
    ) -> tuple[bool, bytes | None]:
        """(erased?, unwrapped key or None). Erased wins even if keys linger."""
        if self._tombstoned(connection, subject_id):
            return True, None
        row = connection.execute(
            select(data_keys.c.kek_id, data_keys.c.wrapped_key).where(
                data_keys.c.subject_id == subject_id, data_keys.c.data_class == data_class
            )
        ).first()
        if row is None:
            return False, None
        return False, self._kek.unwrap(row.wrapped_key, row.kek_id)

    @staticmethod
    def _tombstoned(connection: Connection, subject_id: str) -> bool:
        found = connection.execute(
            select(erasures.c.subject_id).where(erasures.c.subject_id == subject_id)
        ).first()
        return found is not None

    def _create(self, subject_id: str, data_class: str) -> bytes:
        """Store a new key; if another writer got there first, use theirs."""
        key = os.urandom(DATA_KEY_BYTES)
        kek_id, wrapped = self._kek.wrap(key)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(data_keys).values(
                        subject_id=subject_id,
                        data_class=data_class,
                        kek_id=kek_id,
                        wrapped_key=wrapped,
                        created_at=_now(),
                    )
                )
        except IntegrityError:
            with self._engine.connect() as connection:
                erased, stored = self._lookup(connection, subject_id, data_class)
            if erased or stored is None:  # gone again: only an erase deletes keys
                raise SubjectErasedError(subject_id) from None
            return stored
        # An erase may have committed its tombstone while we were inserting; if so, its
        # delete may have run before our insert, so remove the key ourselves.
        with self._engine.begin() as connection:
            erased = self._tombstoned(connection, subject_id)
            if erased:
                connection.execute(
                    delete(data_keys).where(
                        data_keys.c.subject_id == subject_id, data_keys.c.data_class == data_class
                    )
                )
        if erased:
            raise SubjectErasedError(subject_id)
        return key


def _check_for_encryption(subject_id: str, data_class: str) -> None:
    if not is_data_class(data_class):
        raise ValueError(f"unknown data class {data_class!r}")
    if not subject_id or len(subject_id) > SUBJECT_ID_MAX_LENGTH:
        raise ValueError(f"a subject id is 1 to {SUBJECT_ID_MAX_LENGTH} characters")


def _now() -> datetime:
    return datetime.now(UTC)
