"""The benchmark data generator: deterministic, shaped like the force, valid against the schema."""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise

import pytest

from bench.generator import THAMES_VALLEY, generate_referrals
from services.kernel.codec import Codec
from services.kernel.registry import EmbeddedRegistry
from services.kernel.schemas import SchemaCatalogue
from services.kernel.settings import Settings
from services.marac.domain.dash import DashForm

SAMPLE = 2_000


@pytest.fixture(scope="module")
def codec() -> Codec:
    catalogue = SchemaCatalogue.load(Settings().schemas_dir)
    return Codec(catalogue, EmbeddedRegistry(catalogue))


@pytest.fixture(scope="module")
def events():
    return list(generate_referrals(SAMPLE, seed=42))


def test_the_same_seed_gives_the_same_events_to_the_byte(codec):
    first = [codec.encode(e) for e in generate_referrals(200, seed=7)]
    second = [codec.encode(e) for e in generate_referrals(200, seed=7)]
    assert first == second


def test_another_seed_gives_other_events():
    ids = {e.event_id for e in generate_referrals(50, seed=1)}
    assert ids.isdisjoint(e.event_id for e in generate_referrals(50, seed=2))


def test_every_event_fits_the_referral_schema(codec, events):
    for event in events:
        codec.validate(event)  # raises EventValidationError naming the field


def test_ids_are_unique(events):
    assert len({e.event_id for e in events}) == SAMPLE
    assert len({e.payload["referral_id"] for e in events}) == SAMPLE


def test_about_31_percent_are_repeats(events):
    share = sum(e.payload["repeat"] for e in events) / SAMPLE
    assert 0.28 <= share <= 0.34


def test_a_repeat_reuses_the_case_victim_and_a_perpetrator_within_12_months(events):
    seen: dict[str, dict] = {}
    for event in events:
        p = event.payload
        earlier = seen.get(p["case_id"])
        if p["repeat"]:
            assert earlier is not None, "a repeat must follow an earlier referral of its case"
            assert p["victim"]["person_id"] == earlier["victim"]["person_id"]
            assert {x["person_id"] for x in p["perpetrators"]} & {
                x["person_id"] for x in earlier["perpetrators"]
            }
            assert p["last_referral_date"] == earlier["referral_date"]
            assert (p["referral_date"] - earlier["referral_date"]).days <= 366
            assert "repeat" in p["criteria"]
            assert event.aggregate_id == p["case_id"]
        else:
            assert earlier is None, "a referral of a known case within 12 months is a repeat"
            assert p["last_referral_date"] is None
        seen[p["case_id"]] = p


def test_referrals_arrive_in_date_order_at_about_2700_a_year(events):
    dates = [e.payload["referral_date"] for e in events]
    assert all(a <= b for a, b in pairwise(dates))
    days = (dates[-1] - dates[0]).days
    assert days == pytest.approx(SAMPLE * 365.25 / THAMES_VALLEY.referrals_per_year, abs=2)


def test_most_referrals_are_visible_high_risk_and_the_rest_have_another_criterion(events):
    scores = [e.payload["dash_score"] for e in events]
    high = sum(score >= 14 for score in scores) / SAMPLE
    assert 0.6 <= high <= 0.8
    for event in events:
        p = event.payload
        assert p["criteria"], "every referral meets at least one criterion"
        assert ("visible_high_risk" in p["criteria"]) == (p["dash_score"] >= 14)
        if "professional_judgement" in p["criteria"]:
            assert p["professional_judgement_reason"]
        assert p["risk_level"] == (
            "high" if p["dash_score"] >= 14 else "medium" if p["dash_score"] >= 10 else "standard"
        )


def test_dash_answers_add_up_to_the_score_on_the_right_form(events):

    for event in events[:300]:
        p = event.payload
        answers = json.loads(p["dash_answers"])
        assert list(answers) == list(DashForm(p["dash_form"]).questions)
        assert sum(a == "yes" for a in answers.values()) == p["dash_score"]
        assert (p["dash_form"] == "police") == (p["referring_agency_type"] == "police")


def test_people_areas_and_agencies_have_the_force_shape(events):
    perpetrators = Counter(len(e.payload["perpetrators"]) for e in events)
    children = Counter(len(e.payload["children"]) for e in events)
    assert set(perpetrators) <= {1, 2, 3} and perpetrators[1] > SAMPLE / 2
    assert set(children) <= {0, 1, 2, 3, 4}
    assert 0.9 <= sum(k * n for k, n in children.items()) / SAMPLE <= 1.5
    assert {e.payload["marac_area"] for e in events} == {a.marac_area for a in THAMES_VALLEY.areas}
    agencies = Counter(e.payload["referring_agency_type"] for e in events)
    assert agencies.most_common(1)[0][0] == "police"
    for event in events:
        assert event.envelope.agency == event.payload["referring_agency"]
        phone = event.payload["victim"]["phone"]
        assert phone is None or phone.startswith("07700 900")  # Ofcom's drama range
