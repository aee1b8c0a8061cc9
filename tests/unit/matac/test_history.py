from datetime import date
from decimal import Decimal

import pytest

from services.matac.domain.history import score_history
from services.matac.policy import load_policy
from tests.unit.matac.factories import incident

POLICY = load_policy()
RECORDS = [incident("I1", date(2024, 1, 10), "abh")]  # 6 points: F 1, G 3


def test_history_steps_from_start_and_ends_on_end():
    history = score_history(RECORDS, POLICY, date(2024, 1, 1), date(2024, 3, 5), step_days=30)
    assert history == [
        (date(2024, 1, 1), Decimal(0)),  # before the incident
        (date(2024, 1, 31), Decimal(12)),  # 0 months: R 5 -> 5 + 1 + 6
        (date(2024, 3, 1), Decimal(11)),  # 2 months: R 4 -> 4 + 1 + 6
        (date(2024, 3, 5), Decimal(11)),  # end added, not on a step
    ]


def test_history_does_not_repeat_an_end_that_lands_on_a_step():
    history = score_history(RECORDS, POLICY, date(2024, 1, 1), date(2024, 3, 1), step_days=30)
    assert [day for day, _ in history] == [date(2024, 1, 1), date(2024, 1, 31), date(2024, 3, 1)]


def test_history_of_a_single_day():
    assert score_history(RECORDS, POLICY, date(2024, 1, 10), date(2024, 1, 10), 7) == [
        (date(2024, 1, 10), Decimal(12))
    ]


def test_history_rejects_bad_ranges():
    with pytest.raises(ValueError, match="step_days must be at least 1"):
        score_history(RECORDS, POLICY, date(2024, 1, 1), date(2024, 2, 1), step_days=0)
    with pytest.raises(ValueError, match="end 2023-12-31 is before start 2024-01-01"):
        score_history(RECORDS, POLICY, date(2024, 1, 1), date(2023, 12, 31), step_days=1)
