"""Shared test data: an explicit policy (independent of the packaged file) and event dicts."""

from datetime import date
from typing import Any

from services.mappa.domain.nominal import NominalState, fold
from services.mappa.domain.policy_model import (
    IntervalUnit,
    MappaPolicy,
    ReviewInterval,
    ReviewIntervals,
)

POLICY = MappaPolicy(
    review_intervals=ReviewIntervals(
        level_1=ReviewInterval(12, IntervalUnit.MONTHS),
        level_2=ReviewInterval(16, IntervalUnit.WEEKS),
        level_3=ReviewInterval(8, IntervalUnit.WEEKS),
    ),
    category_4_enabled=False,
    due_soon_horizon_days=28,
    responsible_authority_agency_types=("police", "probation", "prisons"),
    reporting_year_start_month=4,
)

REGISTERED_ON = date(2025, 1, 6)


def registered(
    nominal_id: str = "N1",
    area: str = "North",
    on: date = REGISTERED_ON,
    lead_agency: str = "probation",
) -> dict[str, Any]:
    return {
        "type": "MappaNominalRegistered",
        "nominal_id": nominal_id,
        "area": area,
        "registered_on": on,
        "lead_agency": lead_agency,
    }


def category(number: int, on: date, **extra: Any) -> dict[str, Any]:
    return {"type": "MappaCategoryAssigned", "category": number, "effective_on": on, **extra}


def level(number: int, on: date, **extra: Any) -> dict[str, Any]:
    event = {
        "type": "MappaLevelSet",
        "level": number,
        "effective_on": on,
        "reason": "panel decision",
        "decided_by": "MAPPA chair",
        "senior_oversight_need": "media interest" if number == 3 else None,
    }
    return {**event, **extra}


def review(on: date, next_review_on: date | None = None) -> dict[str, Any]:
    return {"type": "MappaReviewHeld", "held_on": on, "next_review_on": next_review_on}


def ended(on: date, reason: str = "licence expired") -> dict[str, Any]:
    return {"type": "MappaManagementEnded", "ended_on": on, "reason": reason}


def transferred(direction: str, other_area: str, on: date) -> dict[str, Any]:
    return {
        "type": "MappaTransferred",
        "direction": direction,
        "other_area": other_area,
        "effective_on": on,
    }


def state_of(*events: dict[str, Any]) -> NominalState:
    state = fold(events, POLICY)
    assert state is not None
    return state
