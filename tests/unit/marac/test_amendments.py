"""Duplicates, and until when a referral may be withdrawn or corrected: the pure rules."""

from __future__ import annotations

import datetime as dt

import pytest

from services.marac.domain.amendments import (
    AmendmentClosed,
    ScheduledMeeting,
    SentReferral,
    check_amendable,
    find_duplicate,
    meeting_for,
)

DAY = dt.date(2026, 12, 1)
ANSWERS = {"injury": "yes", "strangulation": "yes", "isolated": "no"}


def sent(**changes) -> SentReferral:
    fields = {
        "referral_id": "r-1",
        "case_id": "c-1",
        "referring_agency": "idva-oxon",
        "victim_id": "p-victim",
        "referral_date": DAY,
        "dash_form": "partner",
        "dash_answers": ANSWERS,
    }
    return SentReferral(**(fields | changes))


def duplicate_of(*earlier: SentReferral, answers=ANSWERS) -> SentReferral | None:
    return find_duplicate(
        referring_agency="idva-oxon",
        victim_id="p-victim",
        referral_date=DAY,
        dash_form="partner",
        dash_answers=answers,
        earlier=earlier,
    )


def test_the_same_agency_victim_day_and_answers_is_a_duplicate():
    assert duplicate_of(sent()) == sent()


@pytest.mark.parametrize(
    "change",
    [
        {"referring_agency": "housing-oxford"},
        {"victim_id": "p-other"},
        {"referral_date": DAY - dt.timedelta(days=1)},
        {"dash_form": "police"},
        {"dash_answers": ANSWERS | {"isolated": "yes"}},
        {"withdrawn": True},
    ],
)
def test_anything_different_or_a_withdrawn_referral_is_not_a_duplicate(change):
    assert duplicate_of(sent(**change)) is None


def test_a_missing_answer_is_not_the_same_answers():
    assert duplicate_of(sent(), answers={"injury": "yes", "strangulation": "yes"}) is None


MEETINGS = [
    ScheduledMeeting("m-jan", dt.date(2027, 1, 14), dt.date(2027, 1, 7)),
    ScheduledMeeting("m-dec", dt.date(2026, 12, 10), dt.date(2026, 12, 3)),
]


def test_the_referral_is_for_the_first_meeting_whose_cut_off_is_on_or_after_it():
    assert meeting_for(dt.date(2026, 12, 3), MEETINGS).meeting_id == "m-dec"
    assert meeting_for(dt.date(2026, 12, 4), MEETINGS).meeting_id == "m-jan"
    assert meeting_for(dt.date(2027, 1, 8), MEETINGS) is None


def test_amendable_up_to_and_on_the_cut_off_day_and_refused_after_naming_it():
    received = dt.date(2026, 12, 1)
    assert check_amendable(dt.date(2026, 12, 3), received, MEETINGS).meeting_id == "m-dec"
    with pytest.raises(AmendmentClosed, match="2026-12-03") as refused:
        check_amendable(dt.date(2026, 12, 4), received, MEETINGS)
    assert "meeting on 2026-12-10" in str(refused.value)


def test_amendable_at_any_time_while_no_meeting_is_scheduled():
    assert check_amendable(dt.date(2030, 1, 1), DAY, []) is None
