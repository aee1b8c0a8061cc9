"""The stalking screen: the 11 screening questions a "yes" to DASH stalking calls for.

DOMAIN.md: a "yes" to ``stalking_or_harassment`` calls for the 11-question stalking screen
(S-DASH style). The keys are stable, like the DASH keys; ``STALKING_TEXT`` is how the form
asks them and how pages list the answers. Answers are yes / no / not known, as on the DASH
checklist, and only yes counts.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.marac.domain.dash import Answer

STALKING_QUESTIONS: tuple[str, ...] = (
    "very_frightened",
    "previous_harassment",
    "property_damaged",
    "visits_often",
    "loitering",
    "threats_of_violence",
    "third_parties_harassed",
    "violent_to_others",
    "others_engaged",
    "substance_misuse",
    "violent_in_past",
)
"""The 11 screening questions, in form order."""

STALKING_TEXT: dict[str, str] = {
    "very_frightened": "Is the victim very frightened?",
    "previous_harassment": "Has the person causing harm harassed anyone before (this victim "
    "or other victims)?",
    "property_damaged": "Has the person causing harm ever destroyed or vandalised the "
    "victim's property?",
    "visits_often": "Does the person causing harm turn up at the victim's home, work or "
    "elsewhere more than three times a week?",
    "loitering": "Has the person causing harm loitered near the victim's home, work or other "
    "places they go?",
    "threats_of_violence": "Has the person causing harm threatened physical or sexual "
    "violence during the current harassment?",
    "third_parties_harassed": "Since the harassment began, has the person causing harm "
    "harassed anyone else (for example family, children, friends, colleagues, a partner or "
    "neighbours)?",
    "violent_to_others": "Has the person causing harm been violent towards anyone during the "
    "current stalking?",
    "others_engaged": "Has the person causing harm got other people to help them, knowingly "
    "or not?",
    "substance_misuse": "Is the person causing harm known to misuse drugs or alcohol?",
    "violent_in_past": "Is the person causing harm known to have been violent in the past "
    "(physically or psychologically, reported or from intelligence)?",
}
"""How the form asks each screening question (S-DASH style), and how pages list them."""

STALKING_SCREEN_QUESTION = "stalking_or_harassment"
"""The DASH question whose "yes" calls for the screen."""

STALKING_OFFENDING_QUESTIONS: frozenset[str] = frozenset(
    {"previous_harassment", "violent_to_others", "substance_misuse", "violent_in_past"}
)
"""Answers about the perpetrator's own history: kept under offending.detail, as the DASH
answers on offending are (schemas/avro/referral_submitted/v3.avsc, docs/data-classes.md)."""


class InvalidStalkingAnswer(ValueError):
    """A screen answer names a question the screen does not ask, or is not yes/no/not known."""


def screen_needed(dash_answers: Mapping[str, str]) -> bool:
    """Whether the DASH answers call for the stalking screen."""
    return dash_answers.get(STALKING_SCREEN_QUESTION) == Answer.YES


def check_stalking_answers(answers: Mapping[str, str]) -> None:
    """Refuse unknown keys and values, naming all unknown keys at once."""
    unknown = [key for key in answers if key not in STALKING_QUESTIONS]
    if unknown:
        raise InvalidStalkingAnswer(f"the stalking screen has no question(s): {', '.join(unknown)}")
    allowed = {a.value for a in Answer}
    for key, value in answers.items():
        if value not in allowed:
            raise InvalidStalkingAnswer(
                f"stalking screen answer to {key!r} is {value!r}; "
                f"expected one of: {', '.join(sorted(allowed))}"
            )


def stalking_yes_count(answers: Mapping[str, str]) -> int:
    """How many screening questions were answered yes."""
    return sum(1 for key in STALKING_QUESTIONS if answers.get(key) == Answer.YES)
