"""The key vault: keys created once, stored wrapped, rewrapped on rotation, shredded on erase."""

import threading
from pathlib import Path

import pytest
import sqlalchemy

from services.sharing.errors import SubjectAlreadyErased, SubjectErasedError, UnknownKey
from services.sharing.kek import LocalKeyFileProvider
from services.sharing.key_cache import KeyCache
from services.sharing.vault import KeyVault
from services.sharing.vault_tables import data_keys, erasures


def stored_rows(engine: sqlalchemy.Engine) -> list[tuple[str, str, str, bytes]]:
    query = sqlalchemy.select(
        data_keys.c.subject_id, data_keys.c.data_class, data_keys.c.kek_id, data_keys.c.wrapped_key
    ).order_by(data_keys.c.subject_id, data_keys.c.data_class)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def uncached_vault(engine: sqlalchemy.Engine, kek: LocalKeyFileProvider) -> KeyVault:
    """A second vault on the same storage: proves what is stored, not what is cached."""
    return KeyVault(engine, kek, cache=KeyCache(max_entries=0))


def test_a_key_is_created_once_and_stored_only_wrapped(
    vault: KeyVault, engine: sqlalchemy.Engine, kek: LocalKeyFileProvider
) -> None:
    key = vault.data_key_for_encryption("person-1", "victim.identity")
    assert len(key) == 32
    assert vault.data_key_for_encryption("person-1", "victim.identity") == key
    assert uncached_vault(engine, kek).data_key("person-1", "victim.identity") == key
    [(subject, data_class, kek_id, wrapped)] = stored_rows(engine)
    assert (subject, data_class, kek_id) == ("person-1", "victim.identity", "local-1")
    assert key not in wrapped


def test_each_subject_and_class_has_its_own_key(vault: KeyVault) -> None:
    keys = {
        vault.data_key_for_encryption("person-1", "victim.identity"),
        vault.data_key_for_encryption("person-1", "victim.address"),
        vault.data_key_for_encryption("person-2", "victim.identity"),
    }
    assert len(keys) == 3


def test_a_key_that_never_existed_is_unknown(vault: KeyVault) -> None:
    with pytest.raises(UnknownKey):
        vault.data_key("person-1", "victim.identity")


def test_erase_destroys_every_key_of_the_subject_and_only_theirs(
    vault: KeyVault, engine: sqlalchemy.Engine, kek: LocalKeyFileProvider
) -> None:
    vault.data_key_for_encryption("person-1", "victim.identity")
    vault.data_key_for_encryption("person-1", "victim.address")
    other = vault.data_key_for_encryption("person-2", "victim.identity")
    assert vault.erase("person-1") == 2
    assert vault.is_erased("person-1")
    assert not vault.is_erased("person-2")
    assert vault.data_key("person-1", "victim.identity") is None
    assert vault.data_key("person-1", "victim.address") is None
    assert vault.data_key("person-1", "victim.health") is None  # erased wins over unknown
    with pytest.raises(SubjectErasedError):
        vault.data_key_for_encryption("person-1", "victim.identity")
    with pytest.raises(SubjectErasedError):
        vault.data_key_for_encryption("person-1", "children")
    assert vault.data_key("person-2", "victim.identity") == other
    assert [row[0] for row in stored_rows(engine)] == ["person-2"]
    assert uncached_vault(engine, kek).data_key("person-1", "victim.identity") is None


def test_erase_records_a_tombstone_and_a_second_erase_is_refused(
    vault: KeyVault, engine: sqlalchemy.Engine
) -> None:
    vault.data_key_for_encryption("person-1", "victim.identity")
    assert vault.erase("person-1") == 1
    with pytest.raises(SubjectAlreadyErased):
        vault.erase("person-1")  # the first erasure's record stands
    assert vault.erase("person-1", finish=True) == 0
    with engine.connect() as connection:
        rows = connection.execute(
            sqlalchemy.select(erasures.c.subject_id, erasures.c.keys_destroyed)
        ).all()
    assert [tuple(row) for row in rows] == [("person-1", 1)]


def test_a_subject_with_no_keys_can_be_erased_in_advance(vault: KeyVault) -> None:
    assert vault.erase("person-9") == 0
    with pytest.raises(SubjectErasedError):
        vault.data_key_for_encryption("person-9", "victim.identity")


def test_erase_in_one_vault_object_is_seen_by_another_without_a_cache(
    engine: sqlalchemy.Engine, kek: LocalKeyFileProvider, vault: KeyVault
) -> None:
    other = uncached_vault(engine, kek)
    other.data_key_for_encryption("person-1", "victim.identity")
    vault.erase("person-1")
    assert other.data_key("person-1", "victim.identity") is None


def test_lingering_keys_of_an_erased_subject_are_never_released(
    vault: KeyVault, engine: sqlalchemy.Engine, kek: LocalKeyFileProvider
) -> None:
    """As if a crash came between the tombstone and the delete."""
    vault.data_key_for_encryption("person-1", "victim.identity")
    with engine.begin() as connection:
        connection.execute(
            erasures.insert().values(
                subject_id="person-1", erased_at=sqlalchemy.func.now(), keys_destroyed=0
            )
        )
    fresh = uncached_vault(engine, kek)
    assert fresh.data_key("person-1", "victim.identity") is None
    with pytest.raises(SubjectErasedError):
        fresh.data_key_for_encryption("person-1", "victim.identity")
    assert fresh.erase("person-1", finish=True) == 1


def test_rotating_the_kek_rewraps_every_key_and_every_key_still_opens(
    vault: KeyVault, engine: sqlalchemy.Engine, kek: LocalKeyFileProvider
) -> None:
    before = {
        (subject, data_class): vault.data_key_for_encryption(subject, data_class)
        for subject in ("person-1", "person-2", "person-3")
        for data_class in ("victim.identity", "victim.contact")
    }
    old_rows = stored_rows(engine)
    assert kek.rotate() == "local-2"
    assert vault.rotate_kek(batch_size=4) == 6
    new_rows = stored_rows(engine)
    assert {row[2] for row in new_rows} == {"local-2"}
    assert all(old[3] != new[3] for old, new in zip(old_rows, new_rows, strict=True))
    fresh = uncached_vault(engine, LocalKeyFileProvider(kek.path))
    for (subject, data_class), key in before.items():
        assert fresh.data_key(subject, data_class) == key
    assert vault.rotate_kek() == 0  # nothing left under the old key


def test_new_keys_after_rotation_use_the_new_kek(
    vault: KeyVault, engine: sqlalchemy.Engine, kek: LocalKeyFileProvider
) -> None:
    vault.data_key_for_encryption("person-1", "victim.identity")
    kek.rotate()
    vault.data_key_for_encryption("person-2", "victim.identity")
    assert [row[2] for row in stored_rows(engine)] == ["local-1", "local-2"]


def test_create_schema_keeps_existing_keys(vault: KeyVault) -> None:
    key = vault.data_key_for_encryption("person-1", "victim.identity")
    vault.create_schema()
    assert vault.data_key("person-1", "victim.identity") == key


class RendezvousKek:
    """Holds every wrap until two callers are inside it, forcing the creation race."""

    def __init__(self, inner: LocalKeyFileProvider) -> None:
        self._inner = inner
        self._barrier = threading.Barrier(2)

    @property
    def current_key_id(self) -> str:
        return self._inner.current_key_id

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        self._barrier.wait(timeout=10)
        return self._inner.wrap(data_key)

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        return self._inner.unwrap(wrapped, key_id)


def test_two_threads_creating_the_same_key_get_the_same_key(
    engine: sqlalchemy.Engine, kek: LocalKeyFileProvider
) -> None:
    racing = KeyVault(engine, RendezvousKek(kek), cache=KeyCache(max_entries=0))
    racing.create_schema()
    results: list[bytes] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            results.append(racing.data_key_for_encryption("person-1", "victim.identity"))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert len(stored_rows(engine)) == 1


def test_the_vault_works_on_a_fresh_database_file(
    tmp_path: Path, kek: LocalKeyFileProvider
) -> None:
    engine = sqlalchemy.create_engine("sqlite:///" + str(tmp_path / "other.db"))
    vault = KeyVault(engine, kek)
    vault.create_schema()
    assert set(sqlalchemy.inspect(engine).get_table_names()) == {
        "sharing_data_keys",
        "sharing_erasures",
        "sharing_event_origins",
        "sharing_subject_sources",
    }
    engine.dispose()


def test_keys_are_only_made_for_known_classes_and_sensible_subject_ids(vault: KeyVault) -> None:
    with pytest.raises(ValueError, match="unknown data class 'victim.shoe_size'"):
        vault.data_key_for_encryption("person-1", "victim.shoe_size")
    with pytest.raises(ValueError):
        vault.data_key_for_encryption("", "victim.identity")
    with pytest.raises(ValueError):
        vault.data_key_for_encryption("x" * 129, "victim.identity")


def test_an_erase_in_another_process_stops_this_process_decrypting_within_a_second(
    engine: sqlalchemy.Engine, kek: LocalKeyFileProvider
) -> None:
    import time

    reader = KeyVault(engine, kek, erasure_check_seconds=0.2)  # a running web app
    eraser = KeyVault(engine, kek)  # `tandem erase` in another process
    eraser.create_schema()
    key = eraser.data_key_for_encryption("person-9", "victim.identity")
    assert reader.data_key("person-9", "victim.identity") == key  # now cached here
    eraser.erase("person-9")
    time.sleep(0.3)
    assert reader.data_key("person-9", "victim.identity") is None
