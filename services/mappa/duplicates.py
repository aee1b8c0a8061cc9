"""Finding a nominal already registered, without decrypting any record.

A nominal's identity is encrypted, so registration publishes keyed blind-index terms for it
(a ``PersonIndexed`` event with role ``nominal`` and the nominal id as its person id): the
name and date of birth variants matching uses, the name alone, and the PNC id and ViSOR
reference. A later registration with the same PNC id, ViSOR reference, or name and date of
birth is then refused with 409 naming the existing nominal, unless the coordinator confirms it
is a different person (or the same person registered again in another area, after a transfer).

The terms live in the sharing index, so erasing the nominal (subject = nominal id) removes
them with the rest of its index entries. Matching of MARAC and MATAC persons ignores them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select, tuple_

from projections.sharing import person_terms
from services.kernel.events import Event, new_event
from services.sharing.blind_index import (
    NAME_TERM,
    BlindIndexKey,
    index_terms_for_full_name,
    name_term,
    reference_term,
)
from services.sharing.matching import NOMINAL_ROLE
from services.sharing.service import Caller

PNC_ID = "pnc_id"
VISOR_REFERENCE = "visor_reference"
MATCHED_ON_WORDS = {
    PNC_ID: "the same PNC ID",
    VISOR_REFERENCE: "the same ViSOR reference",
    "exact": "the same name and date of birth",
}
"""The terms that make a duplicate, in words (a near name match is not enough)."""


@dataclass(frozen=True)
class Identity:
    """What registration knows of the nominal's identity, in the clear, before encryption."""

    name: str
    date_of_birth: dt.date
    pnc_id: str | None = None
    visor_reference: str | None = None


@dataclass(frozen=True)
class PossibleDuplicate:
    nominal_id: str
    matched_on: tuple[str, ...]
    """Keys of ``MATCHED_ON_WORDS``, in that order."""

    def in_words(self) -> str:
        reasons = " and ".join(MATCHED_ON_WORDS[m] for m in self.matched_on)
        return f"MAPPA nominal {self.nominal_id} has {reasons}"


def terms(key: BlindIndexKey, identity: Identity) -> dict[str, str]:
    """Every term the nominal is indexed under."""
    found: dict[str, str] = dict(
        index_terms_for_full_name(key, identity.name, identity.date_of_birth)
    )
    found[NAME_TERM] = name_term(key, identity.name)
    for kind, value in ((PNC_ID, identity.pnc_id), (VISOR_REFERENCE, identity.visor_reference)):
        if value and value.strip():
            found[kind] = reference_term(key, kind, value)
    return found


def index_event(caller: Caller, nominal_id: str, indexed: dict[str, str]) -> Event:
    return new_event(
        "PersonIndexed",
        {"person_id": nominal_id, "role": NOMINAL_ROLE, "terms": indexed},
        aggregate_id=nominal_id,
        agency=caller.agency,
        actor=caller.user,
    )


def possible_duplicates(conn: Connection, indexed: dict[str, str]) -> list[PossibleDuplicate]:
    """Nominals already indexed under the same PNC id, ViSOR reference or exact identity."""
    wanted = [(kind, indexed[kind]) for kind in MATCHED_ON_WORDS if kind in indexed]
    rows = conn.execute(
        select(person_terms.c.person_id, person_terms.c.variant).where(
            person_terms.c.role == NOMINAL_ROLE,
            tuple_(person_terms.c.variant, person_terms.c.digest).in_(wanted),
        )
    ).all()
    matched: dict[str, set[str]] = {}
    for row in rows:
        matched.setdefault(row.person_id, set()).add(row.variant)
    return [
        PossibleDuplicate(nominal_id, tuple(k for k in MATCHED_ON_WORDS if k in kinds))
        for nominal_id, kinds in sorted(matched.items())
    ]
