"""The composition root: the one place that wires settings to adapters and services.

Everything else receives what it needs from here, so tests can build a ``Platform`` pointed
at a test broker and database, and production points it at Kafka and PostgreSQL by settings.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from projections.database import make_engine, migrate
from projections.runtime import Projection, Projector
from services.kernel.bus import DeadLetters, Publisher, ensure_topics
from services.kernel.codec import Codec
from services.kernel.registry import ConfluentRegistry, EmbeddedRegistry, SchemaRegistry
from services.kernel.schemas import SchemaCatalogue
from services.kernel.settings import Settings
from services.kernel.streams import TopicNames
from services.sharing.blind_index import BlindIndexKey
from services.sharing.kek import LocalKeyFileProvider
from services.sharing.service import AgreementCatalogue, SharingService
from services.sharing.vault import KeyVault

if TYPE_CHECKING:
    from services.intake.auth import TokenSigner


def service_projections(settings: Settings) -> dict[str, Projection]:
    """Every service's projection, by service name, under the settings' policy files."""
    from services.mappa.handlers import projection as mappa_projection
    from services.marac.handlers import projection as marac_projection
    from services.matac.handlers import projection as matac_projection
    from services.sharing.handlers import projection as sharing_projection

    projections = [
        marac_projection(),
        mappa_projection(),
        matac_projection(settings.policy_dir),
        sharing_projection(),
    ]
    return {p.name: p for p in projections}


@dataclass
class Platform:
    """Shared adapters for one process: codec, topics, database engines and the publisher."""

    settings: Settings
    bootstrap: str
    today: Callable[[], dt.date] = dt.date.today
    """The date rules and agreements are applied on; tests move it."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _publisher: Publisher | None = field(default=None, repr=False)

    @cached_property
    def catalogue(self) -> SchemaCatalogue:
        return SchemaCatalogue.load(self.settings.schemas_dir)

    @cached_property
    def registry(self) -> SchemaRegistry:
        if self.settings.schema_registry_url:
            return ConfluentRegistry(self.settings.schema_registry_url, self.catalogue)
        return EmbeddedRegistry(self.catalogue)

    @cached_property
    def codec(self) -> Codec:
        return Codec(self.catalogue, self.registry)

    @cached_property
    def topics(self) -> TopicNames:
        return TopicNames(self.settings.topic_prefix)

    @cached_property
    def engine(self) -> Engine:
        """For queries (readers)."""
        return make_engine(self.settings.resolved_database_url)

    @cached_property
    def writer_engine(self) -> Engine:
        """For projectors: transactions that will write start as writers."""
        return make_engine(self.settings.resolved_database_url, writer=True)

    @cached_property
    def vault(self) -> KeyVault:
        self.settings.resolved_key_file.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.vault_database_url)
        vault = KeyVault(engine, LocalKeyFileProvider(self.settings.resolved_key_file))
        vault.create_schema()
        return vault

    @cached_property
    def sharing(self) -> SharingService:
        agreements = AgreementCatalogue(self.settings.agreements_dir)
        return SharingService(self.vault, agreements, self.catalogue, clock=lambda: self.today())

    @cached_property
    def blind_index_key(self) -> BlindIndexKey:
        path = self.settings.resolved_blind_index_key_file
        path.parent.mkdir(parents=True, exist_ok=True)
        return BlindIndexKey.from_file(path)

    @cached_property
    def token_signer(self) -> TokenSigner:
        from services.intake.auth import TokenSigner

        return TokenSigner.from_file(self.settings.resolved_token_secret_file)

    @property
    def publisher(self) -> Publisher:
        """Every event published through here has its sensitive fields encrypted first."""
        with self._lock:
            if self._publisher is None:
                self._publisher = Publisher(
                    self.bootstrap, self.codec, self.topics, encrypt=self.sharing.encrypt_events
                )
            return self._publisher

    @cached_property
    def dead_letters(self) -> DeadLetters:
        return DeadLetters(self.publisher, self.topics)

    @cached_property
    def projections(self) -> dict[str, Projection]:
        return service_projections(self.settings)

    def policy_path(self, service: str) -> Path | None:
        """A partnership's own policy file for the service, or None for the packaged default."""
        if self.settings.policy_dir is not None:
            candidate = self.settings.policy_dir / f"{service}.yaml"
            if candidate.is_file():
                return candidate
        return None

    def projector(self, name: str, batch_size: int = 500) -> Projector:
        projection = replace(
            self.projections[name],
            verify=self.sharing.verify_event,
            prepare=self.sharing.prefetch_keys,
        )
        return Projector(
            projection,
            self.writer_engine,
            self.bootstrap,
            self.codec,
            self.topics,
            self.dead_letters,
            batch_size=batch_size,
            group_prefix=self.settings.topic_prefix,
        )

    def create_topics(self) -> list[str]:
        """Create missing topics (retention forever); returns the names created."""
        return ensure_topics(
            self.bootstrap,
            self.topics.all_topics(),
            self.settings.topic_partitions,
            self.settings.topic_replication,
        )

    def migrate(self) -> None:
        """Bring the read models up to date and open the key vault (created on first start)."""
        migrate(self.writer_engine)
        _ = self.vault

    def prepare(self) -> list[str]:
        """Create missing topics and migrate the read models; returns topics created."""
        created = self.create_topics()
        self.migrate()
        return created

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        for name in ("engine", "writer_engine"):
            if name in self.__dict__:
                self.__dict__[name].dispose()
        if "vault" in self.__dict__:
            self.vault._engine.dispose()
