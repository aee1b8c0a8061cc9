"""Sharing read model: person index terms, match proposals, erasures and the audit trail.

No identity is stored here: persons are known by id and keyed HMAC digests only.
"""

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, Text

from projections.metadata import metadata

person_terms = Table(
    "sharing_person_terms",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("variant", String(32), primary_key=True),
    Column("digest", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
)

match_proposals = Table(
    "sharing_match_proposals",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("candidate_person_id", String(64), nullable=False),
    Column("variants", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("proposed_by_agency", String(64), nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(128)),
    Column("decided_at", DateTime(timezone=True)),
)

person_links = Table(
    "sharing_person_links",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("canonical_person_id", String(64), nullable=False, index=True),
)

erasure_log = Table(
    "sharing_erasure_log",
    metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("keys_destroyed", Integer, nullable=False),
    # v1 events: the reason as text; v2: its token (erasure.reason, subject erasure_id)
    Column("reason", Text, nullable=False),
    Column("agency", String(64), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
    Column("erasure_id", String(64)),
    Column("trigger", String(16)),
    Column("requested_by", String(128)),
    Column("requested_by_agency", String(64)),
)

access_log = Table(
    "audit_access",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("subject_id", String(64), nullable=False, index=True),
    Column("user", String(128), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("data_classes", JSON, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("agreement_id", String(128), nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("route", String(255), nullable=False),
    Column("accessed_at", DateTime(timezone=True), nullable=False),
)

TABLES = (person_terms, match_proposals, person_links, erasure_log, access_log)
