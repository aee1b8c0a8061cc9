from dataclasses import replace
from datetime import date

import pytest

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
from services.mappa.domain.nominal import NominalState, apply
from services.mappa.domain.policy_model import MappaPolicy
from services.mappa.domain.rules import RuleViolation, check, decide
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

TODAY = date(2025, 3, 3)
TOMORROW = date(2025, 3, 4)
POLICY_WITH_CATEGORY_4 = replace(POLICY, category_4_enabled=True)

# Registered 6 Jan 2025 in North, category 2 and level 2 from 6 Jan, reviewed 3 Feb.
ACTIVE = state_of(
    registered(),
    category(2, date(2025, 1, 6)),
    level(2, date(2025, 1, 6)),
    review(date(2025, 2, 3)),
)
# Level 2 from 20 Jan 2025, never reviewed.
LEVEL_SET_20_JAN = state_of(registered(), level(2, date(2025, 1, 20)))
NO_LEVEL = state_of(registered())

ONE_OF_EACH_COMMAND: list[Command] = [
    AssignCategory(3, date(2025, 3, 1)),
    SetLevel(1, date(2025, 3, 1), "risk reduced", "MAPPA chair"),
    RecordReview(date(2025, 3, 1)),
    ChangeLeadAgency("police", date(2025, 3, 1)),
    TransferNominal("out", "South", date(2025, 3, 1)),
    EndManagement(date(2025, 3, 1), "licence expired"),
]


def violated_rule(
    state: NominalState | None, command: Command, policy: MappaPolicy = POLICY
) -> str:
    with pytest.raises(RuleViolation) as caught:
        check(state, command, policy, TODAY)
    return caught.value.rule


def accepted(state: NominalState | None, command: Command, policy: MappaPolicy = POLICY) -> None:
    check(state, command, policy, TODAY)


def test_rule_violation_carries_code_and_message() -> None:
    violation = RuleViolation("same_level", "already level 2")
    assert violation.rule == "same_level"
    assert violation.message == "already level 2"
    assert str(violation) == "same_level: already level 2"
    assert isinstance(violation, ValueError)


# Registration


def test_register_on_an_empty_stream_and_dated_today() -> None:
    accepted(None, RegisterNominal("N9", "North", TODAY, "police"))


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (RegisterNominal("N9", "North", TOMORROW, "police"), "date_in_future"),
        (RegisterNominal(" ", "North", TODAY, "police"), "required_field_missing"),
        (RegisterNominal("N9", "", TODAY, "police"), "required_field_missing"),
        (RegisterNominal("N9", "North", TODAY, ""), "required_field_missing"),
    ],
)
def test_register_refusals(command: RegisterNominal, rule: str) -> None:
    assert violated_rule(None, command) == rule


def test_register_twice_is_refused() -> None:
    assert violated_rule(ACTIVE, RegisterNominal("N1", "North", TODAY, "police")) == (
        "already_registered"
    )


@pytest.mark.parametrize("command", ONE_OF_EACH_COMMAND)
def test_every_command_needs_a_registered_nominal(command: Command) -> None:
    assert violated_rule(None, command) == "not_registered"


# Nothing after the end, nothing after a transfer out


@pytest.mark.parametrize("command", ONE_OF_EACH_COMMAND)
def test_nothing_is_accepted_after_management_ended(command: Command) -> None:
    finished = state_of(registered(), level(2, date(2025, 1, 6)), ended(date(2025, 2, 10)))
    assert violated_rule(finished, command) == "management_ended"


@pytest.mark.parametrize("command", ONE_OF_EACH_COMMAND)
def test_nothing_is_accepted_after_a_transfer_out(command: Command) -> None:
    gone = state_of(
        registered(), level(2, date(2025, 1, 6)), transferred("out", "South", date(2025, 2, 10))
    )
    assert violated_rule(gone, command) == "transferred_out"


def test_each_command_is_accepted_on_an_active_nominal() -> None:
    for command in ONE_OF_EACH_COMMAND:
        accepted(ACTIVE, command)


# Category


@pytest.mark.parametrize(
    "command",
    [
        AssignCategory(1, date(2025, 3, 1), notification_end=date(2032, 3, 1)),
        AssignCategory(1, date(2025, 3, 1), notification_indefinite=True),
        AssignCategory(1, date(2025, 3, 1), notification_end=date(2025, 3, 2)),
        AssignCategory(2, date(2025, 3, 1)),  # same category again is allowed
        AssignCategory(3, TODAY),
        AssignCategory(3, date(2025, 1, 6)),  # same day as the current category
    ],
)
def test_category_accepted(command: AssignCategory) -> None:
    accepted(ACTIVE, command)


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (AssignCategory(0, date(2025, 3, 1)), "invalid_category"),
        (AssignCategory(5, date(2025, 3, 1)), "invalid_category"),
        (AssignCategory(True, date(2025, 3, 1)), "invalid_category"),
        (AssignCategory(4, date(2025, 3, 1)), "category4_disabled"),
        (AssignCategory(1, date(2025, 3, 1)), "category1_notification_end_required"),
        (
            AssignCategory(
                1, date(2025, 3, 1), notification_end=date(2030, 1, 1), notification_indefinite=True
            ),
            "notification_end_and_indefinite",
        ),
        (
            AssignCategory(2, date(2025, 3, 1), notification_end=date(2030, 1, 1)),
            "notification_only_for_category1",
        ),
        (
            AssignCategory(3, date(2025, 3, 1), notification_indefinite=True),
            "notification_only_for_category1",
        ),
        (
            AssignCategory(1, date(2025, 3, 1), notification_end=date(2025, 3, 1)),
            "notification_end_not_after_assignment",
        ),
        (
            AssignCategory(3, TOMORROW),
            "date_in_future",
        ),
        (AssignCategory(3, date(2025, 1, 5)), "date_before_registration"),
    ],
)
def test_category_refused(command: AssignCategory, rule: str) -> None:
    assert violated_rule(ACTIVE, command) == rule


def test_category_dated_before_the_current_category_is_refused() -> None:
    recategorised = state_of(registered(), category(2, date(2025, 2, 1)))
    assert violated_rule(recategorised, AssignCategory(3, date(2025, 1, 31))) == (
        "category_date_before_current_category"
    )
    accepted(recategorised, AssignCategory(3, date(2025, 2, 1)))


def test_category_4_follows_the_policy_toggle() -> None:
    assert violated_rule(ACTIVE, AssignCategory(4, TODAY)) == "category4_disabled"
    accepted(ACTIVE, AssignCategory(4, TODAY), POLICY_WITH_CATEGORY_4)
    assert violated_rule(ACTIVE, AssignCategory(5, TODAY), POLICY_WITH_CATEGORY_4) == (
        "invalid_category"
    )


# Level


@pytest.mark.parametrize(
    "command",
    [
        SetLevel(1, date(2025, 3, 1), "risk reduced", "MAPPA chair"),
        SetLevel(3, date(2025, 3, 1), "escalation", "MAPPA chair", "resources at short notice"),
        SetLevel(1, TODAY, "risk reduced", "MAPPA chair"),
        SetLevel(1, date(2025, 2, 3), "decided at the review", "MAPPA chair"),
        SetLevel(1, date(2025, 3, 1), "risk reduced", "MAPPA chair", None, date(2025, 3, 2)),
    ],
)
def test_level_accepted(command: SetLevel) -> None:
    accepted(ACTIVE, command)


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (SetLevel(0, date(2025, 3, 1), "r", "chair"), "invalid_level"),
        (SetLevel(4, date(2025, 3, 1), "r", "chair"), "invalid_level"),
        (SetLevel(True, date(2025, 3, 1), "r", "chair"), "invalid_level"),
        (SetLevel("3", date(2025, 3, 1), "r", "chair", "media"), "invalid_level"),  # type: ignore[arg-type]
        (SetLevel(2, date(2025, 3, 1), "still high risk", "chair"), "same_level"),
        (SetLevel(1, date(2025, 3, 1), "  ", "chair"), "level_reason_missing"),
        (SetLevel(1, date(2025, 3, 1), "risk reduced", ""), "required_field_missing"),
        (
            SetLevel(3, date(2025, 3, 1), "escalation", "chair"),
            "level3_reason_missing_senior_oversight",
        ),
        (
            SetLevel(3, date(2025, 3, 1), "escalation", "chair", " "),
            "level3_reason_missing_senior_oversight",
        ),
        (SetLevel(1, TOMORROW, "risk reduced", "chair"), "date_in_future"),
        (SetLevel(1, date(2025, 2, 2), "risk reduced", "chair"), "level_date_before_last_review"),
        (
            SetLevel(1, date(2025, 3, 1), "risk reduced", "chair", None, date(2025, 3, 1)),
            "next_review_not_after_decision",
        ),
    ],
)
def test_level_refused(command: SetLevel, rule: str) -> None:
    assert violated_rule(ACTIVE, command) == rule


def test_level_dated_before_the_current_level_is_refused() -> None:
    assert violated_rule(LEVEL_SET_20_JAN, SetLevel(1, date(2025, 1, 19), "r", "chair")) == (
        "level_date_before_current_level"
    )
    accepted(LEVEL_SET_20_JAN, SetLevel(1, date(2025, 1, 20), "same-day correction", "chair"))


def test_first_level_may_be_set_on_the_registration_day_but_not_before() -> None:
    accepted(NO_LEVEL, SetLevel(2, date(2025, 1, 6), "initial", "chair"))
    assert violated_rule(NO_LEVEL, SetLevel(2, date(2025, 1, 5), "initial", "chair")) == (
        "date_before_registration"
    )


# Review


@pytest.mark.parametrize(
    "command",
    [
        RecordReview(TODAY),  # today is not the future
        RecordReview(date(2025, 2, 3)),  # same day as the previous review
        RecordReview(date(2025, 2, 17), next_review_on=date(2025, 2, 18)),
    ],
)
def test_review_accepted(command: RecordReview) -> None:
    accepted(ACTIVE, command)


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (RecordReview(TOMORROW), "review_in_future"),
        (RecordReview(date(2025, 2, 2)), "review_date_before_last_review"),
        (
            RecordReview(date(2025, 2, 17), next_review_on=date(2025, 2, 17)),
            "next_review_not_after_decision",
        ),
    ],
)
def test_review_refused(command: RecordReview, rule: str) -> None:
    assert violated_rule(ACTIVE, command) == rule


def test_review_needs_a_level() -> None:
    assert violated_rule(NO_LEVEL, RecordReview(date(2025, 2, 3))) == "level_not_set"


def test_review_before_the_current_level_took_effect_is_refused() -> None:
    assert violated_rule(LEVEL_SET_20_JAN, RecordReview(date(2025, 1, 19))) == (
        "review_date_before_level_set"
    )
    accepted(LEVEL_SET_20_JAN, RecordReview(date(2025, 1, 20)))


def test_review_before_registration_is_refused() -> None:
    assert violated_rule(ACTIVE, RecordReview(date(2025, 1, 5))) == "date_before_registration"


# Lead agency


def test_lead_agency_rules() -> None:
    accepted(ACTIVE, ChangeLeadAgency("police", TODAY))
    assert violated_rule(ACTIVE, ChangeLeadAgency("probation", TODAY)) == "same_lead_agency"
    assert violated_rule(ACTIVE, ChangeLeadAgency(" ", TODAY)) == "required_field_missing"
    assert violated_rule(ACTIVE, ChangeLeadAgency("police", TOMORROW)) == "date_in_future"


# Transfer


def test_transfer_rules() -> None:
    accepted(ACTIVE, TransferNominal("in", "West", date(2025, 1, 6)))
    accepted(ACTIVE, TransferNominal("out", "South", TODAY))
    assert violated_rule(ACTIVE, TransferNominal("up", "South", TODAY)) == (
        "invalid_transfer_direction"
    )
    assert violated_rule(ACTIVE, TransferNominal("out", "", TODAY)) == "required_field_missing"
    assert violated_rule(ACTIVE, TransferNominal("out", "North", TODAY)) == "transfer_same_area"
    assert violated_rule(ACTIVE, TransferNominal("out", "South", TOMORROW)) == "date_in_future"
    assert violated_rule(ACTIVE, TransferNominal("in", "West", date(2025, 1, 5))) == (
        "date_before_registration"
    )


def test_second_transfer_in_is_refused() -> None:
    arrived = state_of(registered(), transferred("in", "West", date(2025, 1, 6)))
    assert violated_rule(arrived, TransferNominal("in", "East", TODAY)) == (
        "already_transferred_in"
    )


def test_transfer_out_ends_active_management_here() -> None:
    event = decide(ACTIVE, TransferNominal("out", "South", TODAY), POLICY, TODAY)
    after = apply(ACTIVE, event, POLICY)
    assert after.is_managed is False
    assert violated_rule(after, RecordReview(TODAY)) == "transferred_out"


# End


def test_end_rules() -> None:
    accepted(ACTIVE, EndManagement(TODAY, "licence expired"))
    accepted(ACTIVE, EndManagement(date(2025, 1, 6), "registered in error"))
    assert violated_rule(ACTIVE, EndManagement(TODAY, "")) == "end_reason_missing"
    assert violated_rule(ACTIVE, EndManagement(TODAY, "   ")) == "end_reason_missing"
    assert violated_rule(ACTIVE, EndManagement(TOMORROW, "licence expired")) == "date_in_future"
    assert violated_rule(ACTIVE, EndManagement(date(2025, 1, 5), "x")) == (
        "date_before_registration"
    )


# decide


def test_decide_returns_the_event_to_record() -> None:
    command = SetLevel(
        3,
        date(2025, 3, 1),
        "escalation",
        "MAPPA chair",
        "resources at short notice",
        date(2025, 3, 15),
    )
    assert decide(ACTIVE, command, POLICY, TODAY) == {
        "type": "MappaLevelSet",
        "level": 3,
        "effective_on": date(2025, 3, 1),
        "reason": "escalation",
        "decided_by": "MAPPA chair",
        "senior_oversight_need": "resources at short notice",
        "next_review_on": date(2025, 3, 15),
    }


def test_decided_events_fold_into_the_expected_state() -> None:
    state = None
    for command in [
        RegisterNominal("N2", "North", date(2025, 1, 6), "police"),
        AssignCategory(1, date(2025, 1, 6), notification_indefinite=True),
        SetLevel(2, date(2025, 1, 6), "active multi-agency management", "MAPPA chair"),
        RecordReview(date(2025, 2, 3)),
        EndManagement(date(2025, 3, 3), "died"),
    ]:
        state = apply(state, decide(state, command, POLICY, TODAY), POLICY)
    assert state is not None
    assert (state.category, state.level, state.last_review_on) == (1, 2, date(2025, 2, 3))
    assert (state.ended_on, state.ended_reason) == (date(2025, 3, 3), "died")


def test_decide_records_nothing_when_a_rule_is_broken() -> None:
    with pytest.raises(RuleViolation) as caught:
        decide(ACTIVE, RecordReview(TOMORROW), POLICY, TODAY)
    assert caught.value.rule == "review_in_future"


def test_decide_review_event_carries_attendance_and_panel_date() -> None:
    command = RecordReview(date(2025, 3, 3), date(2025, 4, 14), ("police", "probation"))
    assert decide(ACTIVE, command, POLICY, TODAY) == {
        "type": "MappaReviewHeld",
        "held_on": date(2025, 3, 3),
        "next_review_on": date(2025, 4, 14),
        "attended_agencies": ["police", "probation"],
    }
