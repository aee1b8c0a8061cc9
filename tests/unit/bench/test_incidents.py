"""The MATAC incident generator: deterministic, exact volumes, the force's shape, valid events."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from itertools import pairwise

import pytest

from bench.generator import THAMES_VALLEY_AREAS
from bench.incidents import IncidentGenerator, incident_counts
from services.kernel.codec import Codec
from services.kernel.registry import EmbeddedRegistry
from services.kernel.schemas import SchemaCatalogue
from services.kernel.settings import Settings
from services.matac.commands import check_status_change
from services.matac.domain.dates import age_on
from services.matac.domain.model import Status, StatusChange
from services.matac.policy import known_offence_categories, load_policy

INCIDENTS, PEOPLE = 3_000, 1_200


@pytest.fixture(scope="module")
def codec() -> Codec:
    catalogue = SchemaCatalogue.load(Settings().schemas_dir)
    return Codec(catalogue, EmbeddedRegistry(catalogue))


@pytest.fixture(scope="module")
def generator() -> IncidentGenerator:
    return IncidentGenerator(INCIDENTS, PEOPLE, years=3, seed=11)


@pytest.fixture(scope="module")
def events(generator):
    return list(generator)


@pytest.fixture(scope="module")
def incidents(events):
    return [e for e in events if e.event_type == "IncidentRecorded"]


def test_the_same_seed_gives_the_same_events_to_the_byte(codec):
    first = [codec.encode(e) for e in IncidentGenerator(300, 120, seed=7)]
    second = [codec.encode(e) for e in IncidentGenerator(300, 120, seed=7)]
    assert first == second


def test_another_seed_gives_other_people_and_events():
    one, two = list(IncidentGenerator(200, 80, seed=1)), list(IncidentGenerator(200, 80, seed=2))
    assert {e.event_id for e in one}.isdisjoint(e.event_id for e in two)
    assert {e.aggregate_id for e in one}.isdisjoint(e.aggregate_id for e in two)


def test_every_event_fits_its_schema(codec, events):
    for event in events:
        codec.validate(event)  # raises EventValidationError naming the field


def test_exactly_the_incidents_and_suspects_asked_for(generator, events, incidents):
    assert len(incidents) == INCIDENTS
    assert len({e.payload["suspect_person_id"] for e in incidents}) == PEOPLE
    assert len(events) == generator.total_events == INCIDENTS + generator.status_changes
    assert len({e.event_id for e in events}) == len(events)
    assert len({e.payload["incident_id"] for e in incidents}) == INCIDENTS


@pytest.mark.parametrize(
    ("total", "people", "largest"), [(100, 100, 5), (1_000, 400, 60), (5_000, 300, 20)]
)
def test_incident_counts_hit_the_total_within_the_bounds(total, people, largest):
    counts = incident_counts(random.Random(3), total, people, largest)
    assert len(counts) == people and sum(counts) == total
    assert min(counts) >= 1 and max(counts) <= largest


def test_incident_counts_refuse_what_cannot_add_up():
    with pytest.raises(ValueError):
        incident_counts(random.Random(0), 10, 20, 5)


def test_most_suspects_have_one_incident_and_a_tail_offends_often_against_several(incidents):
    per_suspect = Counter(e.payload["suspect_person_id"] for e in incidents)
    spread = Counter(per_suspect.values())
    assert 0.5 <= spread[1] / PEOPLE <= 0.75
    assert sum(n for k, n in spread.items() if k >= 5) >= PEOPLE * 0.05
    victims: dict[str, set[str]] = defaultdict(set)
    for e in incidents:
        victims[e.payload["suspect_person_id"]].update(e.payload["victim_person_ids"])
    serial = sum(1 for ids in victims.values() if len(ids) >= 2)
    assert 0.05 * PEOPLE <= serial <= 0.3 * PEOPLE
    suspects = set(per_suspect)
    assert all(not suspects & ids for ids in victims.values()), "a victim id is a suspect id"


def test_incidents_come_in_date_order_with_timestamps_from_their_dates(generator, events):
    days = [e.envelope.occurred_at.date() for e in events]
    assert all(a <= b for a, b in pairwise(days))
    assert days[0] >= generator.start and days[-1] <= generator.end
    assert (generator.end - generator.start).days == 1095
    for event in events:
        assert event.envelope.recorded_at > event.envelope.occurred_at
        day = event.payload.get("occurred_on") or event.payload.get("effective_on")
        assert event.envelope.occurred_at.date() == day


def test_offences_are_the_policy_harm_table_keys_in_a_realistic_mix(incidents):
    known = known_offence_categories(load_policy())
    crimes = [e for e in incidents if e.payload["is_crime"]]
    assert 0.5 <= len(crimes) / INCIDENTS <= 0.65
    offences = Counter()
    for e in incidents:
        categories = e.payload["offence_categories"]
        assert set(categories) <= known
        assert bool(categories) == e.payload["is_crime"]
        assert (e.payload["crime_reference"] is not None) == e.payload["is_crime"]
        offences.update(categories)
    common = {"common_assault", "abh", "harassment", "criminal_damage", "coercive_control"}
    assert {code for code, _ in offences.most_common(5)} == common
    assert offences["rape"] < offences["common_assault"] / 10
    assert offences["attempted_murder"] <= offences["rape"]


def test_suspects_are_mostly_16_or_over_with_ages_that_agree_with_dates_of_birth(incidents):
    ages = [e.payload["suspect_age"] for e in incidents]
    known = [a for a in ages if a is not None]
    assert 0.95 <= len(known) / INCIDENTS < 1
    assert any(a < 16 for a in known), "some 14-15 year olds exercise the age rule"
    assert sum(a < 16 for a in known) / len(known) < 0.03
    for e in incidents:
        p = e.payload
        if p["suspect_age"] is not None and p["suspect_date_of_birth"] is not None:
            born = dt.date.fromisoformat(p["suspect_date_of_birth"])
            assert age_on(born, p["occurred_on"]) == p["suspect_age"]


def test_events_are_keyed_by_the_suspect_in_the_force_areas(events):
    codes = {a.code for a in THAMES_VALLEY_AREAS}
    for e in events:
        p = e.payload
        assert e.aggregate_id == p.get("suspect_person_id", p.get("person_id"))
        assert e.envelope.agency == "tvp"
        if e.event_type == "IncidentRecorded":
            assert p["policing_area"] in codes
    areas = {e.payload["policing_area"] for e in events if e.event_type == "IncidentRecorded"}
    assert areas == codes


def test_status_changes_are_ones_the_matac_rules_accept(generator, events):
    assert generator.status_changes > 0
    first_incident: dict[str, object] = {}
    changes: dict[str, list[StatusChange]] = defaultdict(list)
    kinds = Counter()
    for e in events:
        p = e.payload
        if e.event_type == "IncidentRecorded":
            first_incident.setdefault(p["suspect_person_id"], p["occurred_on"])
            continue
        person, status = p["person_id"], Status(p["status"])
        assert person in first_incident and first_incident[person] <= p["effective_on"]
        check_status_change(changes[person], status, p["effective_on"])  # raises if refused
        changes[person].append(StatusChange(p["effective_on"], status))
        kinds[status] += 1
    assert kinds[Status.CUSTODY] > kinds[Status.LEFT_AREA] > 0
    assert kinds[Status.RELEASED] > 0
