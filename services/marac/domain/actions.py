"""MARAC actions: statuses, who may change them, and which are overdue or outstanding.

Status model (our choice, documented):

* open -> done, and open -> not_done (with a reason), only by the owning agency: an
  agency answers for its own actions;
* done and not_done are final. A coordinator (of any agency) may reopen one, for
  example when the meeting decides an action closed too early; the owning agency then
  closes it again. There is no direct done <-> not_done switch: reopen first, so the
  history shows both steps;
* a "change" to the status the action already has is refused, so a duplicate request
  never looks like a second completion.

``not_done`` carries a reason: ``circumstances_changed`` (no longer needed) or
``not_actioned`` (needed but not done, which the next meeting will want to discuss).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum


class ActionStatus(StrEnum):
    """Where an action stands."""

    OPEN = "open"
    DONE = "done"
    NOT_DONE = "not_done"


class NotDoneReason(StrEnum):
    """Why an action ended without being done."""

    CIRCUMSTANCES_CHANGED = "circumstances_changed"
    NOT_ACTIONED = "not_actioned"


class ActionError(ValueError):
    """An action is malformed or a status change is not allowed."""


@dataclass(frozen=True)
class Action:
    """An action volunteered at a meeting and owned by one agency."""

    action_id: str
    case_id: str
    owning_agency: str
    description: str
    due_date: date
    status: ActionStatus = ActionStatus.OPEN
    not_done_reason: NotDoneReason | None = None

    def __post_init__(self) -> None:
        if (self.status is ActionStatus.NOT_DONE) != (self.not_done_reason is not None):
            raise ActionError(
                f"action {self.action_id}: a reason is required for not_done and only for "
                f"not_done (status {self.status.value}, reason {self.not_done_reason})"
            )


@dataclass(frozen=True)
class Actor:
    """Who asks for the change: their agency, and whether they coordinate the MARAC."""

    agency: str
    is_coordinator: bool = False


@dataclass(frozen=True)
class OutstandingAction:
    """An open action as it stands on a given date."""

    action: Action
    overdue: bool


def change_status(
    action: Action,
    new_status: ActionStatus,
    actor: Actor,
    *,
    reason: NotDoneReason | None = None,
) -> Action:
    """Return the action with its new status, or raise ``ActionError`` saying why not."""
    current = action.status
    if new_status is current:
        raise ActionError(f"action {action.action_id} is already {current.value}")
    if current is ActionStatus.OPEN:
        if actor.agency != action.owning_agency:
            raise ActionError(
                f"only the owning agency {action.owning_agency} can close action "
                f"{action.action_id}, not {actor.agency}"
            )
        if new_status is ActionStatus.NOT_DONE and reason is None:
            raise ActionError(
                f"action {action.action_id}: say why it was not done "
                f"({', '.join(r.value for r in NotDoneReason)})"
            )
        if new_status is ActionStatus.DONE and reason is not None:
            raise ActionError(f"action {action.action_id}: a done action takes no reason")
        return replace(action, status=new_status, not_done_reason=reason)
    if new_status is not ActionStatus.OPEN:
        raise ActionError(
            f"action {action.action_id} is {current.value}, which is final: a coordinator "
            f"must reopen it before it can become {new_status.value}"
        )
    if not actor.is_coordinator:
        raise ActionError(
            f"action {action.action_id} is {current.value}; only a MARAC coordinator can reopen it"
        )
    if reason is not None:
        raise ActionError(f"action {action.action_id}: reopening takes no reason")
    return replace(action, status=ActionStatus.OPEN, not_done_reason=None)


def is_overdue(action: Action, today: date) -> bool:
    """Open and due before ``today``; an action due today is not yet overdue."""
    return action.status is ActionStatus.OPEN and action.due_date < today


def outstanding_for_case(
    actions: Iterable[Action], case_id: str, as_of: date
) -> tuple[OutstandingAction, ...]:
    """The case's open actions, for the next agenda: earliest due first, overdue marked.

    Closed actions (done or not_done) are not outstanding, whatever their reason.
    """
    open_actions = sorted(
        (a for a in actions if a.case_id == case_id and a.status is ActionStatus.OPEN),
        key=lambda a: (a.due_date, a.action_id),
    )
    return tuple(OutstandingAction(a, is_overdue(a, as_of)) for a in open_actions)
