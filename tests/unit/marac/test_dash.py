"""DASH checklist: question lists, scoring on both forms, bands and judgement flags."""

from __future__ import annotations

import pytest

from services.marac.domain.dash import (
    PARTNER_QUESTIONS,
    POLICE_QUESTIONS,
    Answer,
    DashBand,
    DashForm,
    InvalidDashAnswer,
    JudgementFlag,
    RiskLevel,
    UnknownDashQuestion,
    score_dash,
)

DEFAULT_BANDS = (
    DashBand(RiskLevel.STANDARD, 0, 9),
    DashBand(RiskLevel.MEDIUM, 10, 13),
    DashBand(RiskLevel.HIGH, 14, None),
)

EXPECTED_PARTNER_QUESTIONS = (
    "injury",
    "very_frightened",
    "afraid_of_what",
    "isolated",
    "depressed_or_suicidal",
    "separation",
    "child_contact_conflict",
    "stalking_or_harassment",
    "pregnant_or_recent_birth",
    "abuse_more_often",
    "abuse_getting_worse",
    "controlling_or_jealous",
    "weapons_used",
    "threats_to_kill",
    "strangulation",
    "sexual_abuse",
    "other_person_threatens",
    "hurt_anyone_else",
    "animal_abuse",
    "financial_issues",
    "substance_or_mental_health",
    "suicide_threats",
    "breached_bail_or_orders",
    "criminal_history",
)

EXPECTED_POLICE_QUESTIONS = (
    "injury",
    "very_frightened",
    "afraid_of_what",
    "isolated",
    "depressed_or_suicidal",
    "separation",
    "child_contact_conflict",
    "stalking_or_harassment",
    "pregnant_or_recent_birth",
    "other_children_in_household",
    "hurt_children",
    "threatened_children",
    "abuse_more_often",
    "abuse_getting_worse",
    "controlling_or_jealous",
    "weapons_used",
    "threats_to_kill",
    "strangulation",
    "sexual_abuse",
    "other_person_threatens",
    "hurt_anyone_else",
    "animal_abuse",
    "financial_issues",
    "substance_or_mental_health",
    "suicide_threats",
    "breached_bail_or_orders",
    "criminal_history",
)

# Fourteen partner questions that raise no judgement flag when answered yes (no
# strangulation, threats to kill, stalking, high fear, and no separation+control combo).
UNFLAGGED = (
    "injury",
    "afraid_of_what",
    "isolated",
    "depressed_or_suicidal",
    "child_contact_conflict",
    "pregnant_or_recent_birth",
    "abuse_more_often",
    "abuse_getting_worse",
    "weapons_used",
    "sexual_abuse",
    "other_person_threatens",
    "hurt_anyone_else",
    "animal_abuse",
    "financial_issues",
)


def yes_to(*keys: str) -> dict[str, str]:
    return dict.fromkeys(keys, "yes")


def score(answers: dict[str, str | Answer], form: DashForm = DashForm.PARTNER):
    return score_dash(answers, form, bands=DEFAULT_BANDS)


def test_partner_form_has_the_24_questions_in_order() -> None:
    assert PARTNER_QUESTIONS == EXPECTED_PARTNER_QUESTIONS
    assert len(PARTNER_QUESTIONS) == 24


def test_police_form_inserts_three_children_questions_after_pregnancy() -> None:
    assert POLICE_QUESTIONS == EXPECTED_POLICE_QUESTIONS
    assert len(POLICE_QUESTIONS) == 27
    assert DashForm.POLICE.questions == EXPECTED_POLICE_QUESTIONS


def test_all_24_partner_yes_scores_24_high() -> None:
    result = score(yes_to(*EXPECTED_PARTNER_QUESTIONS))
    assert result.score == 24
    assert result.risk_level is RiskLevel.HIGH
    assert result.unanswered_questions == ()


def test_all_27_police_yes_scores_27() -> None:
    result = score(yes_to(*EXPECTED_POLICE_QUESTIONS), DashForm.POLICE)
    assert result.score == 27
    assert result.risk_level is RiskLevel.HIGH


def test_police_children_questions_count_on_the_police_form() -> None:
    answers = yes_to("other_children_in_household", "hurt_children", "threatened_children")
    result = score(answers, DashForm.POLICE)
    assert result.score == 3
    assert result.yes_questions == (
        "other_children_in_household",
        "hurt_children",
        "threatened_children",
    )


def test_police_only_questions_are_unknown_on_the_partner_form_and_all_are_named() -> None:
    answers = yes_to("injury", "hurt_children", "bogus_question", "threatened_children")
    with pytest.raises(UnknownDashQuestion) as raised:
        score(answers)
    assert raised.value.unknown_keys == ("hurt_children", "bogus_question", "threatened_children")
    message = str(raised.value)
    assert "hurt_children" in message
    assert "bogus_question" in message
    assert "threatened_children" in message
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("yes_count", "level"),
    [
        (0, RiskLevel.STANDARD),
        (9, RiskLevel.STANDARD),
        (10, RiskLevel.MEDIUM),
        (13, RiskLevel.MEDIUM),
        (14, RiskLevel.HIGH),
    ],
)
def test_band_boundaries(yes_count: int, level: RiskLevel) -> None:
    result = score(yes_to(*UNFLAGGED[:yes_count]))
    assert result.score == yes_count
    assert result.risk_level is level


def test_13_yes_is_medium_and_14_yes_is_high() -> None:
    thirteen = score(yes_to(*UNFLAGGED[:13]))
    fourteen = score(yes_to(*UNFLAGGED[:14]))
    assert (thirteen.score, thirteen.risk_level) == (13, RiskLevel.MEDIUM)
    assert (fourteen.score, fourteen.risk_level) == (14, RiskLevel.HIGH)


def test_no_and_not_known_do_not_count_and_missing_keys_are_unanswered() -> None:
    answers: dict[str, str | Answer] = {
        "injury": Answer.YES,
        "isolated": "no",
        "separation": "not_known",
        "weapons_used": Answer.NOT_KNOWN,
    }
    result = score(answers)
    assert result.score == 1
    assert result.yes_questions == ("injury",)
    assert len(result.unanswered_questions) == 20
    assert "isolated" not in result.unanswered_questions
    assert "criminal_history" in result.unanswered_questions


def test_empty_answers_score_zero_standard() -> None:
    result = score({})
    assert (result.score, result.risk_level) == (0, RiskLevel.STANDARD)
    assert result.unanswered_questions == EXPECTED_PARTNER_QUESTIONS


@pytest.mark.parametrize("bad_value", ["maybe", "Yes", "YES", "", "not known", True, None, 1])
def test_invalid_answer_names_the_key(bad_value: object) -> None:
    with pytest.raises(InvalidDashAnswer) as raised:
        score({"injury": "yes", "isolated": bad_value})  # type: ignore[dict-item]
    assert raised.value.key == "isolated"
    assert "'isolated'" in str(raised.value)


def test_stalking_yes_needs_the_stalking_screen() -> None:
    assert score(yes_to("stalking_or_harassment")).stalking_screen_needed is True
    assert score({"stalking_or_harassment": "not_known"}).stalking_screen_needed is False


@pytest.mark.parametrize(
    ("key", "flag"),
    [
        ("strangulation", JudgementFlag.STRANGULATION),
        ("threats_to_kill", JudgementFlag.THREATS_TO_KILL),
        ("stalking_or_harassment", JudgementFlag.STALKING),
        ("very_frightened", JudgementFlag.HIGH_FEAR),
    ],
)
def test_single_answer_judgement_flags(key: str, flag: JudgementFlag) -> None:
    result = score(yes_to(key))
    assert result.score == 1
    assert result.judgement_flags == (flag,)


@pytest.mark.parametrize("violence", ["injury", "sexual_abuse"])
def test_separation_control_and_violence_combination(violence: str) -> None:
    result = score(yes_to("separation", "controlling_or_jealous", violence))
    assert result.judgement_flags == (JudgementFlag.SEPARATION_CONTROL_AND_VIOLENCE,)


def test_combination_with_strangulation_raises_both_flags() -> None:
    result = score(yes_to("separation", "controlling_or_jealous", "strangulation"))
    assert result.judgement_flags == (
        JudgementFlag.STRANGULATION,
        JudgementFlag.SEPARATION_CONTROL_AND_VIOLENCE,
    )


@pytest.mark.parametrize(
    "keys",
    [
        ("separation", "controlling_or_jealous"),
        ("separation", "injury"),
        ("controlling_or_jealous", "sexual_abuse"),
    ],
)
def test_incomplete_combination_raises_no_flag(keys: tuple[str, ...]) -> None:
    assert score(yes_to(*keys)).judgement_flags == ()


def test_combination_needs_yes_not_not_known() -> None:
    answers: dict[str, str | Answer] = {
        "separation": "yes",
        "controlling_or_jealous": "yes",
        "injury": "not_known",
    }
    assert score(answers).judgement_flags == ()


def test_flags_are_raised_above_14_too() -> None:
    result = score(yes_to(*UNFLAGGED, "threats_to_kill"))
    assert result.score == 15
    assert result.judgement_flags == (JudgementFlag.THREATS_TO_KILL,)


def test_custom_bands_are_honoured() -> None:
    bands = (DashBand(RiskLevel.STANDARD, 0, 4), DashBand(RiskLevel.HIGH, 5, None))
    four = score_dash(yes_to(*UNFLAGGED[:4]), DashForm.PARTNER, bands=bands)
    five = score_dash(yes_to(*UNFLAGGED[:5]), DashForm.PARTNER, bands=bands)
    assert four.risk_level is RiskLevel.STANDARD
    assert five.risk_level is RiskLevel.HIGH
