"""Human references: ``OX-2026-0143`` for a MARAC case, so people never read hex ids aloud.

A reference is ``<area code>[-<kind letter>]-<year>-<number>``:

* the **area code** is two letters made from the area's policy code (``oxford`` → ``OX``,
  ``milton-keynes`` → ``MK``, ``thames-valley`` → ``TV``; see ``area_code``);
* the **kind letter** tells what it names: none for a MARAC case, ``R`` a MARAC referral,
  ``M`` a MAPPA nominal;
* the **year** is the year the reference was allocated, and the **number** counts up from 1 per
  (kind, area code, year), at least four digits.

References are allocated inside the command's transaction, which holds the store's append lock
(``commands.py``), from a counter row in the write model: two concurrent commands never get the
same number, and a command that fails rolls its number back. They are *gap-tolerant*, not
gap-free: nothing relies on the numbers being consecutive. The counter is keyed by the area
*code*, so two areas that share a code still never share a reference.

The reference travels in the event (ReferralSubmitted v4, MappaNominalRegistered v2) and is
projected into the read models; ids stay the key everywhere. Records created before references
existed have none, and pages show their short id instead (``label``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Column, Connection, Integer, String, Table, select, update

from projections.metadata import metadata


class ReferenceKind(StrEnum):
    MARAC_CASE = "marac_case"
    MARAC_REFERRAL = "marac_referral"
    MAPPA_NOMINAL = "mappa_nominal"


KIND_LETTERS: dict[ReferenceKind, str] = {
    ReferenceKind.MARAC_CASE: "",
    ReferenceKind.MARAC_REFERRAL: "R",
    ReferenceKind.MAPPA_NOMINAL: "M",
}

_PATTERN = re.compile(
    r"^(?P<code>[A-Z0-9]{2})(?:-(?P<letter>[RM]))?-(?P<year>\d{4})-(?P<n>\d{4,})$"
)

reference_counters = Table(
    "reference_counters",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("area_code", String(8), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)


def area_code(area: str) -> str:
    """Two upper-case characters for an area code: initials of a multi-word code, else its start.

    ``oxford`` → ``OX``, ``reading`` → ``RE``, ``north-oxfordshire`` → ``NO``,
    ``milton-keynes`` → ``MK``, ``thames-valley`` → ``TV``.
    """
    words = [w for w in area.split("-") if w]
    code = words[0][0] + words[1][0] if len(words) >= 2 else (area.replace("-", "") + "X")[:2]
    return code.upper()


def format_reference(kind: ReferenceKind, code: str, year: int, number: int) -> str:
    """``OX-2026-0143`` (a case), ``OX-R-2026-0143`` (a referral), ``TV-M-2026-0007``."""
    letter = KIND_LETTERS[kind]
    middle = f"-{letter}" if letter else ""
    return f"{code}{middle}-{year:04d}-{number:04d}"


@dataclass(frozen=True)
class ParsedReference:
    kind: ReferenceKind
    area_code: str
    year: int
    number: int


def parse_reference(text: str) -> ParsedReference | None:
    """The parts of a reference typed by a person (any case, spaces trimmed), or None."""
    found = _PATTERN.match(text.strip().upper())
    if found is None:
        return None
    letter = found["letter"] or ""
    kind = next(k for k, v in KIND_LETTERS.items() if v == letter)
    return ParsedReference(kind, found["code"], int(found["year"]), int(found["n"]))


def allocate(conn: Connection, kind: ReferenceKind, area: str, year: int) -> str:
    """The next reference for (kind, area, year), counted in this transaction.

    The caller's transaction must hold the store's append lock (every command does), so the
    read-and-increment below never races; writing first also takes SQLite's writer lock.
    """
    code = area_code(area)
    key = (
        (reference_counters.c.kind == kind.value)
        & (reference_counters.c.area_code == code)
        & (reference_counters.c.year == year)
    )
    bumped = conn.execute(
        update(reference_counters)
        .where(key)
        .values(last_number=reference_counters.c.last_number + 1)
    )
    if bumped.rowcount == 0:
        conn.execute(
            reference_counters.insert().values(
                kind=kind.value, area_code=code, year=year, last_number=1
            )
        )
        number = 1
    else:
        number = conn.execute(select(reference_counters.c.last_number).where(key)).scalar_one()
    return format_reference(kind, code, year, number)


def short_id(record_id: str) -> str:
    """The id as pages showed it before references: ``c-1a2b3c4d5e`` stays as it is."""
    return record_id


def label(reference: str | None, record_id: str) -> str:
    """What a page shows for a record: its reference, or its id when it predates references."""
    return reference or short_id(record_id)


@dataclass(frozen=True)
class FoundRecord:
    """What a reference names: the kind and the id that keys it everywhere else."""

    kind: ReferenceKind
    record_id: str
    reference: str


def find_by_reference(conn: Connection, reference: str) -> FoundRecord | None:
    """The case, referral or nominal with this reference (as typed: case and spaces ignored).

    Structure only: the caller decides, as for an id, whether the person asking may see it.
    """
    parsed = parse_reference(reference)
    if parsed is None:
        return None
    from projections.mappa import mappa_nominals
    from projections.marac import marac_cases, marac_referrals

    tables = {
        ReferenceKind.MARAC_CASE: (marac_cases, marac_cases.c.case_id),
        ReferenceKind.MARAC_REFERRAL: (marac_referrals, marac_referrals.c.referral_id),
        ReferenceKind.MAPPA_NOMINAL: (mappa_nominals, mappa_nominals.c.nominal_id),
    }
    table, id_column = tables[parsed.kind]
    wanted = format_reference(parsed.kind, parsed.area_code, parsed.year, parsed.number)
    record_id = conn.execute(select(id_column).where(table.c.reference == wanted)).scalar()
    return None if record_id is None else FoundRecord(parsed.kind, record_id, wanted)
