"""Tables of the key vault.

The vault is a system of record, not a projection: it has its own MetaData so no
replay or read-model rebuild can ever drop it. Losing these rows loses the data.
"""

from sqlalchemy import Column, Date, DateTime, Integer, LargeBinary, MetaData, String, Table

SUBJECT_ID_MAX_LENGTH = 128

vault_metadata = MetaData()

data_keys = Table(
    "sharing_data_keys",
    vault_metadata,
    # The composite primary key is also what settles two writers creating the same key.
    Column("subject_id", String(SUBJECT_ID_MAX_LENGTH), primary_key=True),
    Column("data_class", String(64), primary_key=True),
    Column("kek_id", String(128), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rewrapped_at", DateTime(timezone=True), nullable=True),
)

erasures = Table(
    "sharing_erasures",
    vault_metadata,
    # A tombstone: once a subject is erased, no key is ever created for them again.
    Column("subject_id", String(SUBJECT_ID_MAX_LENGTH), primary_key=True),
    Column("erased_at", DateTime(timezone=True), nullable=False),
    Column("keys_destroyed", Integer, nullable=False),
)

subject_sources = Table(
    "sharing_subject_sources",
    vault_metadata,
    # Which agency recorded data about which subject, for which purpose, and when last:
    # written on the publish path, beside the keys, so erasure and the audit trail can be
    # scoped to the data controller and retention can tell when a subject was last active.
    # Holds no identity: ids, agency codes and dates only.
    Column("subject_id", String(SUBJECT_ID_MAX_LENGTH), primary_key=True),
    Column("agency", String(64), primary_key=True),
    Column("purpose", String(64), primary_key=True),
    Column("first_recorded_on", Date, nullable=False),
    Column("last_recorded_on", Date, nullable=False),
)

event_origins = Table(
    "sharing_event_origins",
    vault_metadata,
    # Which agency recorded each event that carries sensitive fields: written on the publish
    # path with the subject sources, so the ISA's `originator_reads_own` rule can show an
    # agency the fields of its own event (and only that event). Ids and agency codes only.
    Column("event_id", String(64), primary_key=True),
    Column("agency", String(64), nullable=False),
)
