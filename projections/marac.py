"""MARAC read model: cases and the referrals that opened or added to them.

A meeting keeps the reason it was recorded after it was held; an agenda version keeps the
id of its AgendaPublished event and its late-addition reasons as published (ciphertext), so
they can be decrypted per caller.

A referral may be withdrawn or corrected by its referrer before the cut-off; the row keeps
the withdrawal and the latest correction (their events' ids and payloads, ciphertext and all).

Sensitive fields stay encrypted here: ``payload`` keeps the event's fields as published
(ciphertext tokens included) so queries decrypt per caller under the agreement in force.
"""

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, String, Table, Text

from projections.metadata import metadata

marac_cases = Table(
    "marac_cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    # the human reference (docs/references.md); null for a case with no v3 referral yet
    Column("reference", String(32), unique=True),
    Column("marac_area", String(64), nullable=False, index=True),
    Column("victim_person_id", String(64), nullable=False, index=True),
    Column("first_referral_date", Date, nullable=False),
    Column("last_referral_date", Date, nullable=False),
    Column("referral_count", Integer, nullable=False),
    Column("repeat_count", Integer, nullable=False),
    Column("latest_dash_score", Integer, nullable=False),
    Column("latest_risk_level", String(16), nullable=False),
    # Set when a confirmed person match made this case's victim the victim of an earlier
    # case: the agenda lists the earlier case once, with this one's referrals as part of it.
    Column("merged_into_case_id", String(64), index=True),
)

marac_referrals = Table(
    "marac_referrals",
    metadata,
    Column("referral_id", String(64), primary_key=True),
    Column("reference", String(32), unique=True),  # null for referrals before v3
    Column("case_id", String(64), nullable=False, index=True),
    Column("victim_person_id", String(64), nullable=False, index=True),
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
    Column("agencies_involved", JSON, nullable=False),
    Column("idva_allocated", Boolean, nullable=False),
    Column("payload", JSON, nullable=False),
    # Withdrawn before the cut-off: off the draft agenda, no longer a prior referral.
    Column("withdrawn_on", Date),
    Column("withdrawn_event_id", String(64)),
    Column("withdrawn_payload", JSON),
    # Corrected before the cut-off: the score, risk and criteria columns above hold the
    # corrected values; ``payload`` keeps the referral as sent, the correction its own fields.
    Column("corrected_on", Date),
    Column("corrected_event_id", String(64)),
    Column("corrected_payload", JSON),
)

marac_meetings = Table(
    "marac_meetings",
    metadata,
    Column("meeting_id", String(64), primary_key=True),
    Column("marac_area", String(64), nullable=False, index=True),
    Column("meeting_date", Date, nullable=False),
    Column("cutoff_date", Date, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("venue", String(255)),
    Column("chair_agency", String(64)),
    Column("recorded_after_the_event_reason", Text),
)

marac_agenda_versions = Table(
    "marac_agenda_versions",
    metadata,
    Column("meeting_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(128), nullable=False),
    Column("case_ids", JSON, nullable=False),
    Column("late_case_ids", JSON, nullable=False),
    Column("overflow_case_ids", JSON, nullable=False),
    Column("event_id", String(64)),
    Column("late_reasons", JSON),
)

marac_actions = Table(
    "marac_actions",
    metadata,
    Column("action_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("meeting_id", String(64)),
    Column("owner_agency", String(64), nullable=False, index=True),
    Column("due_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("not_done_reason", String(32)),
    Column("completed_on", Date),
    Column("assigned_event_id", String(64), nullable=False),
    Column("assigned_payload", JSON, nullable=False),
    Column("completed_event_id", String(64)),
    Column("completed_payload", JSON),
)

marac_incident_victims = Table(
    "marac_incident_victims",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("victim_person_id", String(64), primary_key=True),
    Column("occurred_on", Date, nullable=False),
)

marac_person_links = Table(
    "marac_person_links",
    metadata,
    # A coordinator's confirmed match: the merged id and the one MARAC keeps for the person
    # (MARAC's own copy, so the order the projector meets links and referrals in is moot).
    Column("person_id", String(64), primary_key=True),
    Column("canonical_person_id", String(64), nullable=False, index=True),
)

TABLES = (
    marac_person_links,
    marac_referrals,
    marac_cases,
    marac_meetings,
    marac_agenda_versions,
    marac_actions,
    marac_incident_victims,
)
