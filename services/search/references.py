"""A reference to the record it names: one small lookup per kind of reference.

A reference search tries every lookup in ``REFERENCE_LOOKUPS`` and keeps what any of them
finds, so a new kind of reference is one function added to the tuple (the human references,
``OX-2026-0143``, came that way). Tandem's own ids are looked up as they are; official
references that are encrypted in the record (a nominal's PNC ID and ViSOR reference) by
their keyed blind-index digest, so nothing is decrypted to find them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select, tuple_

from projections.mappa import mappa_nominals
from projections.marac import marac_cases, marac_referrals
from projections.matac import matac_perpetrators
from projections.sharing import person_terms
from services.kernel import references
from services.mappa.duplicates import PNC_ID, VISOR_REFERENCE
from services.search.found import Found, strongest
from services.search.persons import records_of_persons
from services.sharing.blind_index import BlindIndexKey, reference_term
from services.sharing.matching import NOMINAL_ROLE

ReferenceLookup = Callable[[Connection, BlindIndexKey, str], list[Found]]


def marac_case_id(conn: Connection, key: BlindIndexKey, reference: str) -> list[Found]:
    found = conn.execute(select(marac_cases.c.case_id).where(marac_cases.c.case_id == reference))
    return [Found("marac_case", case_id, "reference") for (case_id,) in found]


def marac_referral_id(conn: Connection, key: BlindIndexKey, reference: str) -> list[Found]:
    found = conn.execute(
        select(marac_referrals.c.case_id).where(marac_referrals.c.referral_id == reference)
    )
    return [Found("marac_case", case_id, "reference") for (case_id,) in found]


def person_id(conn: Connection, key: BlindIndexKey, reference: str) -> list[Found]:
    """A Tandem person id: their MARAC cases and MATAC record."""
    known = (
        conn.execute(
            select(matac_perpetrators.c.person_id).where(
                matac_perpetrators.c.person_id == reference
            )
        ).first()
        or conn.execute(
            select(person_terms.c.person_id).where(
                person_terms.c.person_id == reference, person_terms.c.role != NOMINAL_ROLE
            )
        ).first()
    )
    return records_of_persons(conn, {reference: "reference"}) if known else []


def mappa_nominal_id(conn: Connection, key: BlindIndexKey, reference: str) -> list[Found]:
    found = conn.execute(
        select(mappa_nominals.c.nominal_id).where(mappa_nominals.c.nominal_id == reference)
    )
    return [Found("mappa_nominal", nominal_id, "reference") for (nominal_id,) in found]


def mappa_official_reference(conn: Connection, key: BlindIndexKey, reference: str) -> list[Found]:
    """A nominal's PNC ID or ViSOR reference, by its keyed digest."""
    wanted = [(kind, reference_term(key, kind, reference)) for kind in (PNC_ID, VISOR_REFERENCE)]
    found = conn.execute(
        select(person_terms.c.person_id).where(
            person_terms.c.role == NOMINAL_ROLE,
            tuple_(person_terms.c.variant, person_terms.c.digest).in_(wanted),
        )
    )
    return [Found("mappa_nominal", nominal_id, "reference") for (nominal_id,) in found]


def human_reference(conn: Connection, key: BlindIndexKey, reference: str) -> list[Found]:
    """A human reference such as OX-2026-0143 (case), OX-R-2026-0143 (referral, found as
    its case) or TV-M-2026-0007 (nominal): docs/references.md."""
    record = references.find_by_reference(conn, reference)
    if record is None:
        return []
    if record.kind == references.ReferenceKind.MAPPA_NOMINAL:
        return [Found("mappa_nominal", record.record_id, "reference")]
    if record.kind == references.ReferenceKind.MARAC_REFERRAL:
        return marac_referral_id(conn, key, record.record_id)
    return [Found("marac_case", record.record_id, "reference")]


REFERENCE_LOOKUPS: tuple[ReferenceLookup, ...] = (
    human_reference,
    marac_case_id,
    marac_referral_id,
    person_id,
    mappa_nominal_id,
    mappa_official_reference,
)


def find_by_reference(conn: Connection, key: BlindIndexKey, reference: str) -> list[Found]:
    reference = reference.strip()
    if not reference:
        return []
    return strongest([f for lookup in REFERENCE_LOOKUPS for f in lookup(conn, key, reference)])
