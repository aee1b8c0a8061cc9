"""Configuration, read from environment variables in one place.

Every setting has the prefix ``TANDEM_``. The embedded default needs none of them: with no
broker and no database URL set, Tandem starts its own broker and uses SQLite under the data dir.
``KAFKA_BOOTSTRAP_SERVERS`` is honoured as a fallback for the broker so that standard Kafka
tooling conventions (and the test suite) can point Tandem at any cluster.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (or installed source tree) that holds schemas/ and agreements/."""

ENV_PREFIX = "TANDEM_"


class SettingsError(ValueError):
    """A setting has a value Tandem cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything a Tandem process needs to know about its surroundings."""

    data_dir: Path = Path(".tandem")
    kafka_bootstrap: str | None = None
    database_url: str | None = None
    schema_registry_url: str | None = None
    schemas_dir: Path = PROJECT_ROOT / "schemas" / "avro"
    agreements_dir: Path = PROJECT_ROOT / "agreements"
    policy_dir: Path | None = None
    topic_prefix: str = "tandem"
    topic_partitions: int = 3
    topic_replication: int = 1
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    embedded_kafka_port: int | None = None
    """None: a free port chosen for the data dir and kept in it (see services/stack.py)."""
    key_provider: str = "local"
    key_file: Path | None = None
    blind_index_key_file: Path | None = None
    token_secret_file: Path | None = None
    mac_key_file: Path | None = None
    vault_url: str | None = None
    session_hours: int = 8
    service_token_days: int = 30
    sign_in_max_failures: int = 5
    sign_in_max_failures_per_address: int = 20
    sign_in_lockout_minutes: int = 15
    retention_interval_seconds: int = 86_400
    """How often the running stack applies the agreement's retention (daily by default)."""

    @property
    def uses_embedded_broker(self) -> bool:
        return not self.kafka_bootstrap

    @property
    def resolved_database_url(self) -> str:
        """The read-model database; SQLite in the data dir unless a URL is configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tandem.db').resolve()}"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file or self.data_dir / "keys" / "kek.json"

    @property
    def resolved_blind_index_key_file(self) -> Path:
        return self.blind_index_key_file or self.data_dir / "keys" / "blind-index.key"

    @property
    def resolved_mac_key_file(self) -> Path:
        return self.mac_key_file or self.data_dir / "keys" / "event-mac.json"

    @property
    def resolved_token_secret_file(self) -> Path:
        return self.token_secret_file or self.data_dir / "keys" / "token-secret.key"

    @property
    def csrf_secret_file(self) -> Path:
        """The web pages' CSRF key: its own secret, so a leaked one forges nothing else."""
        return self.resolved_token_secret_file.parent / "csrf-secret.key"

    @property
    def draft_secret_file(self) -> Path:
        """The key that seals the web forms' drafts at rest."""
        return self.resolved_token_secret_file.parent / "draft-secret.key"

    @property
    def vault_database_url(self) -> str:
        """The key vault lives apart from the read models: a replay must never touch it."""
        if self.vault_url:
            return self.vault_url
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vault.db').resolve()}"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``TANDEM_*`` variables (and ``KAFKA_BOOTSTRAP_SERVERS``)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        def get_int(name: str, default: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(
                    f"{ENV_PREFIX}{name} must be a whole number, got {raw!r}"
                ) from None
            if value <= 0:
                raise SettingsError(f"{ENV_PREFIX}{name} must be positive, got {value}")
            return value

        def get_path(name: str) -> Path | None:
            raw = get(name)
            return Path(raw).expanduser() if raw else None

        defaults = cls()
        key_provider = get("KEY_PROVIDER") or "local"
        if key_provider != "local":
            raise SettingsError(
                f"{ENV_PREFIX}KEY_PROVIDER={key_provider!r} is not available; "
                "this build ships the 'local' key-file provider"
            )
        return cls(
            data_dir=get_path("DATA_DIR") or defaults.data_dir,
            kafka_bootstrap=get("KAFKA_BOOTSTRAP") or env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            database_url=get("DATABASE_URL"),
            schema_registry_url=get("SCHEMA_REGISTRY_URL"),
            schemas_dir=get_path("SCHEMAS_DIR") or defaults.schemas_dir,
            agreements_dir=get_path("AGREEMENTS_DIR") or defaults.agreements_dir,
            policy_dir=get_path("POLICY_DIR"),
            topic_prefix=get("TOPIC_PREFIX") or defaults.topic_prefix,
            topic_partitions=get_int("TOPIC_PARTITIONS", defaults.topic_partitions),
            topic_replication=get_int("TOPIC_REPLICATION", defaults.topic_replication),
            http_host=get("HTTP_HOST") or defaults.http_host,
            http_port=get_int("HTTP_PORT", defaults.http_port),
            embedded_kafka_port=get_int("EMBEDDED_KAFKA_PORT", 0) or None,
            key_provider=key_provider,
            key_file=get_path("KEY_FILE"),
            blind_index_key_file=get_path("BLIND_INDEX_KEY_FILE"),
            token_secret_file=get_path("TOKEN_SECRET_FILE"),
            mac_key_file=get_path("MAC_KEY_FILE"),
            vault_url=get("VAULT_DATABASE_URL"),
            session_hours=get_int("SESSION_HOURS", defaults.session_hours),
            service_token_days=get_int("SERVICE_TOKEN_DAYS", defaults.service_token_days),
            sign_in_max_failures=get_int("SIGN_IN_MAX_FAILURES", defaults.sign_in_max_failures),
            sign_in_max_failures_per_address=get_int(
                "SIGN_IN_MAX_FAILURES_PER_ADDRESS", defaults.sign_in_max_failures_per_address
            ),
            sign_in_lockout_minutes=get_int(
                "SIGN_IN_LOCKOUT_MINUTES", defaults.sign_in_lockout_minutes
            ),
            retention_interval_seconds=get_int(
                "RETENTION_INTERVAL_SECONDS", defaults.retention_interval_seconds
            ),
        )


SETTINGS_DOC: dict[str, str] = {
    "TANDEM_DATA_DIR": "embedded broker data, SQLite files and local keys (default ./.tandem)",
    "TANDEM_KAFKA_BOOTSTRAP": "bootstrap servers of an external Kafka; unset = embedded broker",
    "KAFKA_BOOTSTRAP_SERVERS": "fallback for TANDEM_KAFKA_BOOTSTRAP",
    "TANDEM_DATABASE_URL": "SQLAlchemy URL of the read models (default SQLite in the data dir)",
    "TANDEM_VAULT_DATABASE_URL": "key vault database (default: read-model database or vault.db)",
    "TANDEM_SCHEMA_REGISTRY_URL": "Confluent-compatible schema registry; unset = embedded",
    "TANDEM_SCHEMAS_DIR": "versioned Avro schemas (default schemas/avro in the source tree)",
    "TANDEM_AGREEMENTS_DIR": "information sharing agreements (default agreements/)",
    "TANDEM_POLICY_DIR": "folder of marac.yaml / matac.yaml / mappa.yaml overriding defaults",
    "TANDEM_TOPIC_PREFIX": "prefix of every topic name (default tandem)",
    "TANDEM_TOPIC_PARTITIONS": "partitions per topic when Tandem creates it (default 3)",
    "TANDEM_TOPIC_REPLICATION": "replication factor when Tandem creates a topic (default 1)",
    "TANDEM_HTTP_HOST": "address the web app binds (default 127.0.0.1)",
    "TANDEM_HTTP_PORT": "port of the web app (default 8000)",
    "TANDEM_EMBEDDED_KAFKA_PORT": (
        "port of the embedded broker (default: a free one, kept in the data dir)"
    ),
    "TANDEM_KEY_PROVIDER": "key-encryption-key provider (default local: a key file)",
    "TANDEM_KEY_FILE": "path of the local key-encryption-key file",
    "TANDEM_BLIND_INDEX_KEY_FILE": "path of the person-matching HMAC key file",
    "TANDEM_TOKEN_SECRET_FILE": "path of the secret that signs local API tokens",
    "TANDEM_SESSION_HOURS": "how long a web sign-in (a person's token) lasts (default 8)",
    "TANDEM_SERVICE_TOKEN_DAYS": "how long a tandem token service token lasts (default 30)",
    "TANDEM_SIGN_IN_MAX_FAILURES": "wrong passwords for one account before lockout (default 5)",
    "TANDEM_SIGN_IN_MAX_FAILURES_PER_ADDRESS": "failed sign-ins from one address (default 20)",
    "TANDEM_SIGN_IN_LOCKOUT_MINUTES": "how long a sign-in lockout lasts (default 15)",
    "TANDEM_MAC_KEY_FILE": "key ring that signs every event (default keys/event-mac.json)",
    "TANDEM_RETENTION_INTERVAL_SECONDS": "how often tandem up applies retention (default 86400)",
    "TANDEM_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT (default), SASL_PLAINTEXT, SASL_SSL or SSL",
    "TANDEM_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512 (default with SASL), SCRAM-SHA-256 or PLAIN",
    "TANDEM_KAFKA_USERNAME": "this service's Kafka principal (SASL)",
    "TANDEM_KAFKA_PASSWORD": "its password (SASL)",
    "TANDEM_KAFKA_SSL_CAFILE": "CA bundle that signed the brokers' certificates (SSL)",
}

_SECURITY_PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL")


def kafka_security_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """kafka-python options for an authenticated listener, from ``TANDEM_KAFKA_*``.

    Empty for the embedded broker (loopback only). Production's docker-compose gives each
    service its own SCRAM principal, so the broker's ACLs decide which topics it may write.
    """
    env = os.environ if environ is None else environ
    protocol = (env.get(ENV_PREFIX + "KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT").upper()
    if protocol not in _SECURITY_PROTOCOLS:
        raise SettingsError(
            f"{ENV_PREFIX}KAFKA_SECURITY_PROTOCOL must be one of {', '.join(_SECURITY_PROTOCOLS)}"
            f", got {protocol!r}"
        )
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, str] = {"security_protocol": protocol}
    if protocol.startswith("SASL"):
        username = env.get(ENV_PREFIX + "KAFKA_USERNAME")
        password = env.get(ENV_PREFIX + "KAFKA_PASSWORD")
        if not username or not password:
            raise SettingsError(
                f"{ENV_PREFIX}KAFKA_SECURITY_PROTOCOL={protocol} needs "
                f"{ENV_PREFIX}KAFKA_USERNAME and {ENV_PREFIX}KAFKA_PASSWORD"
            )
        options.update(
            sasl_mechanism=env.get(ENV_PREFIX + "KAFKA_SASL_MECHANISM") or "SCRAM-SHA-512",
            sasl_plain_username=username,
            sasl_plain_password=password,
        )
    cafile = env.get(ENV_PREFIX + "KAFKA_SSL_CAFILE")
    if cafile:
        options["ssl_cafile"] = cafile
    return options
