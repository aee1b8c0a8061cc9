"""The stalking screen: 11 questions, called for by a "yes" to DASH stalking."""

from __future__ import annotations

import pytest

from services.marac.domain.stalking import (
    STALKING_QUESTIONS,
    InvalidStalkingAnswer,
    check_stalking_answers,
    screen_needed,
    stalking_yes_count,
)


def test_there_are_eleven_distinct_questions() -> None:
    assert len(STALKING_QUESTIONS) == 11
    assert len(set(STALKING_QUESTIONS)) == 11


def test_only_a_yes_to_dash_stalking_calls_for_the_screen() -> None:
    assert screen_needed({"stalking_or_harassment": "yes"})
    assert not screen_needed({"stalking_or_harassment": "not_known"})
    assert not screen_needed({"injury": "yes"})


def test_unknown_keys_and_values_are_refused() -> None:
    with pytest.raises(InvalidStalkingAnswer, match="no question.*colour, size"):
        check_stalking_answers({"colour": "yes", "size": "no", "loitering": "yes"})
    with pytest.raises(InvalidStalkingAnswer, match="'loitering' is 'maybe'"):
        check_stalking_answers({"loitering": "maybe"})
    check_stalking_answers({"loitering": "yes", "very_frightened": "not_known"})


def test_only_yes_counts() -> None:
    assert (
        stalking_yes_count({"loitering": "yes", "visits_often": "no", "others_engaged": "yes"}) == 2
    )
