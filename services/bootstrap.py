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
from services.kernel.commands import CommandRunner
from services.kernel.doorbell import Doorbell
from services.kernel.integrity import EventSigner
from services.kernel.registry import ConfluentRegistry, EmbeddedRegistry, SchemaRegistry
from services.kernel.schemas import SchemaCatalogue
from services.kernel.settings import Settings
from services.kernel.streams import TopicNames
from services.sharing.blind_index import BlindIndexKey
from services.sharing.kek import LocalKeyFileProvider
from services.sharing.service import AgreementCatalogue, SharingService
from services.sharing.vault import KeyVault

if TYPE_CHECKING:
    from services.intake.accounts import Accounts
    from services.intake.tokens import Tokens
    from services.kernel.archiver import Archiver
    from services.kernel.reconcile import ReconcileReport
    from services.kernel.relay import Relay


def service_projections(settings: Settings) -> dict[str, Projection]:
    """Every service's projection, by service name, under the settings' policy files."""
    from services.mappa.handlers import projection as mappa_projection
    from services.marac.handlers import projection as marac_projection
    from services.matac.handlers import projection as matac_projection
    from services.sharing.handlers import projection as sharing_projection

    projections = [
        marac_projection(settings.policy_dir),
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
    def accounts(self) -> Accounts:
        """Who may hold a token: people (web sign-in) and named services, in the vault DB."""
        from services.intake.accounts import Accounts

        return Accounts(self.settings.vault_database_url)

    @cached_property
    def tokens(self) -> Tokens:
        """Issues and checks bearer tokens: expiring, and ended with their account."""
        from services.intake.tokens import Tokens, TokenSigner

        return Tokens(
            TokenSigner.from_file(self.settings.resolved_token_secret_file),
            self.accounts,
            person_lifetime=dt.timedelta(hours=self.settings.session_hours),
            service_lifetime=dt.timedelta(days=self.settings.service_token_days),
        )

    @cached_property
    def signer(self) -> EventSigner:
        """Signs every event Tandem writes and checks every event it reads (integrity MAC)."""
        path = self.settings.resolved_mac_key_file
        path.parent.mkdir(parents=True, exist_ok=True)
        return EventSigner.from_file(path)

    @property
    def publisher(self) -> Publisher:
        """Every event published through here is encrypted and signed first.

        Commands do not publish: they store (``commands``) and the relay publishes. This is
        the path of partners and tools that write straight to Kafka, and of the relay itself.
        """
        with self._lock:
            if self._publisher is None:
                self._publisher = Publisher(
                    self.bootstrap,
                    self.codec,
                    self.topics,
                    encrypt=self.sharing.encrypt_events,
                    signer=self.signer,
                )
            return self._publisher

    @cached_property
    def commands(self) -> CommandRunner:
        """Units of work: decide on current state, store every event of a command, or none."""
        return CommandRunner(
            self.writer_engine, self.publisher.prepare, self.codec, self.projections
        )

    def record(self, events) -> None:
        """Store events that need no decision (audit, tools): one transaction, all or none."""
        self.commands.record(events)

    @cached_property
    def published(self) -> Doorbell:
        """Rung by this process's relay after each batch it puts on Kafka (see Doorbell)."""
        return Doorbell()

    def relay(self) -> Relay:
        """The one path from the event store to Kafka; repairs topics a broker truncated."""
        from services.kernel.relay import Relay

        return Relay(
            self.writer_engine,
            self.publisher,
            check_tail=self.repair_if_damaged,
            published=self.published,
        )

    def archiver(self) -> Archiver:
        """Stores events that partners put straight on Kafka."""
        from services.kernel.archiver import Archiver, archive_projection

        return Archiver(
            archive_projection(),
            self.writer_engine,
            self.bootstrap,
            self.codec,
            self.topics,
            self.dead_letters,
            group_prefix=self.settings.topic_prefix,
            signer=self.signer,
        )

    def consumers(self) -> dict[str, tuple[str, ...]]:
        """Everything that reads the topics with a position in the database, and its streams."""
        from services.kernel.archiver import archive_projection

        readers = {name: p.streams for name, p in self.projections.items()}
        archive = archive_projection()
        readers[archive.name] = archive.streams
        return readers

    def reconcile(self, say=None) -> ReconcileReport:
        """Re-publish what the topics lost; move consumers back (caller holds the relay lease)."""
        from services.kernel.reconcile import reconcile

        self.create_topics()
        return reconcile(
            self.writer_engine,
            self.publisher,
            self.bootstrap,
            self.codec,
            self.topics,
            self.consumers(),
            say,
        )

    def repair_if_damaged(self) -> int:
        """The relay's periodic check: reconcile only if a partition lost its last event."""
        from services.kernel.reconcile import tail_is_intact

        if tail_is_intact(self.writer_engine, self.bootstrap, self.codec, self.topics):
            return 0
        report = self.reconcile()
        return max(report.republished, len(report.damaged))

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
            signer=self.signer,
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
        if "accounts" in self.__dict__:
            self.accounts.close()
