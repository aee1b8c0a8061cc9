"""Sharing projection handlers: person index, match decisions, erasures, the audit trail."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from projections.runtime import Projection
from projections.sharing import (
    TABLES,
    access_log,
    erasure_log,
    match_proposals,
    person_links,
    person_terms,
)
from services.kernel.events import Event


def person_indexed(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        person_terms.insert(),
        [
            {"person_id": p["person_id"], "variant": v, "digest": d, "role": p["role"]}
            for v, d in sorted(p["terms"].items())
        ],
    )


def match_proposed(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        match_proposals.insert().values(
            proposal_id=p["proposal_id"],
            person_id=p["person_id"],
            candidate_person_id=p["candidate_person_id"],
            variants=list(p["variants"]),
            status="pending",
            proposed_by_agency=event.envelope.agency,
            proposed_at=event.envelope.recorded_at,
        )
    )


def match_decided(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        update(match_proposals)
        .where(match_proposals.c.proposal_id == p["proposal_id"])
        .values(
            status=p["decision"],
            decided_by=f"{event.envelope.actor} ({event.envelope.agency})",
            decided_at=event.envelope.recorded_at,
        )
    )
    if p["decision"] == "confirmed":
        conn.execute(
            person_links.insert().values(
                person_id=p["person_id"], canonical_person_id=p["candidate_person_id"]
            )
        )


def subject_erased(conn: Connection, event: Event) -> None:
    p = event.payload
    # An erased person must never be matched again: a new referral with the same name and
    # date of birth is a new person (matching the erased one made every such referral fail).
    conn.execute(person_terms.delete().where(person_terms.c.person_id == p["subject_id"]))
    # The first erasure stands: since v2 a second one is refused before any event, but v1
    # histories may hold two, and the first is the one that destroyed the keys.
    first = conn.execute(
        select(erasure_log.c.subject_id).where(erasure_log.c.subject_id == p["subject_id"])
    ).first()
    if first is not None:
        return
    conn.execute(
        erasure_log.insert().values(
            subject_id=p["subject_id"],
            keys_destroyed=p["keys_destroyed"],
            # v2: the reason's token, readable under the agreement; v1: the clear text
            reason=p.get("request_reason") or p.get("reason") or "",
            agency=event.envelope.agency,
            actor=event.envelope.actor,
            erased_at=event.envelope.recorded_at,
            erasure_id=p.get("erasure_id") or None,
            trigger=p.get("trigger") or "request",
            requested_by=p.get("requested_by") or event.envelope.actor,
            requested_by_agency=p.get("requested_by_agency") or event.envelope.agency,
        )
    )


def data_accessed(conn: Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        access_log.insert().values(
            event_id=event.event_id,
            subject_id=p["subject_id"],
            user=event.envelope.actor,
            agency=event.envelope.agency,
            data_classes=list(p["data_classes"]),
            purpose=p["purpose"],
            agreement_id=p["agreement_id"],
            agreement_version=p["agreement_version"],
            route=p["route"],
            accessed_at=event.envelope.recorded_at,
        )
    )


def projection() -> Projection:
    return Projection(
        name="sharing",
        streams=("persons", "sharing.erasures", "audit.access"),
        handlers={
            "PersonIndexed": person_indexed,
            "PersonMatchProposed": match_proposed,
            "PersonMatchDecided": match_decided,
            "SubjectErased": subject_erased,
            "DataAccessed": data_accessed,
        },
        tables=TABLES,
    )
