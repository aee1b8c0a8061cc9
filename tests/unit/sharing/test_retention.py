"""The retention rule: which subjects are past the agreement's retention on a date."""

import datetime as dt

import pytest

from services.sharing.retention import Activity, Rule, add_months, decide

D = dt.date
RULES = {
    "marac": Rule("marac", 72, "tv-isa v2"),
    "matac": Rule("matac", 36, "tv-isa v2"),
    "mappa": Rule("mappa", 120, "tv-isa v2"),
}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2020, 1, 15), 72, D(2026, 1, 15)),
        (D(2020, 2, 29), 12, D(2021, 2, 28)),  # no 29 February: the month's last day
        (D(2020, 8, 31), 1, D(2020, 9, 30)),
        (D(2020, 11, 30), 2, D(2021, 1, 30)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_a_marac_subject_is_due_72_months_after_the_last_record_and_not_a_day_before():
    activity = [Activity("c-1", "marac", D(2020, 3, 10))]
    (before,) = decide(activity, RULES, D(2026, 3, 9))
    (on_the_day,) = decide(activity, RULES, D(2026, 3, 10))
    assert not before.due and before.why == "kept: marac retention runs to 2026-03-10"
    assert on_the_day.due and on_the_day.due_since == D(2026, 3, 10)
    assert on_the_day.why == (
        "retention passed: tv-isa v2: marac records are kept 72 months after the last record "
        "(2020-03-10)"
    )


def test_every_purpose_must_have_passed_because_keys_are_per_subject():
    activity = [
        Activity("p-1", "marac", D(2015, 1, 1)),  # due 2021
        Activity("p-1", "mappa", D(2018, 1, 1)),  # due 2028
    ]
    (decision,) = decide(activity, RULES, D(2026, 6, 1))
    assert not decision.due
    assert decision.why == "kept: mappa retention runs to 2028-01-01"
    (later,) = decide(activity, RULES, D(2028, 1, 1))
    assert later.due and later.due_since == D(2028, 1, 1)


def test_the_latest_record_of_any_agency_starts_the_clock():
    activity = [
        Activity("p-1", "matac", D(2019, 1, 1)),
        Activity("p-1", "matac", D(2022, 5, 1)),  # another agency, later
    ]
    (decision,) = decide(activity, RULES, D(2024, 1, 1))
    assert not decision.due
    assert decision.clocks[0].ended_on == D(2022, 5, 1)


def test_a_subject_held_outside_the_agreement_is_kept():
    activity = [
        Activity("p-1", "marac", D(2010, 1, 1)),
        Activity("p-1", "police.incidents", D(2010, 1, 1)),  # MoPI, not the ISA
    ]
    (decision,) = decide(activity, RULES, D(2026, 1, 1))
    assert not decision.due
    assert "police.incidents" in decision.why


def test_erased_subjects_and_erasure_records_are_left_alone():
    activity = [
        Activity("c-gone", "marac", D(2010, 1, 1)),
        Activity("er-1", "sharing.erasures", D(2010, 1, 1)),
        Activity("c-2", "marac", D(2010, 1, 1)),
    ]
    decisions = decide(activity, RULES, D(2026, 1, 1), erased=lambda s: s == "c-gone")
    assert [d.subject_id for d in decisions] == ["c-2"]


def test_a_purpose_the_agreement_does_not_retain_is_never_due():
    (decision,) = decide([Activity("p-1", "marac", D(2000, 1, 1))], {}, D(2026, 1, 1))
    assert not decision.due and decision.due_since is None
