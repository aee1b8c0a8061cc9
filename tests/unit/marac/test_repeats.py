"""Repeat detection against the last MARAC referral date, at the window's edges."""

from __future__ import annotations

from datetime import date

import pytest

from services.marac.domain.repeats import PriorReferral, RepeatMatch, find_repeat

VICTIM = "victim-1"
PERPETRATOR = "perp-1"


def prior(
    referral_date: date,
    referral_id: str = "ref-1",
    victim_id: str = VICTIM,
    perpetrators: frozenset[str] = frozenset({PERPETRATOR}),
) -> PriorReferral:
    return PriorReferral(referral_id, victim_id, perpetrators, referral_date)


def check(
    event_date: date,
    priors: list[PriorReferral],
    *,
    perpetrators: frozenset[str] = frozenset({PERPETRATOR}),
    window_months: int = 12,
    match: RepeatMatch = RepeatMatch.SAME_VICTIM_AND_PERPETRATOR,
):
    return find_repeat(
        event_date, VICTIM, perpetrators, priors, window_months=window_months, match=match
    )


def test_exactly_12_months_after_the_last_referral_is_a_repeat() -> None:
    finding = check(date(2026, 3, 1), [prior(date(2025, 3, 1))])
    assert finding.is_repeat is True
    assert finding.last_referral_date == date(2025, 3, 1)
    assert finding.last_referral_id == "ref-1"
    assert finding.window_ends_on == date(2026, 3, 1)


def test_12_months_and_one_day_after_is_new_but_still_reports_the_last_referral() -> None:
    finding = check(date(2026, 3, 2), [prior(date(2025, 3, 1))])
    assert finding.is_repeat is False
    assert finding.last_referral_date == date(2025, 3, 1)


def test_window_from_29_february_ends_on_28_february() -> None:
    last = [prior(date(2024, 2, 29))]
    assert check(date(2025, 2, 28), last).is_repeat is True
    assert check(date(2025, 3, 1), last).is_repeat is False


def test_window_from_a_month_end_with_a_shorter_policy_window() -> None:
    last = [prior(date(2025, 8, 31))]
    assert check(date(2026, 2, 28), last, window_months=6).is_repeat is True
    assert check(date(2026, 3, 1), last, window_months=6).is_repeat is False


def test_the_meeting_date_plays_no_part_only_the_latest_referral_counts() -> None:
    priors = [prior(date(2024, 1, 10), "old"), prior(date(2025, 6, 1), "latest")]
    finding = check(date(2026, 5, 31), priors)
    assert finding.is_repeat is True
    assert finding.last_referral_id == "latest"
    assert finding.last_referral_date == date(2025, 6, 1)


def test_same_day_referral_is_a_repeat() -> None:
    assert check(date(2025, 6, 1), [prior(date(2025, 6, 1))]).is_repeat is True


def test_referrals_after_the_event_are_ignored() -> None:
    finding = check(date(2025, 6, 1), [prior(date(2025, 6, 2))])
    assert finding.is_repeat is False
    assert finding.last_referral_date is None


def test_no_earlier_referral() -> None:
    finding = check(date(2025, 6, 1), [])
    assert finding.is_repeat is False
    assert finding.last_referral_id is None
    assert finding.window_ends_on is None


def test_a_different_victim_is_not_a_repeat() -> None:
    finding = check(date(2025, 6, 1), [prior(date(2025, 1, 1), victim_id="victim-2")])
    assert finding.is_repeat is False
    assert finding.last_referral_date is None


def test_a_different_perpetrator_is_not_a_repeat_by_default() -> None:
    priors = [prior(date(2025, 1, 1), perpetrators=frozenset({"perp-2"}))]
    assert check(date(2025, 6, 1), priors).is_repeat is False


def test_any_shared_perpetrator_matches() -> None:
    priors = [prior(date(2025, 1, 1), perpetrators=frozenset({"perp-2", PERPETRATOR}))]
    assert check(date(2025, 6, 1), priors).is_repeat is True


def test_same_victim_mode_ignores_the_perpetrator() -> None:
    priors = [prior(date(2025, 1, 1), perpetrators=frozenset({"perp-2"}))]
    finding = check(date(2025, 6, 1), priors, match=RepeatMatch.SAME_VICTIM)
    assert finding.is_repeat is True


@pytest.mark.parametrize(
    ("new_perpetrators", "prior_perpetrators"),
    [(frozenset(), frozenset({"perp-2"})), (frozenset({"perp-2"}), frozenset())],
)
def test_an_unknown_perpetrator_does_not_rule_a_repeat_out(
    new_perpetrators: frozenset[str], prior_perpetrators: frozenset[str]
) -> None:
    priors = [prior(date(2025, 1, 1), perpetrators=prior_perpetrators)]
    assert check(date(2025, 6, 1), priors, perpetrators=new_perpetrators).is_repeat is True


def test_last_referral_is_the_latest_matching_one_not_the_latest_for_the_victim() -> None:
    priors = [
        prior(date(2025, 1, 1), "with-perp-1"),
        prior(date(2025, 5, 1), "with-perp-2", perpetrators=frozenset({"perp-2"})),
    ]
    finding = check(date(2025, 6, 1), priors)
    assert finding.last_referral_id == "with-perp-1"


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window_months"):
        check(date(2025, 6, 1), [], window_months=0)
