"""Stored payloads to fold facts: dates parsed, sensitive values never carried."""

from datetime import date

import pytest

from services.mappa.domain.nominal import fold
from services.mappa.facts import PROTECTED, FactsError, facts
from tests.unit.mappa.builders import POLICY


def test_registration_keeps_structure_and_drops_identity():
    payload = {
        "nominal_id": "N1",
        "area": "thames-valley",
        "lead_agency": "probation-tv",
        "registered_on": "2026-01-12",
        "name": "enc:v1:AAAA",
        "date_of_birth": "enc:v1:BBBB",
        "sentence_date": "2021-03-04",
    }
    assert facts("MappaNominalRegistered", payload) == {
        "type": "MappaNominalRegistered",
        "nominal_id": "N1",
        "area": "thames-valley",
        "lead_agency": "probation-tv",
        "registered_on": date(2026, 1, 12),
    }


def test_level_reason_and_decider_are_replaced_and_absent_optionals_stay_absent():
    payload = {
        "nominal_id": "N1",
        "level": 3,
        "effective_on": "2026-03-02",
        "decided_by": "enc:v1:DDDD",
        "reason": "enc:v1:CCCC",
        "senior_oversight_need": None,
    }
    assert facts("MappaLevelSet", payload) == {
        "type": "MappaLevelSet",
        "level": 3,
        "effective_on": date(2026, 3, 2),
        "decided_by": PROTECTED,
        "reason": PROTECTED,
        "senior_oversight_need": None,
    }


def test_why_management_ended_is_replaced():
    payload = {"nominal_id": "N1", "ended_on": "2027-03-03", "reason": "enc:v1:EEEE"}
    assert facts("MappaManagementEnded", payload) == {
        "type": "MappaManagementEnded",
        "ended_on": date(2027, 3, 3),
        "reason": PROTECTED,
    }


def test_a_stored_stream_folds_to_the_domain_state():
    stream = [
        (
            "MappaNominalRegistered",
            {
                "nominal_id": "N1",
                "area": "a",
                "lead_agency": "tvp",
                "registered_on": "2026-01-12",
            },
        ),
        (
            "MappaLevelSet",
            {"level": 2, "effective_on": "2026-01-19", "decided_by": "c", "reason": "enc:v1:x"},
        ),
        ("MappaReviewHeld", {"held_on": "2026-05-11", "outcome": "enc:v1:y"}),
    ]
    state = fold([facts(t, p) for t, p in stream], POLICY)
    assert state.level == 2
    assert state.last_review_on == date(2026, 5, 11)
    # 16 weeks after 11 May 2026: 20 + 30 + 31 + 31 = 112 days -> 31 August 2026.
    assert state.next_review_due == date(2026, 8, 31)
    assert state.level_history[0].reason == PROTECTED


def test_unknown_type_and_bad_date_are_refused():
    with pytest.raises(FactsError, match="not a MAPPA event type"):
        facts("ReferralSubmitted", {})
    with pytest.raises(FactsError, match="held_on is not a date"):
        facts("MappaReviewHeld", {"held_on": "11/05/2026"})
