"""Shared fixtures: a real Kafka-protocol broker and real databases (SQLite and PostgreSQL).

* The broker: ``KAFKA_BOOTSTRAP_SERVERS`` if set, otherwise the embedded broker started once
  per session on a free port. Each test gets its own topic prefix, so tests never see each
  other's events.
* The database: every integration test that asks for ``database_url`` runs twice, on a fresh
  SQLite file and on a fresh PostgreSQL schema. PostgreSQL is ``TANDEM_TEST_POSTGRES_URL``
  (default: the local server on 127.0.0.1:5432, database ``test``). Where no server answers,
  those runs skip with a reason naming it, unless ``TANDEM_REQUIRE_POSTGRES=1`` (CI sets it),
  which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.bootstrap import Platform
from services.kernel.embedded_broker import EmbeddedBroker, free_port
from services.kernel.settings import Settings
from tests.broker import drop_topics

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("TANDEM_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker = EmbeddedBroker(tmp_path_factory.mktemp("broker"), free_port())
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


def _postgres_available() -> str | None:
    """None if the server answers, else why not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "not available"
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_problem() -> str | None:
    return _postgres_available()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path, postgres_problem: str | None) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'readmodels.db'}"
        return
    if postgres_problem:
        message = (
            f"PostgreSQL server at {make_url(POSTGRES_URL).render_as_string(hide_password=True)} "
            f"is not available ({postgres_problem}); set TANDEM_TEST_POSTGRES_URL"
        )
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (TANDEM_REQUIRE_POSTGRES=1 makes this a failure)")
        pytest.skip(message)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data dir, database and topic prefix."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        vault_url=f"sqlite:///{tmp_path / 'vault.db'}",
        topic_prefix=f"t{uuid.uuid4().hex[:10]}",
        topic_partitions=3,
    )


@pytest.fixture
def platform(settings: Settings, kafka_bootstrap: str) -> Iterator[Platform]:
    platform = Platform(settings, kafka_bootstrap)
    platform.prepare()
    try:
        yield platform
    finally:
        platform.close()
        drop_topics(platform)


@pytest.fixture
def api(platform: Platform):
    """The FastAPI app on a real broker and database, with ``settle()`` for projections."""
    from fastapi.testclient import TestClient

    from services.intake.app import create_app
    from tests.api_harness import ApiHarness

    harness = ApiHarness(platform, TestClient(create_app(platform), raise_server_exceptions=True))
    try:
        yield harness
    finally:
        harness.close()
