"""Agenda building: the listing window, late additions, ordering, capacity and diffs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.marac.domain.agenda import (
    AgendaError,
    AgendaSortKey,
    CandidateCase,
    Exclusion,
    ExclusionReason,
    Meeting,
    Move,
    added_on_the_day,
    build_agenda,
    diff_agendas,
)
from services.marac.domain.criteria import Criterion

DEFAULT_ORDER = (
    AgendaSortKey.REPEAT_FIRST,
    AgendaSortKey.DASH_DESC,
    AgendaSortKey.REFERRAL_DATE_ASC,
)
# Meeting Thu 9 Apr 2026; cut-off Tue 31 Mar (5 working days back over Easter);
# the previous meeting's cut-off was Tue 3 Mar.
MEETING = Meeting("m-2026-04", date(2026, 4, 9), cutoff=date(2026, 3, 31), capacity=20)
PREVIOUS_CUTOFF = date(2026, 3, 3)


def case(
    case_id: str,
    received: date = date(2026, 3, 20),
    *,
    dash: int | None = 14,
    repeat: bool = False,
    referral_date: date | None = None,
    rolled_over: bool = False,
) -> CandidateCase:
    return CandidateCase(
        case_id=case_id,
        referral_date=referral_date or received,
        received_at=datetime(received.year, received.month, received.day, 9, 30, tzinfo=UTC),
        dash_score=dash,
        is_repeat=repeat,
        last_referral_date=date(2025, 9, 1) if repeat else None,
        criteria=(Criterion.REPEAT,) if repeat else (Criterion.VISIBLE_HIGH_RISK,),
        referring_agency="idva",
        children_count=1,
        agencies_involved=("police", "idva"),
        idva_allocated=True,
        outstanding_action_ids=(),
        rolled_over=rolled_over,
    )


def build(candidates, *, meeting=MEETING, order=DEFAULT_ORDER, late=(), previous=PREVIOUS_CUTOFF):
    return build_agenda(meeting, candidates, previous, order=order, late_additions=late)


def test_default_order_repeats_then_dash_descending_then_referral_date_then_id() -> None:
    candidates = [
        case("c-low", dash=14),
        case("c-high", dash=20),
        case("c-repeat-low", dash=5, repeat=True),
        case("c-repeat-high", dash=15, repeat=True),
        case("c-b-older", dash=17, referral_date=date(2026, 3, 5), received=date(2026, 3, 6)),
        case("c-a-newer", dash=17, referral_date=date(2026, 3, 25)),
        case("c-tie-2", dash=16, referral_date=date(2026, 3, 10)),
        case("c-tie-1", dash=16, referral_date=date(2026, 3, 10)),
    ]
    agenda = build(candidates)
    assert agenda.case_ids == (
        "c-repeat-high",
        "c-repeat-low",
        "c-high",
        "c-b-older",
        "c-a-newer",
        "c-tie-1",
        "c-tie-2",
        "c-low",
    )
    assert [item.position for item in agenda.items] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert agenda.overflow == ()


def test_a_custom_order_without_repeat_first() -> None:
    candidates = [case("c-repeat", dash=5, repeat=True), case("c-high", dash=20)]
    agenda = build(candidates, order=(AgendaSortKey.DASH_DESC,))
    assert agenda.case_ids == ("c-high", "c-repeat")


def test_a_case_without_a_dash_score_sorts_after_scored_cases() -> None:
    candidates = [case("c-none", dash=None), case("c-zero", dash=0)]
    assert build(candidates).case_ids == ("c-zero", "c-none")


def test_listing_window_edges() -> None:
    candidates = [
        case("on-previous-cutoff", date(2026, 3, 3)),
        case("day-after-previous-cutoff", date(2026, 3, 4)),
        case("on-cutoff", date(2026, 3, 31)),
        case("day-after-cutoff", date(2026, 4, 1)),
        case("day-before-meeting", date(2026, 4, 8)),
        case("on-meeting-day", date(2026, 4, 9)),
        case("day-after-meeting", date(2026, 4, 10)),
    ]
    agenda = build(candidates)
    assert set(agenda.case_ids) == {"day-after-previous-cutoff", "on-cutoff"}
    assert agenda.excluded == (
        Exclusion("day-after-cutoff", ExclusionReason.LATE_NOT_ADDED),
        Exclusion("day-after-meeting", ExclusionReason.FOR_A_LATER_MEETING),
        Exclusion("day-before-meeting", ExclusionReason.LATE_NOT_ADDED),
        Exclusion("on-meeting-day", ExclusionReason.LATE_NOT_ADDED),
        Exclusion("on-previous-cutoff", ExclusionReason.ALREADY_DUE),
    )


def test_first_meeting_has_no_lower_bound() -> None:
    agenda = build([case("old", date(2025, 1, 1))], previous=None)
    assert agenda.case_ids == ("old",)


def test_late_additions_follow_on_time_cases_and_are_marked_late() -> None:
    candidates = [
        case("late-repeat", date(2026, 4, 2), dash=25, repeat=True),
        case("on-time", dash=10),
        case("late-other", date(2026, 4, 1), dash=12),
        case("late-not-added", date(2026, 4, 1), dash=12),
    ]
    agenda = build(candidates, late=("late-other", "late-repeat"))
    assert agenda.case_ids == ("on-time", "late-repeat", "late-other")
    assert [item.late for item in agenda.items] == [False, True, True]
    assert agenda.excluded == (Exclusion("late-not-added", ExclusionReason.LATE_NOT_ADDED),)


@pytest.mark.parametrize("received", [date(2026, 3, 31), date(2026, 4, 10), date(2026, 3, 1)])
def test_only_cases_received_between_cutoff_and_the_meeting_day_can_be_late(
    received: date,
) -> None:
    with pytest.raises(AgendaError, match="cannot be late additions"):
        build([case("c-1", received)], late=("c-1",))


def test_a_case_received_on_the_meeting_day_can_be_added_on_the_day() -> None:
    candidates = [
        case("on-time"),
        case("day-before", date(2026, 4, 8)),
        case("on-the-day", date(2026, 4, 9)),
    ]
    agenda = build(candidates, late=("day-before", "on-the-day"))
    assert agenda.case_ids == ("on-time", "day-before", "on-the-day")
    assert [item.late for item in agenda.items] == [False, True, True]
    assert added_on_the_day(agenda) == ("on-the-day",)
    overflowing = build(candidates, meeting=replace(MEETING, capacity=1), late=("on-the-day",))
    assert added_on_the_day(overflowing) == ("on-the-day",)


# -- heard at an earlier meeting ---------------------------------------------------------------

# The previous meeting (cut-off 3 Mar) published its agenda on 4 Mar at 16:00, listing the
# case; referrals received before then were heard there.
PUBLISHED = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


def heard(case_id: str, received: date, **kwargs) -> CandidateCase:
    return replace(case(case_id, received, **kwargs), heard_up_to=PUBLISHED)


def test_a_case_heard_at_an_earlier_meeting_is_not_listed_again() -> None:
    # received 4 Mar (after the previous cut-off, 3 Mar) and added late to that meeting
    agenda = build([heard("c-heard", date(2026, 3, 4)), case("c-new")])
    assert agenda.case_ids == ("c-new",)
    assert agenda.excluded == (Exclusion("c-heard", ExclusionReason.ALREADY_HEARD),)


def test_a_referral_after_the_hearing_brings_the_case_back() -> None:
    back = replace(heard("c-back", date(2026, 3, 4)), received_at=PUBLISHED + timedelta(minutes=1))
    repeat = heard("c-repeat", date(2026, 3, 20), repeat=True)
    agenda = build([back, repeat])
    assert agenda.case_ids == ("c-repeat", "c-back")
    assert agenda.excluded == ()


def test_a_heard_case_rolled_over_is_still_listed() -> None:
    agenda = build([heard("c-rolled", date(2026, 3, 4), rolled_over=True)])
    assert agenda.case_ids == ("c-rolled",)


def test_a_heard_case_cannot_be_added_late() -> None:
    late = replace(case("c-late", date(2026, 4, 2)), heard_up_to=datetime(2026, 4, 3, tzinfo=UTC))
    with pytest.raises(AgendaError, match="c-late cannot be late additions: already heard"):
        build([late], late=("c-late",))


def test_unknown_late_addition_is_refused() -> None:
    with pytest.raises(AgendaError, match="not candidate cases: c-9"):
        build([case("c-1")], late=("c-9",))


def test_rolled_over_cases_are_listed_whenever_received() -> None:
    candidates = [case("rolled", date(2026, 2, 20), dash=10, rolled_over=True), case("new")]
    agenda = build(candidates)
    assert agenda.case_ids == ("new", "rolled")
    agenda = build(candidates, order=(AgendaSortKey.ROLLED_OVER_FIRST, AgendaSortKey.DASH_DESC))
    assert agenda.case_ids == ("rolled", "new")


def test_overflow_beyond_capacity_is_returned_ranked() -> None:
    candidates = [
        case("c-1", dash=20),
        case("c-2", dash=18),
        case("c-3", dash=16),
        case("late", date(2026, 4, 1), dash=27),
    ]
    agenda = build(candidates, meeting=replace(MEETING, capacity=2), late=("late",))
    assert agenda.case_ids == ("c-1", "c-2")
    assert [(item.case.case_id, item.position, item.late) for item in agenda.overflow] == [
        ("c-3", 3, False),
        ("late", 4, True),
    ]


def test_exactly_at_capacity_has_no_overflow() -> None:
    agenda = build([case("c-1"), case("c-2")], meeting=replace(MEETING, capacity=2))
    assert len(agenda.items) == 2
    assert agenda.overflow == ()


def test_other_sort_keys() -> None:
    early = replace(case("c-b", dash=14), children_count=3)
    late_morning = replace(
        case("c-a", dash=14), received_at=datetime(2026, 3, 19, 11, 0, tzinfo=UTC)
    )
    order = (AgendaSortKey.RECEIVED_AT_ASC,)
    assert build([early, late_morning], order=order).case_ids == ("c-a", "c-b")
    order = (AgendaSortKey.CHILDREN_DESC,)
    assert build([early, late_morning], order=order).case_ids == ("c-b", "c-a")


@pytest.mark.parametrize(
    ("meeting", "previous", "message"),
    [
        (replace(MEETING, capacity=0), PREVIOUS_CUTOFF, "capacity"),
        (replace(MEETING, cutoff=date(2026, 4, 9)), PREVIOUS_CUTOFF, "before the meeting"),
        (MEETING, date(2026, 3, 31), "previous cut-off"),
    ],
)
def test_inconsistent_meeting_inputs_are_refused(
    meeting: Meeting, previous: date, message: str
) -> None:
    with pytest.raises(AgendaError, match=message):
        build([case("c-1")], meeting=meeting, previous=previous)


def test_duplicate_cases_and_empty_order_are_refused() -> None:
    with pytest.raises(AgendaError, match="more than once: c-1"):
        build([case("c-1"), case("c-1")])
    with pytest.raises(AgendaError, match="sort key"):
        build([case("c-1")], order=())


def test_diff_agendas_shows_added_removed_and_moved() -> None:
    old = build([case("c-1", dash=20), case("c-2", dash=18), case("c-3", dash=16)])
    new = build(
        [case("c-1", dash=20), case("c-3", dash=16), case("c-4", dash=19)],
    )
    # old: c-1 (1), c-2 (2), c-3 (3); new: c-1 (1), c-4 (2), c-3 (3)
    diff = diff_agendas(old, new)
    assert [(item.case.case_id, item.position) for item in diff.added] == [("c-4", 2)]
    assert [(item.case.case_id, item.position) for item in diff.removed] == [("c-2", 2)]
    assert diff.moved == ()
    assert diff.unchanged is False


def test_diff_agendas_reports_moves() -> None:
    old = build([case("c-1", dash=20), case("c-2", dash=18)])
    new = build([case("c-1", dash=17), case("c-2", dash=18)])
    diff = diff_agendas(old, new)
    assert diff.moved == (Move("c-2", 2, 1), Move("c-1", 1, 2))
    assert diff.added == ()
    assert diff.removed == ()


def test_diff_of_identical_agendas_is_unchanged() -> None:
    agenda = build([case("c-1"), case("c-2")])
    assert diff_agendas(agenda, agenda).unchanged is True
