"""Action statuses: who may change them, final states, overdue and outstanding."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.marac.domain.actions import (
    Action,
    ActionError,
    ActionStatus,
    Actor,
    NotDoneReason,
    OutstandingAction,
    change_status,
    is_overdue,
    outstanding_for_case,
)

ACTION = Action(
    action_id="a-1",
    case_id="case-1",
    owning_agency="housing",
    description="Check for a management move",
    due_date=date(2026, 4, 23),
)
HOUSING = Actor("housing")
POLICE = Actor("police")
COORDINATOR = Actor("police", is_coordinator=True)
DONE = replace(ACTION, status=ActionStatus.DONE)
NOT_DONE = replace(ACTION, status=ActionStatus.NOT_DONE, not_done_reason=NotDoneReason.NOT_ACTIONED)


def test_owner_completes_an_open_action() -> None:
    assert change_status(ACTION, ActionStatus.DONE, HOUSING) == DONE


@pytest.mark.parametrize(
    "reason", [NotDoneReason.CIRCUMSTANCES_CHANGED, NotDoneReason.NOT_ACTIONED]
)
def test_owner_marks_not_done_with_a_reason(reason: NotDoneReason) -> None:
    result = change_status(ACTION, ActionStatus.NOT_DONE, HOUSING, reason=reason)
    assert result.status is ActionStatus.NOT_DONE
    assert result.not_done_reason is reason


def test_not_done_needs_a_reason() -> None:
    with pytest.raises(ActionError, match="say why"):
        change_status(ACTION, ActionStatus.NOT_DONE, HOUSING)


def test_done_takes_no_reason() -> None:
    with pytest.raises(ActionError, match="no reason"):
        change_status(ACTION, ActionStatus.DONE, HOUSING, reason=NotDoneReason.NOT_ACTIONED)


@pytest.mark.parametrize("actor", [POLICE, COORDINATOR])
def test_only_the_owning_agency_may_close_an_action(actor: Actor) -> None:
    with pytest.raises(ActionError, match="only the owning agency housing"):
        change_status(ACTION, ActionStatus.DONE, actor)


@pytest.mark.parametrize("closed", [DONE, NOT_DONE])
def test_closed_actions_are_final_even_for_the_owner(closed: Action) -> None:
    with pytest.raises(ActionError, match="only a MARAC coordinator can reopen"):
        change_status(closed, ActionStatus.OPEN, HOUSING)


def test_no_direct_switch_between_done_and_not_done() -> None:
    with pytest.raises(ActionError, match="final"):
        change_status(DONE, ActionStatus.NOT_DONE, COORDINATOR, reason=NotDoneReason.NOT_ACTIONED)
    with pytest.raises(ActionError, match="final"):
        change_status(NOT_DONE, ActionStatus.DONE, HOUSING)


@pytest.mark.parametrize("closed", [DONE, NOT_DONE])
def test_a_coordinator_reopens_a_closed_action(closed: Action) -> None:
    assert change_status(closed, ActionStatus.OPEN, COORDINATOR) == ACTION


def test_repeating_the_current_status_is_refused() -> None:
    with pytest.raises(ActionError, match="already done"):
        change_status(DONE, ActionStatus.DONE, HOUSING)
    with pytest.raises(ActionError, match="already open"):
        change_status(ACTION, ActionStatus.OPEN, COORDINATOR)


def test_reason_only_with_not_done() -> None:
    with pytest.raises(ActionError, match="reason"):
        replace(ACTION, not_done_reason=NotDoneReason.NOT_ACTIONED)
    with pytest.raises(ActionError, match="reason"):
        replace(ACTION, status=ActionStatus.NOT_DONE)


def test_due_yesterday_is_overdue_and_due_today_is_not() -> None:
    assert is_overdue(ACTION, date(2026, 4, 24)) is True
    assert is_overdue(ACTION, date(2026, 4, 23)) is False
    assert is_overdue(ACTION, date(2026, 4, 22)) is False


def test_closed_actions_are_never_overdue() -> None:
    assert is_overdue(DONE, date(2026, 5, 1)) is False
    assert is_overdue(NOT_DONE, date(2026, 5, 1)) is False


def test_outstanding_for_case_lists_open_actions_earliest_first() -> None:
    later = replace(ACTION, action_id="a-2", due_date=date(2026, 5, 1))
    earlier = replace(ACTION, action_id="a-3", due_date=date(2026, 4, 1))
    other_case = replace(ACTION, action_id="a-4", case_id="case-2")
    closed = replace(DONE, action_id="a-5")
    not_done = replace(NOT_DONE, action_id="a-6")
    actions = [later, ACTION, other_case, closed, earlier, not_done]
    assert outstanding_for_case(actions, "case-1", date(2026, 4, 23)) == (
        OutstandingAction(earlier, overdue=True),
        OutstandingAction(ACTION, overdue=False),
        OutstandingAction(later, overdue=False),
    )


def test_nothing_outstanding() -> None:
    assert outstanding_for_case([DONE], "case-1", date(2026, 4, 23)) == ()
