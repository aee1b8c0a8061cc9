"""The criteria page's words: which criteria are met and why, or why none and what would help."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from services.marac.domain.criteria import (
    CriteriaRules,
    ReferralFacts,
    assess_criteria,
)
from services.marac.domain.criteria_words import describe_criteria, warning_flags
from services.marac.domain.dash import JudgementFlag
from services.marac.domain.repeats import PriorReferral, RepeatMatch

RULES = CriteriaRules(
    visible_high_risk_threshold=14,
    escalation_incidents=3,
    escalation_window_months=12,
    repeat_window_months=12,
    repeat_match=RepeatMatch.SAME_VICTIM_AND_PERPETRATOR,
)
BASE = ReferralFacts(
    referral_date=date(2026, 12, 2),
    victim_id="victim-1",
    perpetrator_ids=frozenset({"perp-1"}),
    dash_score=13,
    police_incident_dates=(date(2026, 6, 1),),
)


def words(facts: ReferralFacts, flags=()):
    return describe_criteria(facts, RULES, assess_criteria(facts, RULES), flags)


def test_a_referral_meeting_no_criterion_says_each_shortfall_and_what_to_do() -> None:
    said = words(BASE)
    assert said.met is False
    assert said.sentence == (
        "This referral meets no MARAC criterion: DASH score 13 is under 14, there is no "
        "professional judgement, no potential escalation (1 police-recorded domestic abuse "
        "incident in the 12 months to 2 December 2026; 3 are needed) and it is not a repeat "
        "(no earlier MARAC referral for this victim and person causing harm); add your "
        "professional judgement with your reasons, or check the DASH answers"
    )


def test_the_flags_are_named_as_reasons_for_professional_judgement() -> None:
    said = words(BASE, (JudgementFlag.STRANGULATION, JudgementFlag.THREATS_TO_KILL))
    assert said.advice is not None
    assert said.advice.endswith(
        "the DASH answers show non-fatal strangulation and threats to kill, which can "
        "justify professional judgement"
    )


def test_an_old_referral_is_said_to_be_too_long_ago_for_a_repeat() -> None:
    old = PriorReferral("r-1", "victim-1", frozenset({"perp-1"}), date(2025, 6, 1))
    said = words(replace(BASE, prior_referrals=(old,)))
    assert (
        "it is not a repeat (the last MARAC referral, on 1 June 2025, is more than 12 months ago)"
    ) in said.reasons


def test_no_checklist_is_said_as_such() -> None:
    said = words(replace(BASE, dash_score=None))
    assert said.reasons[0] == (
        "no DASH checklist was completed (visible high risk needs 14 or more)"
    )


def test_each_criterion_met_is_named_with_why() -> None:
    recent = PriorReferral("r-1", "victim-1", frozenset({"perp-1"}), date(2026, 5, 4))
    facts = replace(
        BASE,
        dash_score=15,
        professional_judgement=True,
        professional_judgement_reason="Strangled last week",
        police_incident_dates=(date(2026, 1, 5), date(2026, 4, 1), date(2026, 11, 30)),
        prior_referrals=(recent,),
    )
    said = words(facts)
    assert said.met is True
    assert said.advice is None
    assert said.sentence == (
        "This referral meets 4 MARAC criteria: Visible high risk (DASH score 15 is 14 or more), "
        "Professional judgement (you have given your reasons), Potential escalation (3 "
        "police-recorded domestic abuse incidents in the 12 months to 2 December 2026; 3 are "
        "needed) and Repeat (the last MARAC referral, on 4 May 2026, is within 12 months)."
    )


def test_one_criterion_is_singular() -> None:
    said = words(replace(BASE, dash_score=14))
    assert said.headline == "This referral meets 1 MARAC criterion"
    assert said.reasons == ("Visible high risk (DASH score 14 is 14 or more)",)


def test_the_warning_flags_are_strangulation_threats_to_kill_and_stalking_in_order() -> None:
    assert warning_flags(["stalking_or_harassment", "injury", "strangulation"]) == (
        JudgementFlag.STRANGULATION,
        JudgementFlag.STALKING,
    )
    assert warning_flags({"threats_to_kill"}) == (JudgementFlag.THREATS_TO_KILL,)
    assert warning_flags(["very_frightened", "injury"]) == ()
