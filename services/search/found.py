"""What a lookup finds, before anything is shown: ids and how they matched, no identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["marac_case", "matac_perpetrator", "mappa_nominal"]
Match = Literal["exact", "near", "name", "reference"]
RANK: dict[str, int] = {"reference": 0, "exact": 1, "near": 2, "name": 3}


@dataclass(frozen=True)
class Found:
    kind: Kind
    id: str
    """case id, person id or nominal id"""
    match: Match
    person_id: str | None = None
    """for a MARAC case: the person in it who matched (victim or perpetrator)"""


def strongest(found: list[Found]) -> list[Found]:
    """One entry per (kind, id, person): the strongest way it matched, in a stable order."""
    best: dict[tuple[str, str, str | None], Found] = {}
    for item in found:
        key = (item.kind, item.id, item.person_id)
        if key not in best or RANK[item.match] < RANK[best[key].match]:
            best[key] = item
    return sorted(best.values(), key=lambda f: (RANK[f.match], f.kind, f.id))
