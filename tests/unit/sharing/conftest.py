"""Shared fixtures: a local key file and a SQLite key vault in a temporary directory."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from services.sharing.kek import LocalKeyFileProvider
from services.sharing.vault import KeyVault


@pytest.fixture
def kek(tmp_path: Path) -> LocalKeyFileProvider:
    return LocalKeyFileProvider(tmp_path / "secrets" / "kek.json")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sqlalchemy.Engine]:
    engine = sqlalchemy.create_engine("sqlite:///" + str(tmp_path / "keys.db"))
    yield engine
    engine.dispose()


@pytest.fixture
def vault(engine: sqlalchemy.Engine, kek: LocalKeyFileProvider) -> KeyVault:
    vault = KeyVault(engine, kek)
    vault.create_schema()
    return vault
