"""One victim's referrals judged together once two person ids are confirmed one person."""

from __future__ import annotations

from datetime import date, datetime

from services.marac.domain.linked import CaseReferral, linked_cases
from services.marac.domain.repeats import RepeatMatch

SAME = RepeatMatch.SAME_VICTIM_AND_PERPETRATOR


def referral(rid, case, on, perpetrators=("p-1",), repeat=False) -> CaseReferral:
    return CaseReferral(rid, case, on, frozenset(perpetrators), repeat)


def judge(*referrals, match=SAME):
    return linked_cases("v", referrals, window_months=12, match=match)


def test_the_later_persons_case_becomes_part_of_the_earlier_case_and_a_repeat():
    found = judge(
        referral("r-1", "c-1", date(2026, 1, 5)),
        referral("r-2", "c-2", date(2026, 2, 2)),
    )
    assert found.merged_into == {"c-2": "c-1"}
    assert found.new_repeats == {"r-2": date(2026, 1, 5)}


def test_the_earliest_case_is_kept_whichever_id_it_was_under():
    found = judge(
        referral("r-9", "c-kept-id", date(2026, 3, 1)),
        referral("r-1", "c-merged-id", date(2026, 1, 5)),
    )
    assert found.merged_into == {"c-kept-id": "c-merged-id"}


def test_on_the_same_date_the_first_received_keeps_its_case():
    found = judge(
        CaseReferral("r-b", "c-second", date(2026, 2, 2), frozenset({"p-1"}), False,
                     datetime(2026, 2, 2, 15, 0)),
        CaseReferral("r-z", "c-first", date(2026, 2, 2), frozenset({"p-1"}), False,
                     datetime(2026, 2, 2, 9, 30)),
    )  # fmt: skip
    assert found.merged_into == {"c-second": "c-first"}


def test_a_referral_after_the_window_stays_a_case_of_its_own():
    found = judge(
        referral("r-1", "c-1", date(2024, 1, 5)),
        referral("r-2", "c-2", date(2025, 1, 6)),
    )
    assert found.merged_into == {} and found.new_repeats == {}


def test_another_perpetrator_keeps_the_cases_apart_unless_the_policy_matches_on_victim_only():
    apart = (
        referral("r-1", "c-1", date(2026, 1, 5), ("p-1",)),
        referral("r-2", "c-2", date(2026, 2, 2), ("p-2",)),
    )
    assert judge(*apart).merged_into == {}
    assert judge(*apart, match=RepeatMatch.SAME_VICTIM).merged_into == {"c-2": "c-1"}


def test_recorded_repeats_stay_and_a_chain_of_cases_ends_on_the_first():
    found = judge(
        referral("r-1", "c-1", date(2026, 1, 5)),
        referral("r-2", "c-1", date(2026, 1, 20), repeat=True),
        referral("r-3", "c-2", date(2026, 2, 2)),
        referral("r-4", "c-3", date(2026, 3, 2)),
    )
    assert found.merged_into == {"c-2": "c-1", "c-3": "c-1"}
    assert found.new_repeats == {"r-3": date(2026, 1, 20), "r-4": date(2026, 2, 2)}
