"""Repeat detection: is a new referral or incident a MARAC repeat?

The rule: a new incident or referral is a repeat when it happens within the policy window
(default 12 months) of the **last MARAC referral date** for the same victim and
perpetrator. The meeting date plays no part. The window is inclusive and uses calendar
months clamped to the month end (see ``months.add_months``): after a referral on
1 March 2025, 1 March 2026 is still a repeat and 2 March 2026 is a new case; after a
referral on 29 February 2024 the window ends on 28 February 2025.

Which earlier referrals count (our reading of "between the same victim and perpetrator"):

* the victim must be the same person (victim ids come from person matching);
* under ``SAME_VICTIM_AND_PERPETRATOR`` (the default) the perpetrators must also match:
  the two referrals share at least one perpetrator id. If either side names no
  perpetrator, the perpetrator is unknown and we do not use it to rule the repeat out,
  because missing information should not hide a repeat;
* under ``SAME_VICTIM`` (a local choice some partnerships make) any earlier referral for
  the victim counts, whoever the perpetrator.

Only referrals move the "last referral" date forward. Incidents never do, but a repeat
referral does, because it is itself a MARAC referral. Earlier referrals dated after the
new event are ignored, and an earlier referral on the same day counts (zero months have
passed).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.marac.domain.months import add_months


class RepeatMatch(StrEnum):
    """Which earlier referrals a new event is compared with."""

    SAME_VICTIM_AND_PERPETRATOR = "same_victim_and_perpetrator"
    SAME_VICTIM = "same_victim"


@dataclass(frozen=True)
class PriorReferral:
    """An earlier MARAC referral, identified by matched person ids only."""

    referral_id: str
    victim_id: str
    perpetrator_ids: frozenset[str]
    referral_date: date


@dataclass(frozen=True)
class RepeatFinding:
    """Whether the event is a repeat, and the last matching referral whether or not it is."""

    is_repeat: bool
    last_referral_id: str | None
    last_referral_date: date | None
    window_ends_on: date | None


NO_PRIOR_REFERRAL = RepeatFinding(
    is_repeat=False, last_referral_id=None, last_referral_date=None, window_ends_on=None
)


def find_repeat(
    event_date: date,
    victim_id: str,
    perpetrator_ids: Collection[str],
    prior_referrals: Iterable[PriorReferral],
    *,
    window_months: int,
    match: RepeatMatch,
) -> RepeatFinding:
    """Compare a new referral or incident with the earlier referrals for the same victim.

    ``prior_referrals`` must not include the new referral itself.
    """
    if window_months < 1:
        raise ValueError(f"window_months must be at least 1, got {window_months}")
    perpetrators = frozenset(perpetrator_ids)
    matching = [
        prior
        for prior in prior_referrals
        if prior.referral_date <= event_date
        and prior.victim_id == victim_id
        and _same_perpetrator(match, perpetrators, prior.perpetrator_ids)
    ]
    if not matching:
        return NO_PRIOR_REFERRAL
    last = max(matching, key=lambda prior: (prior.referral_date, prior.referral_id))
    window_ends_on = add_months(last.referral_date, window_months)
    return RepeatFinding(
        is_repeat=event_date <= window_ends_on,
        last_referral_id=last.referral_id,
        last_referral_date=last.referral_date,
        window_ends_on=window_ends_on,
    )


def _same_perpetrator(
    match: RepeatMatch, new_ids: frozenset[str], prior_ids: frozenset[str]
) -> bool:
    """An unknown perpetrator on either side cannot rule a repeat out."""
    if match is RepeatMatch.SAME_VICTIM or not new_ids or not prior_ids:
        return True
    return bool(new_ids & prior_ids)
