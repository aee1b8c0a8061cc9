"""MAPPA read model: each nominal's event log and a summary row to filter on.

``mappa_nominal_events`` keeps every MAPPA event of a nominal, in stream order, with its
payload exactly as published (sensitive fields stay ciphertext tokens, dates are ISO text).
It is what the service folds into the domain ``NominalState`` (level history, review clock)
and what it decrypts, per caller under the agreement in force, when a record is read.

``mappa_nominals`` holds the structural facts that do not depend on the review policy
(area, lead agency, category, level, when management here stopped), so lists and figures
select the nominals they need without folding every record. Review dates depend on the
policy's intervals, so they are computed when read, never stored: a changed policy applies
at once, with no replay.
"""

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from projections.metadata import metadata

mappa_nominals = Table(
    "mappa_nominals",
    metadata,
    Column("nominal_id", String(64), primary_key=True),
    Column("reference", String(32), unique=True),  # null for nominals registered before v2
    Column("area", String(64), nullable=False),
    Column("lead_agency", String(64), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("category", Integer),
    Column("level", Integer),
    Column("management_ended_on", Date),
    Column("event_count", Integer, nullable=False),
    Column("last_event_id", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_mappa_nominals_area_ended", "area", "management_ended_on"),
    Index("ix_mappa_nominals_lead_agency", "lead_agency"),
)

mappa_nominal_events = Table(
    "mappa_nominal_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("nominal_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),
    UniqueConstraint("nominal_id", "position", name="uq_mappa_nominal_events_position"),
)

TABLES = (mappa_nominal_events, mappa_nominals)
