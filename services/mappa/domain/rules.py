"""Business rules a MAPPA command must satisfy against the nominal's current state.

``check`` raises the first ``RuleViolation`` it finds; ``decide`` checks and returns the
event to record. ``today`` is always a parameter, never read from a clock.

Rule codes (stable; the API and the web pages key their messages on them):

Any command
    ``not_registered`` (no record yet), ``already_registered``, ``transferred_out`` and
    ``management_ended`` (nothing is accepted once management here has stopped: no
    review, no level, category or lead agency change, no second end),
    ``required_field_missing`` (blank id, area, agency, decision maker or other area),
    ``date_in_future`` (a date after ``today``), ``date_before_registration``.
Category
    ``invalid_category`` (not 1-4), ``category4_disabled`` (category 4 while the policy
    has it off), ``category1_notification_end_required`` (category 1 needs a notification
    end date or the explicit indefinite flag), ``notification_end_and_indefinite`` (both
    given), ``notification_only_for_category1`` (notification applies to registered sex
    offenders, who are category 1, only), ``notification_end_not_after_assignment``,
    ``category_date_before_current_category``. Re-assigning the same category is allowed:
    it is how a changed notification end date is recorded.
Level
    ``invalid_level`` (not 1, 2 or 3), ``same_level``, ``level_reason_missing``,
    ``level3_reason_missing_senior_oversight`` (level 3 requires non-blank
    ``senior_oversight_need`` text naming why senior oversight is needed: resources at
    short notice, media or public interest), ``level_date_before_current_level``,
    ``level_date_before_last_review``, ``next_review_not_after_decision``.
Review
    ``level_not_set`` (a review reviews the level), ``review_in_future`` (after today;
    today is allowed), ``review_date_before_last_review`` (the same day is allowed),
    ``review_date_before_level_set``, ``next_review_not_after_decision``.
    Together with the level date rules these keep the review clock moving forwards.
Lead agency
    ``same_lead_agency``.
Transfer
    ``invalid_transfer_direction``, ``transfer_same_area``, ``already_transferred_in``.
    A transfer out ends active management in this area.
End
    ``end_reason_missing``.
"""

from datetime import date
from typing import Any

from services.mappa.domain import events as ev
from services.mappa.domain.commands import (
    AssignCategory,
    ChangeLeadAgency,
    Command,
    EndManagement,
    RecordReview,
    RegisterNominal,
    SetLevel,
    TransferNominal,
)
from services.mappa.domain.nominal import NominalState
from services.mappa.domain.policy_model import (
    MAPPA_CATEGORIES,
    MAPPA_LEVELS,
    TERRORIST_CATEGORY,
    MappaPolicy,
)


class RuleViolation(ValueError):
    """A command broke a business rule; ``rule`` is a stable code, ``message`` explains it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message


def decide(
    state: NominalState | None, command: Command, policy: MappaPolicy, today: date
) -> dict[str, Any]:
    """Check ``command`` and return the one event that records it."""
    check(state, command, policy, today)
    return command.to_event()


def check(state: NominalState | None, command: Command, policy: MappaPolicy, today: date) -> None:
    """Raise ``RuleViolation`` if ``command`` may not be applied to ``state`` on ``today``."""
    if isinstance(command, RegisterNominal):
        _check_register(state, command, today)
        return
    if state is None:
        raise RuleViolation("not_registered", "the nominal has not been registered")
    if state.transferred_out:
        raise RuleViolation(
            "transferred_out",
            f"the nominal was transferred out to {state.transferred_out_to} "
            f"on {state.transferred_out_on}; nothing more can be recorded here",
        )
    if state.ended_on is not None:
        raise RuleViolation(
            "management_ended",
            f"MAPPA management ended on {state.ended_on}; nothing more can be recorded",
        )
    if isinstance(command, AssignCategory):
        _check_category(state, command, policy, today)
    elif isinstance(command, SetLevel):
        _check_level(state, command, today)
    elif isinstance(command, RecordReview):
        _check_review(state, command, today)
    elif isinstance(command, ChangeLeadAgency):
        _check_lead_agency(state, command, today)
    elif isinstance(command, TransferNominal):
        _check_transfer(state, command, today)
    elif isinstance(command, EndManagement):
        _check_end(state, command, today)
    else:
        raise TypeError(f"not a MAPPA command: {command!r}")


def _check_register(state: NominalState | None, command: RegisterNominal, today: date) -> None:
    if state is not None:
        raise RuleViolation(
            "already_registered", f"nominal {state.nominal_id} is already registered"
        )
    _require_text("nominal_id", command.nominal_id)
    _require_text("area", command.area)
    _require_text("lead_agency", command.lead_agency)
    if command.registered_on > today:
        raise RuleViolation(
            "date_in_future", f"registered_on {command.registered_on} is after today ({today})"
        )


def _check_category(
    state: NominalState, command: AssignCategory, policy: MappaPolicy, today: date
) -> None:
    category = command.category
    if not _is_int(category) or category not in MAPPA_CATEGORIES:
        raise RuleViolation("invalid_category", f"category must be 1, 2, 3 or 4, not {category!r}")
    if category == TERRORIST_CATEGORY and not policy.category_4_enabled:
        raise RuleViolation(
            "category4_disabled", "category 4 (terrorist risk) is not enabled by this area's policy"
        )
    has_notification = command.notification_end is not None or command.notification_indefinite
    if category == 1:
        if not has_notification:
            raise RuleViolation(
                "category1_notification_end_required",
                "category 1 needs a notification end date or the indefinite flag",
            )
        if command.notification_end is not None and command.notification_indefinite:
            raise RuleViolation(
                "notification_end_and_indefinite",
                "give either a notification end date or the indefinite flag, not both",
            )
    elif has_notification:
        raise RuleViolation(
            "notification_only_for_category1",
            f"notification requirements belong to category 1, not category {category}",
        )
    _check_date(state, "effective_on", command.effective_on, today)
    current = state.category_history[-1] if state.category_history else None
    if current is not None and command.effective_on < current.from_date:
        raise RuleViolation(
            "category_date_before_current_category",
            f"effective_on {command.effective_on} is before the current category's date "
            f"{current.from_date}",
        )
    if command.notification_end is not None and command.notification_end <= command.effective_on:
        raise RuleViolation(
            "notification_end_not_after_assignment",
            f"notification_end {command.notification_end} must be after effective_on "
            f"{command.effective_on}",
        )


def _check_level(state: NominalState, command: SetLevel, today: date) -> None:
    level = command.level
    if not _is_int(level) or level not in MAPPA_LEVELS:
        raise RuleViolation("invalid_level", f"level must be 1, 2 or 3, not {level!r}")
    if level == state.level:
        raise RuleViolation("same_level", f"the nominal is already managed at level {level}")
    if _blank(command.reason):
        raise RuleViolation("level_reason_missing", "a level decision needs a reason")
    _require_text("decided_by", command.decided_by)
    if level == 3 and _blank(command.senior_oversight_need):
        raise RuleViolation(
            "level3_reason_missing_senior_oversight",
            "level 3 needs senior_oversight_need: why senior oversight is required "
            "(resources at short notice, media or public interest)",
        )
    _check_date(state, "effective_on", command.effective_on, today)
    level_set_on = state.level_set_on
    if level_set_on is not None and command.effective_on < level_set_on:
        raise RuleViolation(
            "level_date_before_current_level",
            f"effective_on {command.effective_on} is before the current level's date "
            f"{level_set_on}",
        )
    if state.last_review_on is not None and command.effective_on < state.last_review_on:
        raise RuleViolation(
            "level_date_before_last_review",
            f"effective_on {command.effective_on} is before the last review {state.last_review_on}",
        )
    _check_explicit_next(command.next_review_on, command.effective_on, "effective_on")


def _check_review(state: NominalState, command: RecordReview, today: date) -> None:
    if state.level is None:
        raise RuleViolation("level_not_set", "set a MAPPA level before recording a review")
    if command.held_on > today:
        raise RuleViolation(
            "review_in_future", f"held_on {command.held_on} is after today ({today})"
        )
    _check_date(state, "held_on", command.held_on, today)
    if state.last_review_on is not None and command.held_on < state.last_review_on:
        raise RuleViolation(
            "review_date_before_last_review",
            f"held_on {command.held_on} is before the previous review {state.last_review_on}",
        )
    level_set_on = state.level_set_on
    if level_set_on is not None and command.held_on < level_set_on:
        raise RuleViolation(
            "review_date_before_level_set",
            f"held_on {command.held_on} is before the current level took effect ({level_set_on})",
        )
    _check_explicit_next(command.next_review_on, command.held_on, "held_on")


def _check_lead_agency(state: NominalState, command: ChangeLeadAgency, today: date) -> None:
    _require_text("lead_agency", command.lead_agency)
    if command.lead_agency == state.lead_agency:
        raise RuleViolation("same_lead_agency", f"{command.lead_agency} is already the lead agency")
    _check_date(state, "effective_on", command.effective_on, today)


def _check_transfer(state: NominalState, command: TransferNominal, today: date) -> None:
    if command.direction not in (ev.TRANSFER_IN, ev.TRANSFER_OUT):
        raise RuleViolation(
            "invalid_transfer_direction",
            f"direction must be 'in' or 'out', not {command.direction!r}",
        )
    _require_text("other_area", command.other_area)
    if command.other_area == state.area:
        raise RuleViolation("transfer_same_area", f"the nominal is already managed in {state.area}")
    if command.direction == ev.TRANSFER_IN and state.transferred_in_from is not None:
        raise RuleViolation(
            "already_transferred_in",
            f"the nominal was already transferred in from {state.transferred_in_from}",
        )
    _check_date(state, "effective_on", command.effective_on, today)


def _check_end(state: NominalState, command: EndManagement, today: date) -> None:
    if _blank(command.reason):
        raise RuleViolation("end_reason_missing", "ending MAPPA management needs a reason")
    _check_date(state, "ended_on", command.ended_on, today)


def _check_date(state: NominalState, field: str, day: date, today: date) -> None:
    if day > today:
        raise RuleViolation("date_in_future", f"{field} {day} is after today ({today})")
    if day < state.registered_on:
        raise RuleViolation(
            "date_before_registration",
            f"{field} {day} is before the nominal was registered ({state.registered_on})",
        )


def _check_explicit_next(next_due: date | None, decided_on: date, field: str) -> None:
    if next_due is not None and next_due <= decided_on:
        raise RuleViolation(
            "next_review_not_after_decision",
            f"next_review_on {next_due} must be after {field} {decided_on}",
        )


def _require_text(field: str, value: str | None) -> None:
    if _blank(value):
        raise RuleViolation("required_field_missing", f"{field} must not be blank")


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
