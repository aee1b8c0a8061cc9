"""MARAC referral criteria: which of the four are met, or why the referral is refused.

Any one criterion is enough. The criteria are derived from the facts, never from what the
referrer ticked, so nothing a referrer says can remove *visible high risk* once the DASH
score reaches the threshold: professional judgement only ever adds a criterion.

A refusal is an ordinary outcome, so it is returned (``CriteriaDecision.refusal_reason``)
rather than raised. ``CriteriaError`` is kept for facts that are wrong in themselves, such
as professional judgement claimed without a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from services.marac.domain.months import add_months
from services.marac.domain.repeats import PriorReferral, RepeatFinding, RepeatMatch, find_repeat


class Criterion(StrEnum):
    """The four MARAC referral criteria, in the order DOMAIN.md lists them."""

    VISIBLE_HIGH_RISK = "visible_high_risk"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"
    POTENTIAL_ESCALATION = "potential_escalation"
    REPEAT = "repeat"


CRITERION_LABELS: dict[str, str] = {
    Criterion.VISIBLE_HIGH_RISK: "Visible high risk",
    Criterion.PROFESSIONAL_JUDGEMENT: "Professional judgement",
    Criterion.POTENTIAL_ESCALATION: "Potential escalation",
    Criterion.REPEAT: "Repeat",
}
"""How people say each criterion: the words on pages and in exports (the codes stay in the API)."""


class CriteriaError(ValueError):
    """The referral facts contradict themselves (not a refusal)."""


@dataclass(frozen=True)
class CriteriaRules:
    """The policy values the criteria depend on."""

    visible_high_risk_threshold: int
    escalation_incidents: int
    escalation_window_months: int
    repeat_window_months: int
    repeat_match: RepeatMatch


@dataclass(frozen=True)
class ReferralFacts:
    """What is known about a referral when it is assessed.

    ``dash_score`` is None when no checklist was completed. ``police_incident_dates`` are
    the dates of police-recorded domestic abuse incidents involving this victim; incidents
    after the referral date are ignored. ``prior_referrals`` are earlier MARAC referrals
    (not this one) for repeat detection.
    """

    referral_date: date
    victim_id: str
    perpetrator_ids: frozenset[str] = field(default_factory=frozenset)
    dash_score: int | None = None
    professional_judgement: bool = False
    professional_judgement_reason: str | None = None
    police_incident_dates: tuple[date, ...] = ()
    prior_referrals: tuple[PriorReferral, ...] = ()


@dataclass(frozen=True)
class CriteriaDecision:
    """The criteria met, with the evidence behind the escalation and repeat checks."""

    criteria_met: tuple[Criterion, ...]
    repeat: RepeatFinding
    escalation_incident_count: int
    escalation_window_start: date
    refusal_reason: str | None

    @property
    def accepted(self) -> bool:
        """True when at least one criterion is met."""
        return bool(self.criteria_met)


def assess_criteria(facts: ReferralFacts, rules: CriteriaRules) -> CriteriaDecision:
    """Decide which referral criteria the facts meet; refuse with a reason if none are."""
    if facts.dash_score is not None and facts.dash_score < 0:
        raise CriteriaError(f"DASH score cannot be negative, got {facts.dash_score}")
    judgement_given = _professional_judgement_given(facts)
    window_start = add_months(facts.referral_date, -rules.escalation_window_months)
    incident_count = sum(
        1 for day in facts.police_incident_dates if window_start <= day <= facts.referral_date
    )
    repeat = find_repeat(
        facts.referral_date,
        facts.victim_id,
        facts.perpetrator_ids,
        facts.prior_referrals,
        window_months=rules.repeat_window_months,
        match=rules.repeat_match,
    )

    met: list[Criterion] = []
    if facts.dash_score is not None and facts.dash_score >= rules.visible_high_risk_threshold:
        met.append(Criterion.VISIBLE_HIGH_RISK)
    if judgement_given:
        met.append(Criterion.PROFESSIONAL_JUDGEMENT)
    if incident_count >= rules.escalation_incidents:
        met.append(Criterion.POTENTIAL_ESCALATION)
    if repeat.is_repeat:
        met.append(Criterion.REPEAT)

    return CriteriaDecision(
        criteria_met=tuple(met),
        repeat=repeat,
        escalation_incident_count=incident_count,
        escalation_window_start=window_start,
        refusal_reason=None if met else _refusal_reason(facts, rules, incident_count, repeat),
    )


def _professional_judgement_given(facts: ReferralFacts) -> bool:
    """Professional judgement counts only with a reason a chair can read."""
    if not facts.professional_judgement:
        return False
    reason = facts.professional_judgement_reason
    if reason is None or not reason.strip():
        raise CriteriaError(
            "professional judgement needs a reason: say why the referrer believes the risk is high"
        )
    return True


def _refusal_reason(
    facts: ReferralFacts, rules: CriteriaRules, incident_count: int, repeat: RepeatFinding
) -> str:
    """Say which thresholds were missed and what would let the referral through."""
    threshold = rules.visible_high_risk_threshold
    if facts.dash_score is None:
        opening = f"No DASH score was given (visible high risk needs {threshold} or more)"
    else:
        opening = f"DASH score {facts.dash_score} is below {threshold}"
    incidents = "incident" if incident_count == 1 else "incidents"
    return (
        f"{opening} and no other criterion is met: give professional judgement with a "
        f"reason, or record the police domestic abuse incidents that show escalation "
        f"({incident_count} {incidents} in the {rules.escalation_window_months} months to "
        f"{facts.referral_date.isoformat()}; {rules.escalation_incidents} are needed). "
        f"{_repeat_note(repeat, rules)}"
    )


def _repeat_note(repeat: RepeatFinding, rules: CriteriaRules) -> str:
    """Explain why the referral is not a repeat."""
    if repeat.last_referral_date is None:
        whose = (
            "victim" if rules.repeat_match is RepeatMatch.SAME_VICTIM else "victim and perpetrator"
        )
        return f"No earlier MARAC referral was found for this {whose}."
    return (
        f"The last MARAC referral ({repeat.last_referral_date.isoformat()}) is more than "
        f"{rules.repeat_window_months} months before this one, so this is not a repeat."
    )
