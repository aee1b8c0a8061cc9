"""The SafeLives-style quarterly data return, from meetings held and the cases they heard.

Demographic facts are encrypted; the return is computed by decrypting them for the
requesting coordinator under the agreement (and so the reads are audited), then only the
aggregate counts leave the service.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from services.bootstrap import Platform
from services.intake.disclosure import Stored, disclose
from services.marac import queries
from services.marac.domain.returns import (
    AgencyType,
    EthnicityGroup,
    Gender,
    HeardCase,
    HeldMeeting,
    PerpetratorFacts,
    Quarter,
    QuarterlyReturn,
    VictimFacts,
    quarterly_return,
)
from services.marac.intake import marac_policy
from services.sharing.service import Caller


def _shown(value: dict | None) -> str | None:
    return value["value"] if value and value.get("status") == "shown" else None


def _date(value: dict | None) -> dt.date | None:
    text = _shown(value)
    return dt.date.fromisoformat(text) if text else None


def _flag(value: dict | None) -> bool | None:
    text = _shown(value)
    return None if text in (None, "not_known") else text == "yes"


def build_return(
    platform: Platform, conn: Connection, caller: Caller, marac: str, quarter: Quarter, route: str
) -> QuarterlyReturn:
    today = platform.today()
    held = [
        m
        for m in queries.meetings(conn, marac)
        if quarter.contains(m["meeting_date"]) and m["meeting_date"] <= today
    ]
    listed = queries.cases_listed_at(conn, [m["meeting_id"] for m in held])
    pairs = [(m, case_id) for m in held for case_id in listed.get(m["meeting_id"], [])]
    referrals = queries.latest_referral_per_case(conn, sorted({c for _, c in pairs}))
    shown = disclose(
        platform,
        caller,
        "marac",
        route,
        [
            Stored("ReferralSubmitted", referrals[c]["event_id"], referrals[c]["payload"])
            for _, c in pairs
        ],
    )
    cases = []
    for (meeting, case_id), payload in zip(pairs, shown, strict=True):
        row = referrals[case_id]
        victim = payload["victim"]
        cases.append(
            HeardCase(
                case_id=case_id,
                meeting_id=meeting["meeting_id"],
                referral_date=row["referral_date"],
                is_repeat=row["is_repeat"],
                referring_agency=AgencyType(row["referring_agency_type"]),
                victim=VictimFacts(
                    date_of_birth=_date(victim["date_of_birth"]),
                    gender=Gender(_shown(victim.get("gender")) or "not_known"),
                    ethnicity=EthnicityGroup(_shown(victim.get("ethnicity")) or "not_known"),
                    lgbt=_flag(victim.get("lgbt")),
                    disabled=_flag(victim.get("disability")),
                ),
                perpetrators=tuple(
                    PerpetratorFacts(date_of_birth=_date(p.get("date_of_birth")))
                    for p in payload["perpetrators"]
                ),
                children_in_household=row["children_count"],
            )
        )
    return quarterly_return(
        marac,
        quarter,
        [HeldMeeting(m["meeting_id"], m["meeting_date"]) for m in held],
        cases,
        racially_minoritised=marac_policy(platform).racially_minoritised_groups,
    )
