"""The search answer: what was searched, and each hit as the caller may see it."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from services.intake.models import ProtectedText


class SearchHit(BaseModel):
    """A MARAC case, MATAC perpetrator or MAPPA nominal the caller's agency may see."""

    kind: Literal["marac_case", "matac_perpetrator", "mappa_nominal"]
    id: str = Field(description="case id, person id or nominal id", examples=["c-3f2a9c1b7e4d"])
    match: Literal["exact", "near", "name", "reference"] = Field(
        description="`exact`: name and date of birth; `near`: initial, surname and date of "
        "birth, or a surname that sounds the same; `name`: the name alone (no date of birth "
        "given); `reference`: an id or official reference"
    )
    name: ProtectedText | None = Field(
        None, description="the matched person's name, shown or withheld under the agreement"
    )
    role_in_case: Literal["victim", "perpetrator"] | None = None
    area: str | None = None
    referral_id: str | None = Field(None, description="MARAC: the case's latest referral")
    risk_level: str | None = None
    category: int | None = None
    level: int | None = None
    lead_agency: str | None = None
    managed: bool | None = Field(None, description="MAPPA: still managed in this area")
    page: str = Field(description="the web page of the record", examples=["/mappa/nominals/x"])


class SearchResults(BaseModel):
    name: str | None = None
    date_of_birth: dt.date | None = None
    reference: str | None = None
    searched: list[Literal["marac_case", "matac_perpetrator", "mappa_nominal"]] = Field(
        description="the kinds of record the caller's role and agency may search"
    )
    hits: list[SearchHit]
