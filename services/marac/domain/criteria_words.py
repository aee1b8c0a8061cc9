"""The MARAC criteria and the DASH warning flags in plain words, for the referral form.

``assess_criteria`` decides; this module says what it decided in words a referrer can act on
before sending, e.g. "This referral meets no MARAC criterion: DASH score 13 is under 14,
there is no professional judgement, ...; add your professional judgement ...". Pure: the
facts and the decision come in, the words go out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.marac.domain.criteria import (
    CRITERION_LABELS,
    CriteriaDecision,
    CriteriaRules,
    Criterion,
    ReferralFacts,
)
from services.marac.domain.dash import JudgementFlag
from services.marac.domain.repeats import RepeatMatch

WARNING_FLAGS: dict[str, JudgementFlag] = {
    "strangulation": JudgementFlag.STRANGULATION,
    "threats_to_kill": JudgementFlag.THREATS_TO_KILL,
    "stalking_or_harassment": JudgementFlag.STALKING,
}
"""The DASH questions whose "yes" is flagged while answering, and the flag each raises."""

FLAG_LABELS: dict[str, str] = {
    JudgementFlag.STRANGULATION: "Non-fatal strangulation",
    JudgementFlag.THREATS_TO_KILL: "Threats to kill",
    JudgementFlag.STALKING: "Stalking or harassment",
    JudgementFlag.HIGH_FEAR: "The victim is very frightened",
    JudgementFlag.SEPARATION_CONTROL_AND_VIOLENCE: "Separation, controlling behaviour and violence",
}
"""How people say each judgement flag."""


def warning_flags(yes_questions: Iterable[str]) -> tuple[JudgementFlag, ...]:
    """The strangulation / threats-to-kill / stalking flags the "yes" answers raise, in order."""
    yes = set(yes_questions)
    return tuple(flag for key, flag in WARNING_FLAGS.items() if key in yes)


@dataclass(frozen=True)
class CriteriaWords:
    """What the criteria page says: a headline, the reasons behind it, and what to do next."""

    met: bool
    headline: str
    reasons: tuple[str, ...]
    advice: str | None

    @property
    def sentence(self) -> str:
        """All of it as one sentence, as the page's summary reads aloud."""
        text = f"{self.headline}: {_join(self.reasons)}"
        return f"{text}; {self.advice}" if self.advice else f"{text}."


def describe_criteria(
    facts: ReferralFacts,
    rules: CriteriaRules,
    decision: CriteriaDecision,
    flags: Iterable[JudgementFlag] = (),
) -> CriteriaWords:
    """Say which criteria the referral meets and why, or why it meets none and what would help."""
    if decision.accepted:
        count = len(decision.criteria_met)
        criteria = "criterion" if count == 1 else "criteria"
        return CriteriaWords(
            met=True,
            headline=f"This referral meets {count} MARAC {criteria}",
            reasons=tuple(
                f"{CRITERION_LABELS[c]} ({_why_met(c, facts, rules, decision)})"
                for c in decision.criteria_met
            ),
            advice=None,
        )
    reasons = (
        _dash_shortfall(facts, rules),
        "there is no professional judgement",
        f"no potential escalation ({_incidents(decision, facts, rules)})",
        f"it is not a repeat ({_not_repeat(decision, rules)})",
    )
    advice = "add your professional judgement with your reasons, or check the DASH answers"
    flagged = [FLAG_LABELS[f].lower() for f in flags]
    if flagged:
        advice += (
            f"; the DASH answers show {_join(flagged)}, which can justify professional judgement"
        )
    return CriteriaWords(
        met=False,
        headline="This referral meets no MARAC criterion",
        reasons=reasons,
        advice=advice,
    )


def _why_met(
    criterion: Criterion, facts: ReferralFacts, rules: CriteriaRules, decision: CriteriaDecision
) -> str:
    if criterion is Criterion.VISIBLE_HIGH_RISK:
        return f"DASH score {facts.dash_score} is {rules.visible_high_risk_threshold} or more"
    if criterion is Criterion.PROFESSIONAL_JUDGEMENT:
        return "you have given your reasons"
    if criterion is Criterion.POTENTIAL_ESCALATION:
        return _incidents(decision, facts, rules)
    last = decision.repeat.last_referral_date
    return (
        f"the last MARAC referral, on {_long(last)}, is within {rules.repeat_window_months} months"
        if last
        else "an earlier MARAC referral is within the repeat window"
    )


def _dash_shortfall(facts: ReferralFacts, rules: CriteriaRules) -> str:
    threshold = rules.visible_high_risk_threshold
    if facts.dash_score is None:
        return f"no DASH checklist was completed (visible high risk needs {threshold} or more)"
    return f"DASH score {facts.dash_score} is under {threshold}"


def _incidents(decision: CriteriaDecision, facts: ReferralFacts, rules: CriteriaRules) -> str:
    count = decision.escalation_incident_count
    noun = "incident" if count == 1 else "incidents"
    return (
        f"{count} police-recorded domestic abuse {noun} in the "
        f"{rules.escalation_window_months} months to {_long(facts.referral_date)}; "
        f"{rules.escalation_incidents} are needed"
    )


def _not_repeat(decision: CriteriaDecision, rules: CriteriaRules) -> str:
    last = decision.repeat.last_referral_date
    if last is None:
        whose = (
            "victim"
            if rules.repeat_match is RepeatMatch.SAME_VICTIM
            else "victim and person causing harm"
        )
        return f"no earlier MARAC referral for this {whose}"
    return (
        f"the last MARAC referral, on {_long(last)}, is more than "
        f"{rules.repeat_window_months} months ago"
    )


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _join(parts: Iterable[str]) -> str:
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
