"""docker-compose.yml cannot run here (no Docker): check what can be checked without it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from services.kernel.streams import STREAMS

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ACLS = (ROOT / "deploy" / "kafka" / "acls.sh").read_text()
START = (ROOT / "deploy" / "kafka" / "start.sh").read_text()
TANDEM = {
    name: service
    for name, service in COMPOSE["services"].items()
    if str(service.get("image", "")).startswith("tandem")
}


def test_every_tandem_process_has_its_own_kafka_principal_with_scram():
    principals = {}
    for name, service in TANDEM.items():
        environment = service["environment"]
        assert environment["TANDEM_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
        principals[name] = environment["TANDEM_KAFKA_USERNAME"]
    assert len(set(principals.values())) == len(principals), principals
    for principal in principals.values():
        assert principal in START, f"{principal} gets no SCRAM credential in start.sh"
        assert f"User:{principal}" in ACLS or "User:tandem-${service}" in ACLS, principal


def test_every_service_projector_and_the_relay_run():
    commands = {tuple(s["command"]) for s in TANDEM.values()}
    for service in ("marac", "matac", "mappa", "sharing"):
        assert ("tandem", "project", service) in commands
    assert ("tandem", "relay") in commands


def test_projectors_may_write_only_dead_letter_topics():
    streams = re.search(r'streams="([^"]+)"', ACLS).group(1).split()
    assert sorted(streams) == sorted(s.name for s in STREAMS)
    projector_block = ACLS[ACLS.index("for service in marac") :]
    assert '--topic "${prefix}.${stream}.dlq"' in projector_block
    assert "--operation Write $(topics)" not in projector_block


def test_kafka_never_auto_creates_topics():
    properties = (ROOT / "deploy" / "kafka" / "server.properties").read_text()
    assert "auto.create.topics.enable=false" in properties
    assert "allow.everyone.if.no.acl.found=false" in properties
