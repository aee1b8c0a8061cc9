"""Referral criteria: each criterion at its threshold, and the refusal message."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.marac.domain.criteria import (
    CriteriaError,
    CriteriaRules,
    Criterion,
    ReferralFacts,
    assess_criteria,
)
from services.marac.domain.repeats import PriorReferral, RepeatMatch

RULES = CriteriaRules(
    visible_high_risk_threshold=14,
    escalation_incidents=3,
    escalation_window_months=12,
    repeat_window_months=12,
    repeat_match=RepeatMatch.SAME_VICTIM_AND_PERPETRATOR,
)
REFERRAL_DATE = date(2026, 3, 10)
BASE = ReferralFacts(
    referral_date=REFERRAL_DATE,
    victim_id="victim-1",
    perpetrator_ids=frozenset({"perp-1"}),
    dash_score=9,
)


def test_13_is_below_the_threshold_and_refused() -> None:
    decision = assess_criteria(replace(BASE, dash_score=13), RULES)
    assert decision.criteria_met == ()
    assert decision.accepted is False
    assert decision.refusal_reason is not None


def test_14_is_visible_high_risk() -> None:
    decision = assess_criteria(replace(BASE, dash_score=14), RULES)
    assert decision.criteria_met == (Criterion.VISIBLE_HIGH_RISK,)
    assert decision.accepted is True
    assert decision.refusal_reason is None


def test_professional_judgement_cannot_remove_visible_high_risk() -> None:
    facts = replace(
        BASE,
        dash_score=20,
        professional_judgement=True,
        professional_judgement_reason="Victim minimises; IDVA believes risk is lower.",
    )
    decision = assess_criteria(facts, RULES)
    assert decision.criteria_met == (
        Criterion.VISIBLE_HIGH_RISK,
        Criterion.PROFESSIONAL_JUDGEMENT,
    )


def test_professional_judgement_with_a_reason_is_a_criterion() -> None:
    facts = replace(
        BASE,
        professional_judgement=True,
        professional_judgement_reason="Strangulation last week and he has just been released.",
    )
    assert assess_criteria(facts, RULES).criteria_met == (Criterion.PROFESSIONAL_JUDGEMENT,)


@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_professional_judgement_without_a_reason_is_an_error(reason: str | None) -> None:
    facts = replace(BASE, professional_judgement=True, professional_judgement_reason=reason)
    with pytest.raises(CriteriaError, match="professional judgement needs a reason"):
        assess_criteria(facts, RULES)


def test_a_reason_without_claiming_judgement_adds_nothing() -> None:
    facts = replace(BASE, professional_judgement_reason="Some free text")
    assert assess_criteria(facts, RULES).criteria_met == ()


def test_two_incidents_in_12_months_are_not_enough() -> None:
    facts = replace(BASE, police_incident_dates=(date(2025, 9, 1), date(2026, 1, 5)))
    decision = assess_criteria(facts, RULES)
    assert decision.escalation_incident_count == 2
    assert decision.criteria_met == ()


def test_three_incidents_in_12_months_are_potential_escalation() -> None:
    facts = replace(
        BASE,
        police_incident_dates=(date(2025, 3, 10), date(2025, 9, 1), date(2026, 3, 10)),
    )
    decision = assess_criteria(facts, RULES)
    assert decision.escalation_incident_count == 3
    assert decision.escalation_window_start == date(2025, 3, 10)
    assert decision.criteria_met == (Criterion.POTENTIAL_ESCALATION,)


def test_incidents_before_the_window_or_after_the_referral_do_not_count() -> None:
    facts = replace(
        BASE,
        police_incident_dates=(
            date(2025, 3, 9),  # one day before the window opens
            date(2025, 9, 1),
            date(2026, 1, 5),
            date(2026, 3, 11),  # after the referral date
        ),
    )
    decision = assess_criteria(facts, RULES)
    assert decision.escalation_incident_count == 2
    assert decision.criteria_met == ()


def test_a_partnership_can_lower_the_incident_count() -> None:
    facts = replace(BASE, police_incident_dates=(date(2025, 9, 1), date(2026, 1, 5)))
    decision = assess_criteria(facts, replace(RULES, escalation_incidents=2))
    assert decision.criteria_met == (Criterion.POTENTIAL_ESCALATION,)


def test_a_repeat_bypasses_the_other_thresholds() -> None:
    facts = replace(
        BASE,
        dash_score=3,
        prior_referrals=(
            PriorReferral("ref-0", "victim-1", frozenset({"perp-1"}), date(2025, 3, 10)),
        ),
    )
    decision = assess_criteria(facts, RULES)
    assert decision.criteria_met == (Criterion.REPEAT,)
    assert decision.repeat.last_referral_date == date(2025, 3, 10)


def test_every_criterion_met_is_listed_in_order() -> None:
    facts = replace(
        BASE,
        dash_score=16,
        professional_judgement=True,
        professional_judgement_reason="Threats to kill with a weapon.",
        police_incident_dates=(date(2025, 4, 1), date(2025, 10, 1), date(2026, 2, 1)),
        prior_referrals=(
            PriorReferral("ref-0", "victim-1", frozenset({"perp-1"}), date(2025, 10, 1)),
        ),
    )
    assert assess_criteria(facts, RULES).criteria_met == (
        Criterion.VISIBLE_HIGH_RISK,
        Criterion.PROFESSIONAL_JUDGEMENT,
        Criterion.POTENTIAL_ESCALATION,
        Criterion.REPEAT,
    )


def test_refusal_explains_what_is_missing() -> None:
    facts = replace(BASE, police_incident_dates=(date(2025, 9, 1), date(2026, 1, 5)))
    assert assess_criteria(facts, RULES).refusal_reason == (
        "DASH score 9 is below 14 and no other criterion is met: give professional "
        "judgement with a reason, or record the police domestic abuse incidents that show "
        "escalation (2 incidents in the 12 months to 2026-03-10; 3 are needed). "
        "No earlier MARAC referral was found for this victim and perpetrator."
    )


def test_refusal_without_a_dash_score_mentions_an_old_referral() -> None:
    facts = replace(
        BASE,
        dash_score=None,
        police_incident_dates=(date(2025, 9, 1),),
        prior_referrals=(
            PriorReferral("ref-0", "victim-1", frozenset({"perp-1"}), date(2025, 3, 9)),
        ),
    )
    assert assess_criteria(facts, RULES).refusal_reason == (
        "No DASH score was given (visible high risk needs 14 or more) and no other criterion "
        "is met: give professional judgement with a reason, or record the police domestic "
        "abuse incidents that show escalation (1 incident in the 12 months to 2026-03-10; "
        "3 are needed). The last MARAC referral (2025-03-09) is more than 12 months before "
        "this one, so this is not a repeat."
    )


def test_negative_dash_score_is_an_error() -> None:
    with pytest.raises(CriteriaError, match="negative"):
        assess_criteria(replace(BASE, dash_score=-1), RULES)
