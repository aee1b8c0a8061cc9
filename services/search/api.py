"""``GET /api/search``: find a person, case or nominal by name, date of birth or reference.

Who may search what
    MARAC coordinators find MARAC cases (and MATAC perpetrators, whose pages they may open),
    police analysts MATAC perpetrators, MAPPA coordinators MAPPA nominals; other roles get
    403. A kind of record is searched only when the caller's agency is a party to its purpose
    (``marac``, ``matac``, ``mappa``) under an agreement in force, so the MARAC coordination
    team learns nothing of MAPPA nominals whatever its role.

What is shown
    Ids and structure in the clear; the matched person's name decrypted for the caller under
    the agreement for the record's purpose, or withheld with the reason, and the read audited
    (DataAccessed) like every other. Lookup itself decrypts nothing: names and official
    references are found by keyed blind index (``services.search.persons``,
    ``services.search.references``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Connection, select

from projections.mappa import mappa_nominal_events, mappa_nominals
from projections.marac import marac_referrals
from services.bootstrap import Platform
from services.intake.auth import require_role
from services.intake.deps import Db, PlatformDep
from services.intake.disclosure import Stored, disclose
from services.intake.errors import refused
from services.intake.models import ProtectedText
from services.matac import api as matac_api
from services.search.found import Found, Kind, strongest
from services.search.models import SearchHit, SearchResults
from services.search.persons import find_by_name
from services.search.references import find_by_reference
from services.sharing.service import Caller

router = APIRouter(prefix="/api", tags=["search"])

ROUTE = "GET /api/search"
SEARCH_ROLES = ("coordinator", "analyst", "mappa_coordinator")
ROLE_KINDS: dict[str, tuple[Kind, ...]] = {
    "coordinator": ("marac_case", "matac_perpetrator"),
    "analyst": ("matac_perpetrator",),
    "mappa_coordinator": ("mappa_nominal",),
}
PURPOSES: dict[Kind, str] = {
    "marac_case": "marac",
    "matac_perpetrator": "matac",
    "mappa_nominal": "mappa",
}
Searcher = Annotated[Caller, Depends(require_role(*SEARCH_ROLES))]


def searchable_kinds(platform: Platform, caller: Caller) -> list[Kind]:
    """The kinds of record the caller's role is for and its agency is a party to."""
    agreements = platform.sharing.agreements.get().in_force(platform.today())

    def party_to(purpose: str) -> bool:
        return any(
            (party := a.party(caller.agency)) is not None
            and purpose in a.purposes
            and bool(party.reads.get(purpose))
            for a in agreements
        )

    return [k for k in ROLE_KINDS.get(caller.role, ()) if party_to(PURPOSES[k])]


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Find a MARAC case, MATAC perpetrator or MAPPA nominal by name or reference",
    description="Give `name` (with `date_of_birth` for exact and near matches; without it "
    "only the exact name, for persons indexed since names alone were) or `reference` (a "
    "human reference such as OX-2026-0143, a case, referral, person or nominal id, or a "
    "nominal's PNC ID or ViSOR reference). Finds "
    "what the caller's role and agency may see (see `searched`); names are found by keyed "
    "blind index and shown or withheld under the agreement, and every name shown is audited.",
    responses={
        403: {"description": "the role does not search"},
        422: {"description": "neither name nor reference given, or a bad date; names the field"},
    },
)
def search(
    caller: Searcher,
    platform: PlatformDep,
    db: Db,
    name: Annotated[
        str | None, Query(max_length=200, description="full name", examples=["Mark Jones"])
    ] = None,
    date_of_birth: Annotated[
        dt.date | None, Query(description="with `name`", examples=["1984-07-19"])
    ] = None,
    reference: Annotated[
        str | None,
        Query(max_length=64, description="an id or official reference", examples=["02/0431123K"]),
    ] = None,
) -> SearchResults:
    name = (name or "").strip() or None
    reference = (reference or "").strip() or None
    if name is None and reference is None:
        raise refused("name", "give a name (and date of birth) or a reference", "query")
    if date_of_birth is not None and name is None:
        raise refused("name", "a date of birth needs a name", "query")
    kinds = searchable_kinds(platform, caller)
    key = platform.blind_index_key
    found: list[Found] = []
    try:
        if name is not None:
            found += find_by_name(db, key, name, date_of_birth)
    except ValueError as exc:  # no surname in what was typed
        raise refused("name", f"enter a surname ({exc})", "query") from None
    if reference is not None:
        found += find_by_reference(db, key, reference)
    visible = [f for f in strongest(found) if f.kind in kinds]
    hits = (
        _marac_hits(platform, db, caller, [f for f in visible if f.kind == "marac_case"])
        + _matac_hits(platform, db, caller, [f for f in visible if f.kind == "matac_perpetrator"])
        + _mappa_hits(platform, db, caller, [f for f in visible if f.kind == "mappa_nominal"])
    )
    order = {(f.kind, f.id, f.person_id): i for i, f in enumerate(visible)}
    hits.sort(key=lambda h: order[(h[0].kind, h[0].id, h[1])])
    return SearchResults(
        name=name,
        date_of_birth=date_of_birth,
        reference=reference,
        searched=kinds,
        hits=[hit for hit, _ in hits],
    )


def _protected(value: Any) -> ProtectedText | None:
    return None if value is None else ProtectedText.model_validate(value)


def _marac_hits(
    platform: Platform, db: Connection, caller: Caller, found: list[Found]
) -> list[tuple[SearchHit, str | None]]:
    if not found:
        return []
    rows = db.execute(
        select(marac_referrals)
        .where(marac_referrals.c.case_id.in_({f.id for f in found}))
        .order_by(marac_referrals.c.received_at)
    ).all()
    by_case: dict[str, list[Any]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row._mapping)
    items: list[Stored] = []
    hits: list[tuple[SearchHit, str | None, int | None]] = []
    for f in found:
        referrals = by_case.get(f.id, [])
        if not referrals:
            continue
        latest = referrals[-1]
        role, naming = _naming(referrals, f.person_id)
        index = None
        if naming is not None:
            index = len(items)
            items.append(Stored("ReferralSubmitted", naming["event_id"], naming["partial"]))
        hit = SearchHit(
            kind="marac_case",
            id=f.id,
            match=f.match,
            role_in_case=role,
            area=latest["marac_area"],
            referral_id=latest["referral_id"],
            risk_level=latest["risk_level"],
            page=f"/marac/cases/{f.id}",
        )
        hits.append((hit, f.person_id, index))
    revealed = disclose(platform, caller, "marac", ROUTE, items)
    result = []
    for hit, person_id, index in hits:
        if index is not None:
            partial = revealed[index]
            person = partial.get("victim") or next(p for p in partial["perpetrators"] if p)
            hit.name = _protected(person.get("name"))
        result.append((hit, person_id))
    return result


def _naming(referrals: list[Any], person_id: str | None) -> tuple[str | None, dict | None]:
    """The person's role in the case, and the latest referral naming them trimmed to the name
    (so disclosing it decrypts and audits nothing else). No person: the case's victim."""
    for row in reversed(referrals):
        payload = row["payload"]
        victim = payload.get("victim") or {}
        if person_id is None or victim.get("person_id") == person_id:
            partial = {"victim": {"person_id": victim.get("person_id"), "name": victim.get("name")}}
            return "victim", {"event_id": row["event_id"], "partial": partial}
        perpetrators = payload.get("perpetrators") or []
        for index, perpetrator in enumerate(perpetrators):
            if perpetrator.get("person_id") == person_id:
                trimmed: list[dict | None] = [None] * len(perpetrators)
                trimmed[index] = {"person_id": person_id, "name": perpetrator.get("name")}
                return "perpetrator", {
                    "event_id": row["event_id"],
                    "partial": {"perpetrators": trimmed},
                }
    return None, None


def _matac_hits(
    platform: Platform, db: Connection, caller: Caller, found: list[Found]
) -> list[tuple[SearchHit, str | None]]:
    if not found:
        return []
    names = matac_api._names(platform, db, caller, ROUTE, [f.id for f in found])
    return [
        (
            SearchHit(
                kind="matac_perpetrator",
                id=f.id,
                match=f.match,
                name=names.get(f.id),
                page=f"/matac/perpetrators/{f.id}",
            ),
            None,
        )
        for f in found
    ]


def _mappa_hits(
    platform: Platform, db: Connection, caller: Caller, found: list[Found]
) -> list[tuple[SearchHit, str | None]]:
    if not found:
        return []
    ids = [f.id for f in found]
    summaries = {
        r.nominal_id: r
        for r in db.execute(select(mappa_nominals).where(mappa_nominals.c.nominal_id.in_(ids)))
    }
    registrations = {
        r.nominal_id: r
        for r in db.execute(
            select(mappa_nominal_events).where(
                mappa_nominal_events.c.nominal_id.in_(ids),
                mappa_nominal_events.c.position == 1,
            )
        )
    }
    present = [f for f in found if f.id in summaries and f.id in registrations]
    revealed = disclose(
        platform,
        caller,
        "mappa",
        ROUTE,
        [
            Stored(
                "MappaNominalRegistered",
                registrations[f.id].event_id,
                {"nominal_id": f.id, "name": registrations[f.id].payload.get("name")},
            )
            for f in present
        ],
    )
    result = []
    for f, shown in zip(present, revealed, strict=True):
        row = summaries[f.id]
        hit = SearchHit(
            kind="mappa_nominal",
            id=f.id,
            match=f.match,
            name=_protected(shown.get("name")),
            area=row.area,
            category=row.category,
            level=row.level,
            lead_agency=row.lead_agency,
            managed=row.management_ended_on is None,
            page=f"/mappa/nominals/{f.id}",
        )
        result.append((hit, None))
    return result
