"""MATAC read model: incidents, perpetrators, status changes, nominations and the cohort.

Scores are not stored: recency decays with time, so rankings are computed when asked, for
the date asked, from the incidents kept here (see ``services/matac/queries.py``).
Sensitive fields stay encrypted: ``payload`` keeps an event's fields as published (ciphertext
tokens included) so queries decrypt them per caller under the agreement in force.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from projections.metadata import metadata

matac_incidents = Table(
    "matac_incidents",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("occurred_on", Date, nullable=False, index=True),
    Column("area", String(64), nullable=False),
    Column("is_crime", Boolean, nullable=False),
    Column("offence_categories", JSON, nullable=False),
    Column("victim_person_ids", JSON, nullable=False),
    Column("suspect_age", Integer),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_matac_incidents_area_occurred_on", "area", "occurred_on"),
)

matac_perpetrators = Table(
    "matac_perpetrators",
    metadata,
    Column("person_id", String(64), primary_key=True),
    # The latest date of birth consistent with every age recorded on the person's incidents:
    # when no date of birth is recorded, ages are derived from it as the youngest the person
    # can be, so no child is ranked.
    Column("born_on_or_before", Date),
    # The latest incident (by date, then incident id) that carries the suspect's name.
    Column("name_event_id", String(64)),
    Column("name_incident_id", String(64)),
    Column("name_occurred_on", Date),
    # The latest incident (by date, then incident id) that carries the suspect's date of
    # birth (encrypted in its payload): when there is one, ages come from that date of birth.
    Column("birth_event_id", String(64)),
    Column("birth_incident_id", String(64)),
    Column("birth_occurred_on", Date),
)

matac_status_changes = Table(
    "matac_status_changes",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("agency", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

matac_nominations = Table(
    "matac_nominations",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("area", String(64), nullable=False, index=True),
    Column("nominating_agency", String(64), nullable=False, index=True),
    Column("nominated_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),
)

matac_cohort = Table(
    "matac_cohort",
    metadata,
    Column("joined_event_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("area", String(64), nullable=False, index=True),
    Column("joined_on", Date, nullable=False),
    Column("entry_score", Float, nullable=False),
    Column("joined_by", String(200), nullable=False),
    Column("left_event_id", String(64), unique=True),
    Column("left_on", Date),
    Column("exit_score", Float),
    Column("exit_reason", Text),  # as published: a risk.narrative token from CohortLeft v2
    Column("left_by", String(200)),
)

matac_person_links = Table(
    "matac_person_links",
    metadata,
    # A coordinator's confirmed match: the merged id and the one MATAC keeps for the person.
    # MATAC's own copy, so incidents for the merged id land on the kept one whichever of the
    # link and the incident the projector meets first.
    Column("person_id", String(64), primary_key=True),
    Column("canonical_person_id", String(64), nullable=False, index=True),
)

TABLES = (
    matac_person_links,
    matac_cohort,
    matac_nominations,
    matac_status_changes,
    matac_perpetrators,
    matac_incidents,
)
