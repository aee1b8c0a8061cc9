"""DASH risk checklist: question keys, scoring, risk bands and judgement flags.

The score is the count of "yes" answers; "no" and "not known" never count, and a question
left out counts as not answered (a referrer may not have been able to ask it). The bands
that turn a score into a risk level are local, not national, so they come from policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

PARTNER_QUESTIONS: tuple[str, ...] = (
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
"""The 24 questions of the partner-agency checklist, in form order."""

POLICE_CHILDREN_QUESTIONS: tuple[str, ...] = (
    "other_children_in_household",
    "hurt_children",
    "threatened_children",
)
"""The three questions about children and dependants that only the police form asks."""

_CHILDREN_INSERTED_AFTER = PARTNER_QUESTIONS.index("pregnant_or_recent_birth") + 1

POLICE_QUESTIONS: tuple[str, ...] = (
    PARTNER_QUESTIONS[:_CHILDREN_INSERTED_AFTER]
    + POLICE_CHILDREN_QUESTIONS
    + PARTNER_QUESTIONS[_CHILDREN_INSERTED_AFTER:]
)
"""The 27 questions of the police form, in form order."""


class Answer(StrEnum):
    """An answer to one DASH question; only YES adds to the score."""

    YES = "yes"
    NO = "no"
    NOT_KNOWN = "not_known"


class DashForm(StrEnum):
    """Which checklist was used: it decides which question keys are valid."""

    PARTNER = "partner"
    POLICE = "police"

    @property
    def questions(self) -> tuple[str, ...]:
        """The form's question keys, in order."""
        return POLICE_QUESTIONS if self is DashForm.POLICE else PARTNER_QUESTIONS


class RiskLevel(StrEnum):
    """DASH risk levels, declared from least to most severe."""

    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def severity(self) -> int:
        """0 for standard, rising with severity; lets bands be checked for order."""
        return list(RiskLevel).index(self)


class JudgementFlag(StrEnum):
    """Answers that warrant a professional-judgement look even when the score is under 14."""

    STRANGULATION = "strangulation"
    THREATS_TO_KILL = "threats_to_kill"
    STALKING = "stalking"
    HIGH_FEAR = "high_fear"
    SEPARATION_CONTROL_AND_VIOLENCE = "separation_control_and_violence"


@dataclass(frozen=True)
class DashBand:
    """Scores from ``min_score`` to ``max_score`` inclusive map to ``level``.

    ``max_score`` is None for the open-ended top band.
    """

    level: RiskLevel
    min_score: int
    max_score: int | None

    def contains(self, score: int) -> bool:
        """Whether ``score`` falls inside this band."""
        return self.min_score <= score and (self.max_score is None or score <= self.max_score)


@dataclass(frozen=True)
class DashResult:
    """The outcome of scoring one completed checklist."""

    form: DashForm
    score: int
    risk_level: RiskLevel
    stalking_screen_needed: bool
    judgement_flags: tuple[JudgementFlag, ...]
    yes_questions: tuple[str, ...]
    unanswered_questions: tuple[str, ...]


class UnknownDashQuestion(ValueError):
    """Answers were given to keys that the chosen form does not ask."""

    def __init__(self, form: DashForm, unknown_keys: Sequence[str]) -> None:
        self.form = form
        self.unknown_keys = tuple(unknown_keys)
        super().__init__(
            f"the {form.value} DASH form has no question(s): {', '.join(self.unknown_keys)}"
        )


class InvalidDashAnswer(ValueError):
    """An answer value is not one of yes / no / not_known."""

    def __init__(self, key: str, value: object) -> None:
        self.key = key
        self.value = value
        allowed = ", ".join(answer.value for answer in Answer)
        super().__init__(f"DASH answer to {key!r} is {value!r}; expected one of: {allowed}")


# Physical or sexual violence, for the separation + control + violence combination.
_VIOLENCE_QUESTIONS = ("injury", "sexual_abuse", "strangulation")


def score_dash(
    answers: Mapping[str, str | Answer],
    form: DashForm,
    *,
    bands: Sequence[DashBand],
) -> DashResult:
    """Score a checklist: count the yeses, band the score, and raise the judgement flags.

    Unknown question keys raise ``UnknownDashQuestion`` naming all of them at once, so a
    referrer can fix the form in one go; a bad answer value raises ``InvalidDashAnswer``.
    """
    questions = form.questions
    unknown = [key for key in answers if key not in questions]
    if unknown:
        raise UnknownDashQuestion(form, unknown)
    parsed = {key: _parse_answer(key, value) for key, value in answers.items()}
    yes_questions = tuple(key for key in questions if parsed.get(key) is Answer.YES)
    score = len(yes_questions)
    return DashResult(
        form=form,
        score=score,
        risk_level=risk_level_for(score, bands),
        stalking_screen_needed="stalking_or_harassment" in yes_questions,
        judgement_flags=judgement_flags(frozenset(yes_questions)),
        yes_questions=yes_questions,
        unanswered_questions=tuple(key for key in questions if key not in parsed),
    )


def risk_level_for(score: int, bands: Sequence[DashBand]) -> RiskLevel:
    """Return the level of the band containing ``score``; the policy guarantees one exists."""
    for band in bands:
        if band.contains(score):
            return band.level
    raise ValueError(f"no DASH band contains the score {score}")


def judgement_flags(yes_questions: frozenset[str]) -> tuple[JudgementFlag, ...]:
    """Flags raised by the "yes" answers, in a fixed order; computed whatever the score."""
    flags: list[JudgementFlag] = []
    if "strangulation" in yes_questions:
        flags.append(JudgementFlag.STRANGULATION)
    if "threats_to_kill" in yes_questions:
        flags.append(JudgementFlag.THREATS_TO_KILL)
    if "stalking_or_harassment" in yes_questions:
        flags.append(JudgementFlag.STALKING)
    if "very_frightened" in yes_questions:
        flags.append(JudgementFlag.HIGH_FEAR)
    if (
        "separation" in yes_questions
        and "controlling_or_jealous" in yes_questions
        and any(key in yes_questions for key in _VIOLENCE_QUESTIONS)
    ):
        flags.append(JudgementFlag.SEPARATION_CONTROL_AND_VIOLENCE)
    return tuple(flags)


def _parse_answer(key: str, value: object) -> Answer:
    """Accept an ``Answer`` or its exact string value; anything else names the key."""
    if isinstance(value, str):
        try:
            return Answer(value)
        except ValueError:
            pass
    raise InvalidDashAnswer(key, value)
