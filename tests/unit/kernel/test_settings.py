from pathlib import Path

import pytest

from services.kernel.settings import Settings, SettingsError


def test_defaults_are_the_embedded_stack():
    settings = Settings.from_env({})
    assert settings.uses_embedded_broker
    assert settings.data_dir == Path(".tandem")
    assert settings.resolved_database_url.endswith("/.tandem/tandem.db")
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.topic_partitions == 3


def test_environment_variables_override_defaults():
    settings = Settings.from_env(
        {
            "TANDEM_DATA_DIR": "/srv/tandem",
            "TANDEM_KAFKA_BOOTSTRAP": "kafka:9092",
            "TANDEM_DATABASE_URL": "postgresql+psycopg://tandem@db/tandem",
            "TANDEM_TOPIC_PARTITIONS": "12",
            "TANDEM_HTTP_PORT": "8080",
        }
    )
    assert settings.data_dir == Path("/srv/tandem")
    assert settings.kafka_bootstrap == "kafka:9092"
    assert not settings.uses_embedded_broker
    assert settings.resolved_database_url == "postgresql+psycopg://tandem@db/tandem"
    assert settings.topic_partitions == 12
    assert settings.http_port == 8080


def test_standard_kafka_variable_is_a_fallback():
    assert Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "k:1"}).kafka_bootstrap == "k:1"
    both = {"KAFKA_BOOTSTRAP_SERVERS": "k:1", "TANDEM_KAFKA_BOOTSTRAP": "k:2"}
    assert Settings.from_env(both).kafka_bootstrap == "k:2"


@pytest.mark.parametrize("value", ["three", "0", "-1"])
def test_bad_numbers_name_the_variable(value):
    with pytest.raises(SettingsError, match="TANDEM_TOPIC_PARTITIONS"):
        Settings.from_env({"TANDEM_TOPIC_PARTITIONS": value})


def test_unknown_key_provider_is_refused():
    with pytest.raises(SettingsError, match="TANDEM_KEY_PROVIDER"):
        Settings.from_env({"TANDEM_KEY_PROVIDER": "vault-transit"})


def test_vault_defaults_apart_from_sqlite_read_models():
    settings = Settings.from_env({"TANDEM_DATA_DIR": "/d"})
    assert settings.vault_database_url == "sqlite:////d/vault.db"


def test_the_retention_interval_is_daily_unless_configured() -> None:
    assert Settings.from_env({}).retention_interval_seconds == 86_400
    configured = Settings.from_env({"TANDEM_RETENTION_INTERVAL_SECONDS": "3600"})
    assert configured.retention_interval_seconds == 3600
    with pytest.raises(SettingsError, match="TANDEM_RETENTION_INTERVAL_SECONDS must be positive"):
        Settings.from_env({"TANDEM_RETENTION_INTERVAL_SECONDS": "0"})
