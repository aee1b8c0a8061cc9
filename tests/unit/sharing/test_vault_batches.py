"""Preparing a batch's keys in one round trip changes nothing but the number of round trips."""

import pytest
import sqlalchemy
from sqlalchemy import event, select

from services.sharing.errors import SubjectErasedError, UnknownKey
from services.sharing.kek import LocalKeyFileProvider
from services.sharing.vault import KeyVault
from services.sharing.vault_tables import data_keys


def count_statements(engine: sqlalchemy.Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_prepare_creates_every_missing_key_in_one_go(vault: KeyVault, engine) -> None:
    pairs = [("p-1", "victim.identity"), ("p-1", "victim.contact"), ("p-2", "children")]
    statements = count_statements(engine)
    vault.prepare(pairs, create=True)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1  # one executemany for all three keys
    with engine.connect() as conn:
        stored = {(r.subject_id, r.data_class) for r in conn.execute(select(data_keys))}
    assert stored == set(pairs)
    statements.clear()
    keys = {pair: vault.data_key_for_encryption(*pair) for pair in pairs}
    assert statements == []  # all cached
    assert len(set(keys.values())) == 3


def test_prepared_keys_are_the_stored_keys(engine, kek: LocalKeyFileProvider) -> None:
    writer = KeyVault(engine, kek)
    writer.create_schema()
    writer.prepare([("p-1", "victim.identity")], create=True)
    reader = KeyVault(engine, kek)  # another process: cold cache
    reader.prepare([("p-1", "victim.identity"), ("p-9", "children")])
    assert reader.data_key("p-1", "victim.identity") == writer.data_key("p-1", "victim.identity")
    with pytest.raises(UnknownKey):
        reader.data_key("p-9", "children")  # reading never creates


def test_prepare_never_creates_keys_for_an_erased_subject(vault: KeyVault, engine) -> None:
    vault.erase("p-gone")
    vault.prepare([("p-gone", "victim.identity"), ("p-ok", "victim.identity")], create=True)
    with engine.connect() as conn:
        subjects = {r.subject_id for r in conn.execute(select(data_keys))}
    assert subjects == {"p-ok"}
    with pytest.raises(SubjectErasedError):
        vault.data_key_for_encryption("p-gone", "victim.identity")
