from datetime import date
from decimal import Decimal

import pytest

from services.matac.domain.harm import IncidentHarm, incident_harm
from services.matac.policy import load_policy
from tests.unit.matac.factories import incident

POLICY = load_policy()
DAY = date(2024, 6, 1)


@pytest.mark.parametrize(
    ("category", "points"),
    [
        ("non_crime", 1),
        ("criminal_damage", 2),
        ("harassment", 3),
        ("common_assault", 3),
        ("breach_of_order_or_bail", 4),
        ("stalking", 5),
        ("coercive_control", 6),
        ("threats_to_kill", 6),
        ("abh", 6),
        ("non_fatal_strangulation", 8),
        ("wounding_gbh", 9),
        ("sexual_assault", 9),
        ("rape", 10),
        ("attempted_murder", 10),
    ],
)
def test_default_harm_table(category, points):
    assert incident_harm(incident("I1", DAY, category), POLICY).points == Decimal(points)


def test_most_serious_offence_wins_whatever_the_order():
    record = incident("I1", DAY, "criminal_damage", "non_fatal_strangulation", "harassment")
    assert incident_harm(record, POLICY) == IncidentHarm("non_fatal_strangulation", Decimal(8))


def test_equal_points_name_the_alphabetically_first_code():
    record = incident("I1", DAY, "threats_to_kill", "coercive_control", "abh")
    assert incident_harm(record, POLICY) == IncidentHarm("abh", Decimal(6))


def test_non_crime_incident_without_category_scores_non_crime():
    record = incident("I1", DAY, is_crime=False)
    assert incident_harm(record, POLICY) == IncidentHarm("non_crime", Decimal(1), None)


def test_non_crime_incident_with_a_category_scores_that_category():
    record = incident("I1", DAY, "stalking", is_crime=False)
    assert incident_harm(record, POLICY) == IncidentHarm("stalking", Decimal(5))


def test_crime_without_category_scores_non_crime_and_is_flagged():
    harm = incident_harm(incident("I1", DAY, is_crime=True), POLICY)
    assert (harm.most_serious_offence, harm.points) == ("non_crime", Decimal(1))
    assert harm.note == "crime recorded with no offence category: scored as non_crime"


def test_unknown_category_is_an_error_naming_it():
    with pytest.raises(ValueError, match="incident I9: unknown offence category 'arson'"):
        incident_harm(incident("I9", DAY, "abh", "arson"), POLICY)
