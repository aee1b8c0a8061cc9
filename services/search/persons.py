"""Name and date of birth to ids, through the keyed blind index: nothing is decrypted.

The caller's name and date of birth are turned into the same keyed digests intake stores
(``services.sharing.blind_index``) and looked up in the sharing index. With a date of birth,
the exact variant is an ``exact`` match and the others (initial and surname, phonetic
surname) are ``near``; without one, only the name alone (``name``), which persons indexed
before that term existed do not have. MAPPA nominals are in the same index with role
``nominal``; persons are followed through confirmed links to every id of the same person.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, String, cast, or_, select, tuple_

from projections.marac import marac_cases, marac_referrals
from projections.matac import matac_perpetrators
from projections.sharing import person_links, person_terms
from services.search.found import RANK, Found, Match
from services.sharing.blind_index import (
    NAME_TERM,
    BlindIndexKey,
    index_terms_for_full_name,
    name_term,
)
from services.sharing.matching import NOMINAL_ROLE


def index_matches(
    conn: Connection, key: BlindIndexKey, name: str, date_of_birth: dt.date | None
) -> dict[tuple[str, str], Match]:
    """(person or nominal id, index role) -> the strongest way it matched."""
    if date_of_birth is not None:
        terms: dict[str, str] = dict(index_terms_for_full_name(key, name, date_of_birth))
    else:
        terms = {NAME_TERM: name_term(key, name)}
    rows = conn.execute(
        select(person_terms.c.person_id, person_terms.c.role, person_terms.c.variant).where(
            tuple_(person_terms.c.variant, person_terms.c.digest).in_(list(terms.items()))
        )
    ).all()
    found: dict[tuple[str, str], Match] = {}
    for row in rows:
        match: Match = {"exact": "exact", NAME_TERM: "name"}.get(row.variant, "near")
        held = found.get((row.person_id, row.role))
        if held is None or RANK[match] < RANK[held]:
            found[(row.person_id, row.role)] = match
    return found


def same_person_ids(conn: Connection, person_ids: set[str]) -> dict[str, str]:
    """Every id linked to one of these persons -> the id it was found through."""
    if not person_ids:
        return {}
    canonical = dict(
        conn.execute(
            select(person_links.c.person_id, person_links.c.canonical_person_id).where(
                person_links.c.person_id.in_(person_ids)
            )
        ).all()
    )
    roots = {canonical.get(p, p): p for p in person_ids}
    result = {p: p for p in person_ids} | {root: via for root, via in roots.items()}
    for linked, root in conn.execute(
        select(person_links.c.person_id, person_links.c.canonical_person_id).where(
            person_links.c.canonical_person_id.in_(list(roots))
        )
    ).all():
        result.setdefault(linked, roots[root])
    return result


def records_of_persons(conn: Connection, matches: dict[str, Match]) -> list[Found]:
    """The MARAC cases (as victim or perpetrator) and MATAC perpetrators of these persons."""
    ids = same_person_ids(conn, set(matches))
    if not ids:
        return []
    found: list[Found] = []
    for case_id, victim in conn.execute(
        select(marac_cases.c.case_id, marac_cases.c.victim_person_id).where(
            marac_cases.c.victim_person_id.in_(list(ids))
        )
    ).all():
        found.append(Found("marac_case", case_id, matches[ids[victim]], victim))
    as_text = cast(marac_referrals.c.perpetrator_ids, String)
    for case_id, perpetrators in conn.execute(
        select(marac_referrals.c.case_id, marac_referrals.c.perpetrator_ids).where(
            or_(*(as_text.like(f'%"{person_id}"%') for person_id in ids))
        )
    ).all():
        for person_id in perpetrators:
            if person_id in ids:
                found.append(Found("marac_case", case_id, matches[ids[person_id]], person_id))
    for (person_id,) in conn.execute(
        select(matac_perpetrators.c.person_id).where(matac_perpetrators.c.person_id.in_(list(ids)))
    ).all():
        found.append(Found("matac_perpetrator", person_id, matches[ids[person_id]]))
    return found


def find_by_name(
    conn: Connection, key: BlindIndexKey, name: str, date_of_birth: dt.date | None
) -> list[Found]:
    matched = index_matches(conn, key, name, date_of_birth)
    persons = {pid: m for (pid, role), m in matched.items() if role != NOMINAL_ROLE}
    nominals = [
        Found("mappa_nominal", pid, m) for (pid, role), m in matched.items() if role == NOMINAL_ROLE
    ]
    return records_of_persons(conn, persons) + nominals
