"""MARAC read model: cases and the referrals that opened or added to them.

Sensitive fields stay encrypted here: ``payload`` keeps the event's fields as published
(ciphertext tokens included) so queries decrypt per caller under the agreement in force.
"""

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, String, Table

from projections.metadata import metadata

marac_cases = Table(
    "marac_cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("marac_area", String(64), nullable=False, index=True),
    Column("victim_person_id", String(64), nullable=False, index=True),
    Column("first_referral_date", Date, nullable=False),
    Column("last_referral_date", Date, nullable=False),
    Column("referral_count", Integer, nullable=False),
    Column("repeat_count", Integer, nullable=False),
    Column("latest_dash_score", Integer, nullable=False),
    Column("latest_risk_level", String(16), nullable=False),
)

marac_referrals = Table(
    "marac_referrals",
    metadata,
    Column("referral_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("marac_area", String(64), nullable=False, index=True),
    Column("referral_date", Date, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("referring_agency", String(64), nullable=False, index=True),
    Column("referring_agency_type", String(32), nullable=False),
    Column("dash_score", Integer, nullable=False),
    Column("risk_level", String(16), nullable=False),
    Column("criteria", JSON, nullable=False),
    Column("is_repeat", Boolean, nullable=False),
    Column("last_referral_date", Date),
    Column("children_count", Integer, nullable=False),
    Column("perpetrator_ids", JSON, nullable=False),
    Column("payload", JSON, nullable=False),
)

TABLES = (marac_referrals, marac_cases)
