from datetime import date

import pytest

from services.mappa.domain.nominal import (
    CategoryChange,
    EventError,
    LevelChange,
    NominalState,
    apply,
    fold,
)
from tests.unit.mappa.builders import (
    POLICY,
    category,
    ended,
    level,
    registered,
    review,
    state_of,
    transferred,
)


def test_registration_opens_a_record_with_nothing_assigned() -> None:
    state = apply(None, registered(), POLICY)
    assert state == NominalState(
        nominal_id="N1", area="North", registered_on=date(2025, 1, 6), lead_agency="probation"
    )
    assert state.level is None
    assert state.next_review_due is None
    assert state.is_managed is True


def test_empty_stream_folds_to_nothing() -> None:
    assert fold([], POLICY) is None


def test_full_stream_builds_the_state() -> None:
    state = state_of(
        registered(),
        category(1, date(2025, 1, 6), notification_end=date(2035, 1, 6)),
        level(2, date(2025, 1, 6), reason="high RoSH, partners add value"),
        review(date(2025, 2, 3)),
        level(
            3,
            date(2025, 3, 10),
            reason="press interest",
            decided_by="Chair A",
            senior_oversight_need="national media interest",
        ),
        {
            "type": "MappaLeadAgencyChanged",
            "lead_agency": "police",
            "effective_on": date(2025, 3, 11),
        },
    )
    assert state.category == 1
    assert state.notification_end == date(2035, 1, 6)
    assert state.notification_indefinite is False
    assert state.category_history == (CategoryChange(1, date(2025, 1, 6), date(2035, 1, 6), False),)
    assert state.level == 3
    assert state.level_history == (
        LevelChange(2, date(2025, 1, 6), "high RoSH, partners add value", "MAPPA chair", None),
        LevelChange(3, date(2025, 3, 10), "press interest", "Chair A", "national media interest"),
    )
    assert state.level_set_on == date(2025, 3, 10)
    assert state.last_review_on == date(2025, 2, 3)
    # level 3's 8 weeks from the last review, 3 February 2025 (not from 10 March) = 31 March
    assert state.next_review_due == date(2025, 3, 31)
    assert state.lead_agency == "police"


def test_indefinite_notification_is_kept() -> None:
    state = state_of(registered(), category(1, date(2025, 1, 6), notification_indefinite=True))
    assert state.notification_indefinite is True
    assert state.notification_end is None


def test_recategorising_replaces_the_notification_details() -> None:
    state = state_of(
        registered(),
        category(1, date(2025, 1, 6), notification_end=date(2030, 1, 6)),
        category(2, date(2025, 6, 1)),
    )
    assert state.category == 2
    assert state.notification_end is None
    assert [c.category for c in state.category_history] == [1, 2]


def test_management_ended_records_date_reason_and_clears_the_review() -> None:
    state = state_of(registered(), level(1, date(2025, 1, 6)), ended(date(2025, 9, 1), "died"))
    assert state.ended_on == date(2025, 9, 1)
    assert state.ended_reason == "died"
    assert state.management_ended_on == date(2025, 9, 1)
    assert state.next_review_due is None
    assert state.is_managed is False


def test_transfer_out_ends_management_here() -> None:
    state = state_of(
        registered(), level(2, date(2025, 1, 6)), transferred("out", "South", date(2025, 4, 1))
    )
    assert state.transferred_out is True
    assert state.transferred_out_to == "South"
    assert state.transferred_out_on == date(2025, 4, 1)
    assert state.ended_on is None
    assert state.management_ended_on == date(2025, 4, 1)
    assert state.next_review_due is None
    assert state.is_managed is False


def test_transfer_in_records_where_from_and_keeps_managing() -> None:
    state = state_of(registered(), transferred("in", "West", date(2025, 1, 6)))
    assert state.transferred_in_from == "West"
    assert state.transferred_in_on == date(2025, 1, 6)
    assert state.is_managed is True


def test_managed_on_runs_from_registration_up_to_not_including_the_end() -> None:
    state = state_of(registered(), ended(date(2025, 9, 1)))
    assert state.is_managed_on(date(2025, 1, 5)) is False
    assert state.is_managed_on(date(2025, 1, 6)) is True
    assert state.is_managed_on(date(2025, 8, 31)) is True
    assert state.is_managed_on(date(2025, 9, 1)) is False


def test_level_and_category_on_a_day_use_the_last_change_on_or_before_it() -> None:
    state = state_of(
        registered(),
        category(2, date(2025, 1, 6)),
        level(2, date(2025, 1, 6)),
        level(3, date(2025, 3, 10)),
        level(1, date(2025, 3, 10)),
        category(3, date(2025, 5, 1)),
    )
    assert state.level_on(date(2025, 1, 5)) is None
    assert state.level_on(date(2025, 1, 6)) == 2
    assert state.level_on(date(2025, 3, 9)) == 2
    assert state.level_on(date(2025, 3, 10)) == 1
    assert state.category_on(date(2025, 4, 30)) == 2
    assert state.category_on(date(2025, 5, 1)) == 3


def test_event_before_registration_is_refused() -> None:
    with pytest.raises(EventError, match="has not been registered"):
        apply(None, level(2, date(2025, 1, 6)), POLICY)


def test_second_registration_is_refused() -> None:
    with pytest.raises(EventError, match="already registered"):
        state_of(registered(), registered())


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(EventError, match="unknown MAPPA event type 'MappaLevelChanged'"):
        state_of(registered(), {"type": "MappaLevelChanged", "level": 2})


def test_missing_field_is_refused_by_name() -> None:
    event = level(2, date(2025, 1, 6))
    del event["decided_by"]
    with pytest.raises(EventError, match="'decided_by' is missing"):
        state_of(registered(), event)


def test_bad_transfer_direction_is_refused() -> None:
    with pytest.raises(EventError, match="direction must be"):
        state_of(registered(), transferred("sideways", "South", date(2025, 2, 1)))


def test_level_outside_1_to_3_in_an_event_is_refused() -> None:
    with pytest.raises(EventError, match="level must be 1, 2 or 3, not 4"):
        state_of(registered(), level(4, date(2025, 1, 6)))
