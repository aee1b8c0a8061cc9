"""Linking the same person across agencies and referrals, without identities in the clear.

Intake computes keyed blind-index terms for a person's name and date of birth and looks them
up in the sharing read model. An exact match reuses the person id; a near match (same initial,
surname and date of birth, or same phonetic surname) gets a new id and a proposal for a
coordinator to confirm or reject. The terms are published so later referrals can find them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, select, tuple_, update

from projections.sharing import person_links, person_terms
from services.kernel.events import Event, new_event
from services.sharing.blind_index import (
    NAME_TERM,
    BlindIndexKey,
    index_terms_for_full_name,
    name_term,
)

NOMINAL_ROLE = "nominal"
"""The index role of a MAPPA nominal: searchable by name and reference, never linked to a
MARAC or MATAC person automatically (its id is a nominal id, not a person id)."""


@dataclass(frozen=True)
class PersonMatch:
    person_id: str
    kind: str | None
    """"exact", "near" or None (a new person)."""
    candidate_person_id: str | None = None
    events: list[Event] = field(default_factory=list)


def person_known(conn: Connection, person_id: str) -> bool:
    """Whether Tandem has indexed this person id (or linked it to one it has).

    A command that names a person by id must name one that exists: an example id once
    created a phantom victim who made a perpetrator look serial. An erased person's index
    entries are gone, so their id is unknown from then on.
    """
    found = conn.execute(
        select(person_terms.c.person_id)
        .where(person_terms.c.person_id == person_id, person_terms.c.role != NOMINAL_ROLE)
        .limit(1)
    ).first()
    if found is not None:
        return True
    return (
        conn.execute(
            select(person_links.c.person_id).where(person_links.c.person_id == person_id).limit(1)
        ).first()
        is not None
    )


def canonical(conn: Connection, person_id: str, links: Table = person_links) -> str:
    """The person id a confirmed match merged this one into (itself when never merged).

    ``links`` is a table of (person_id, canonical_person_id): the sharing index's, or a
    service's own copy, kept by its projection so it never waits on another read model.
    Links are followed to the end, so a person merged into one merged later is found too.
    """
    seen = {person_id}
    while True:
        linked = conn.execute(
            select(links.c.canonical_person_id).where(links.c.person_id == person_id)
        ).scalar()
        if linked is None or linked in seen:
            return person_id
        seen.add(linked)
        person_id = linked


def confirmed_link(event: Event) -> tuple[str, str] | None:
    """(the person merged, the person kept) when the event is a coordinator's confirmed
    match: from then on the two ids are one person everywhere."""
    p = event.payload
    if event.event_type != "PersonMatchDecided" or p.get("decision") != "confirmed":
        return None
    return p["person_id"], p["candidate_person_id"]


def record_link(conn: Connection, links: Table, merged: str, kept: str) -> tuple[str, str] | None:
    """Keep a confirmed link in a service's own ``links`` table.

    Returns (the id whose rows must move, the canonical id they move to), or None when the
    two were already one person. Earlier links into the moved id are pointed at the
    canonical one, so every lookup is one step and the order links arrive in does not
    change where ids end up.
    """
    source, target = canonical(conn, merged, links), canonical(conn, kept, links)
    if source == target:
        return None
    conn.execute(
        update(links)
        .where(links.c.canonical_person_id == source)
        .values(canonical_person_id=target)
    )
    conn.execute(links.insert().values(person_id=source, canonical_person_id=target))
    return source, target


def match_person(
    conn: Connection,
    key: BlindIndexKey,
    *,
    role: str,
    full_name: str | None,
    date_of_birth: str | None,
    agency: str,
    actor: str,
    correlation_id: str,
) -> PersonMatch:
    """The person id to use for this person, and the events that record the matching."""
    new_id = f"p-{uuid.uuid4().hex[:12]}"
    if not full_name or not date_of_birth:
        return PersonMatch(new_id, None)  # nothing to match on: a new person
    terms = index_terms_for_full_name(key, full_name, date_of_birth)
    rows = conn.execute(
        select(person_terms.c.person_id, person_terms.c.variant).where(
            tuple_(person_terms.c.variant, person_terms.c.digest).in_(list(terms.items())),
            person_terms.c.role != NOMINAL_ROLE,
        )
    ).all()
    exact = sorted({r.person_id for r in rows if r.variant == "exact"})
    if exact:
        return PersonMatch(canonical(conn, exact[0]), "exact")

    def event(event_type: str, payload: dict, aggregate: str) -> Event:
        return new_event(
            event_type,
            payload,
            aggregate_id=aggregate,
            agency=agency,
            actor=actor,
            correlation_id=correlation_id,
        )

    searchable = terms | {NAME_TERM: name_term(key, full_name)}
    events = [
        event("PersonIndexed", {"person_id": new_id, "role": role, "terms": searchable}, new_id)
    ]
    near = sorted({r.person_id for r in rows})
    if not near:
        return PersonMatch(new_id, None, events=events)
    candidate = canonical(conn, near[0])
    variants = sorted({r.variant for r in rows if r.person_id == near[0]})
    events.append(
        event(
            "PersonMatchProposed",
            {
                "proposal_id": f"pm-{uuid.uuid4().hex[:12]}",
                "person_id": new_id,
                "candidate_person_id": candidate,
                "variants": variants,
            },
            new_id,
        )
    )
    return PersonMatch(new_id, "near", candidate, events)
