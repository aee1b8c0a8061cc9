"""A perpetrator's score over time, for charting how it rises with incidents and decays."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from services.matac.domain.model import Incident
from services.matac.domain.scoring import score_perpetrator
from services.matac.policy import MatacPolicy


def score_history(
    incidents: Iterable[Incident], policy: MatacPolicy, start: date, end: date, step_days: int
) -> list[tuple[date, Decimal]]:
    """Scores on `start`, every `step_days` after it up to `end`, and on `end` itself
    (added when the steps do not land on it), each as if scored on that date."""
    if step_days < 1:
        raise ValueError(f"step_days must be at least 1, got {step_days}")
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    records = tuple(incidents)
    days = [
        start + timedelta(days=offset) for offset in range(0, (end - start).days + 1, step_days)
    ]
    if days[-1] != end:
        days.append(end)
    return [(day, score_perpetrator(records, policy, day).total) for day in days]
