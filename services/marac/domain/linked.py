"""One victim's referrals once two person ids are found to be one person.

Before a coordinator confirmed the match, each id's referrals were judged alone: the later
referral of the "other" person was not a repeat, and it opened a case of its own. Once the
ids are one, the referrals are judged together by the same repeat rule intake uses
(``repeats.find_repeat``): a referral within the window of an earlier one becomes a repeat,
and a case whose first referral is such a repeat is part of the earlier referral's case.

Recorded repeat flags are never lowered (they were right on what was known), and a victim's
cases that the rule keeps apart (a referral after the window is a new case) stay apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from services.marac.domain.repeats import PriorReferral, RepeatMatch, find_repeat


@dataclass(frozen=True)
class CaseReferral:
    """A referral of the victim, with the case it opened or added to."""

    referral_id: str
    case_id: str
    referral_date: date
    perpetrator_ids: frozenset[str]
    is_repeat: bool
    received_at: datetime | None = None
    """When Tandem received it: orders referrals of the same date (the first received
    keeps its case)."""


@dataclass(frozen=True)
class LinkedCases:
    merged_into: dict[str, str]
    """case id -> the earlier case it is part of (only cases that are part of another)."""
    new_repeats: dict[str, date]
    """referral id -> the last earlier referral's date, for referrals now found repeats."""


def linked_cases(
    victim_id: str,
    referrals: Iterable[CaseReferral],
    *,
    window_months: int,
    match: RepeatMatch,
) -> LinkedCases:
    """Which of the victim's cases are one case, and which referrals are now repeats."""
    ordered = sorted(
        referrals,
        key=lambda r: (r.referral_date, r.received_at or datetime.min, r.referral_id),
    )
    case_of_referral = {r.referral_id: r.case_id for r in ordered}
    kept_case: dict[str, str] = {}
    new_repeats: dict[str, date] = {}
    for index, referral in enumerate(ordered):
        earlier = [
            PriorReferral(o.referral_id, victim_id, o.perpetrator_ids, o.referral_date)
            for o in ordered[:index]
        ]
        finding = find_repeat(
            referral.referral_date,
            victim_id,
            referral.perpetrator_ids,
            earlier,
            window_months=window_months,
            match=match,
        )
        if finding.is_repeat and not referral.is_repeat:
            assert finding.last_referral_date is not None
            new_repeats[referral.referral_id] = finding.last_referral_date
        if referral.case_id in kept_case:
            continue  # not the case's first referral: the case is placed already
        if finding.is_repeat and finding.last_referral_id is not None:
            earlier_case = case_of_referral[finding.last_referral_id]
            kept_case[referral.case_id] = kept_case.get(earlier_case, earlier_case)
        else:
            kept_case[referral.case_id] = referral.case_id
    return LinkedCases(
        merged_into={case: kept for case, kept in kept_case.items() if case != kept},
        new_repeats=new_repeats,
    )
