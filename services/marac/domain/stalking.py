"""The stalking screen: the 11 screening questions a "yes" to DASH stalking calls for.

DOMAIN.md: a "yes" to ``stalking_or_harassment`` calls for the 11-question stalking screen
(S-DASH style). The keys are stable, like the DASH keys; the words people read are on the
form. Answers are yes / no / not known, as on the DASH checklist, and only yes counts.
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

STALKING_SCREEN_QUESTION = "stalking_or_harassment"
"""The DASH question whose "yes" calls for the screen."""


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
