import json
from datetime import date
from decimal import Decimal

import pytest

from services.matac.domain.scoring import score_perpetrator
from services.matac.policy import load_policy
from tests.unit.matac.factories import incident

POLICY = load_policy()
AS_OF = date(2024, 6, 15)


def _victims(count: int) -> tuple[str, ...]:
    return tuple(f"V{number}" for number in range(1, count + 1))


# R: one non-crime incident, so F = 1 and G = 1 and the score is R + 1 + 2.
@pytest.mark.parametrize(
    ("occurred_on", "recency", "total"),
    [
        (date(2024, 6, 15), 5, 8),  # same day
        (date(2024, 5, 15), 5, 8),  # exactly 1 month
        (date(2024, 5, 14), 4, 7),  # 1 month and 1 day
        (date(2024, 3, 15), 4, 7),  # exactly 3 months
        (date(2024, 3, 14), 3, 6),
        (date(2023, 12, 15), 3, 6),  # exactly 6 months
        (date(2023, 12, 14), 2, 5),
        (date(2023, 6, 15), 2, 5),  # exactly 12 months
        (date(2023, 6, 14), 1, 4),
        (date(2022, 6, 15), 1, 4),  # exactly 24 months: still in the window
    ],
)
def test_recency_band_boundaries(occurred_on, recency, total):
    score = score_perpetrator([incident("I1", occurred_on)], POLICY, AS_OF)
    assert (score.recency, score.frequency, score.gravity) == (recency, 1, 1)
    assert score.total == Decimal(total)


def test_incident_one_day_beyond_24_months_is_outside_the_window():
    score = score_perpetrator([incident("I1", date(2022, 6, 14))], POLICY, AS_OF)
    assert score.total == Decimal(0)
    assert (score.recency, score.frequency, score.gravity, score.incident_count) == (0, 0, 0, 0)
    assert score.latest_incident_on is None
    assert score.incidents[0].counted is False
    assert score.incidents[0].reason == "before the look-back window, which starts 2022-06-15"


def test_window_start_with_month_end_clamping():
    # 29 Feb 2024 minus 24 months is 28 Feb 2022.
    as_of = date(2024, 2, 29)
    inside = score_perpetrator([incident("I1", date(2022, 2, 28))], POLICY, as_of)
    outside = score_perpetrator([incident("I1", date(2022, 2, 27))], POLICY, as_of)
    assert (inside.window_start, inside.incident_count, inside.recency) == (date(2022, 2, 28), 1, 1)
    assert outside.incident_count == 0


@pytest.mark.parametrize(
    ("count", "frequency"),
    [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (7, 4), (8, 5), (12, 5)],
)
def test_frequency_band_boundaries(count, frequency):
    records = [incident(f"I{day}", date(2024, 6, day)) for day in range(1, count + 1)]
    assert score_perpetrator(records, POLICY, AS_OF).frequency == frequency


@pytest.mark.parametrize(
    ("categories", "harm", "gravity"),
    [
        (("criminal_damage",), 2, 1),
        (("harassment",), 3, 2),
        (("stalking",), 5, 2),
        (("abh",), 6, 3),
        (("rape",), 10, 3),
        (("rape", "non_crime"), 11, 4),
        (("rape", "rape"), 20, 4),
        (("rape", "rape", "non_crime"), 21, 5),
    ],
)
def test_gravity_band_boundaries_on_summed_harm(categories, harm, gravity):
    records = [
        incident(f"I{number}", date(2024, 6, number), category)
        for number, category in enumerate(categories, start=1)
    ]
    score = score_perpetrator(records, POLICY, AS_OF)
    assert score.total_harm == Decimal(harm)
    assert score.gravity == gravity


def test_harm_uses_the_most_serious_offence_of_each_incident():
    records = [
        incident("I1", date(2024, 6, 1), "criminal_damage", "wounding_gbh"),  # 9
        incident("I2", date(2024, 6, 2), "harassment", "common_assault"),  # 3, a tie
    ]
    score = score_perpetrator(records, POLICY, AS_OF)
    assert score.total_harm == Decimal(12)
    assert [(i.most_serious_offence, i.harm_points) for i in score.incidents] == [
        ("wounding_gbh", Decimal(9)),
        ("common_assault", Decimal(3)),
    ]


def test_worked_example_with_two_victims():
    records = [
        incident("I1", date(2024, 6, 1), "abh", victims=("V1",)),  # 6
        incident("I2", date(2024, 2, 10), "harassment", "common_assault", victims=("V1",)),  # 3
        incident("I3", date(2023, 9, 20), is_crime=False, victims=("V2",)),  # 1
    ]
    score = score_perpetrator(records, POLICY, AS_OF)
    # R 5 (within a month), F 3 (three incidents), G 3 (10 points).
    # Base 5 + 3 + 2*3 = 14; two victims: x1.25 = 17.5.
    assert (score.recency, score.frequency, score.gravity) == (5, 3, 3)
    assert score.base == Decimal(14)
    assert score.multiplier == Decimal("1.25")
    assert score.total == Decimal("17.5")
    assert (score.victims, score.victims_counted, score.serial) == (2, 2, True)
    assert (score.latest_incident_on, score.area) == (date(2024, 6, 1), "North")


@pytest.mark.parametrize(
    ("victims", "counted", "multiplier", "total"),
    [
        (0, 1, "1", "8"),  # no victim recorded: never below x1
        (1, 1, "1", "8"),
        (2, 2, "1.25", "10"),
        (4, 4, "1.75", "14"),
        (5, 5, "2", "16"),
        (7, 5, "2", "16"),  # capped at 5
    ],
)
def test_victim_multiplier_and_cap(victims, counted, multiplier, total):
    # One non-crime incident today: base 5 + 1 + 2*1 = 8.
    record = incident("I1", AS_OF, victims=_victims(victims))
    score = score_perpetrator([record], POLICY, AS_OF)
    assert (score.victims, score.victims_counted) == (victims, counted)
    assert score.multiplier == Decimal(multiplier)
    assert score.total == Decimal(total)


def test_victims_are_distinct_over_the_window():
    records = [
        incident("I1", date(2024, 6, 1), victims=("V1", "V2")),
        incident("I2", date(2024, 6, 2), victims=("V2",)),
        incident("I3", date(2022, 1, 1), victims=("V3",)),  # outside the 24-month window
    ]
    score = score_perpetrator(records, POLICY, AS_OF)
    assert score.victims == 2
    assert score.serial_victims == 3


@pytest.mark.parametrize(
    ("second_victim_on", "serial"),
    [
        (date(2021, 6, 15), True),  # exactly 36 months
        (date(2021, 6, 14), False),  # 36 months and a day
        (date(2021, 5, 15), False),  # 37 months
    ],
)
def test_serial_looks_back_36_months_beyond_the_window(second_victim_on, serial):
    records = [
        incident("I1", date(2024, 1, 10), victims=("V1",)),
        incident("I2", second_victim_on, victims=("V2",)),
    ]
    score = score_perpetrator(records, POLICY, AS_OF)
    assert score.serial is serial
    # The old incident is outside the 24-month window: one victim, no multiplier.
    assert (score.incident_count, score.victims, score.multiplier) == (1, 1, Decimal(1))


def test_one_victim_in_many_incidents_is_not_serial():
    records = [incident(f"I{day}", date(2024, 6, day), victims=("V1",)) for day in (1, 2, 3)]
    assert score_perpetrator(records, POLICY, AS_OF).serial is False


def test_recency_decays_as_the_as_of_date_moves_on():
    records = [incident("I1", date(2024, 1, 10), "abh")]  # 6 points: G 3
    before = score_perpetrator(records, POLICY, date(2023, 12, 31))
    soon = score_perpetrator(records, POLICY, date(2024, 2, 1))  # 1 month: R 5
    later = score_perpetrator(records, POLICY, date(2024, 8, 1))  # 7 months: R 2
    gone = score_perpetrator(records, POLICY, date(2026, 1, 11))  # 24 months and a day
    assert before.total == Decimal(0)
    assert before.incidents[0].reason == "after the as-of date"
    assert (soon.recency, soon.total) == (5, Decimal(12))  # 5 + 1 + 2*3
    assert (later.recency, later.total) == (2, Decimal(9))  # 2 + 1 + 2*3
    assert gone.total == Decimal(0)


def test_incidents_after_as_of_do_not_count_for_serial_either():
    records = [
        incident("I1", date(2024, 6, 1), victims=("V1",)),
        incident("I2", date(2024, 6, 16), victims=("V2",)),
    ]
    score = score_perpetrator(records, POLICY, AS_OF)
    assert (score.incident_count, score.serial, score.serial_victims) == (1, False, 1)


def test_no_incidents_scores_zero():
    score = score_perpetrator([], POLICY, AS_OF)
    assert (score.total, score.recency_band, score.area, score.victims_counted) == (
        Decimal(0),
        None,
        None,
        1,
    )


def test_unknown_category_raises_even_outside_the_window():
    with pytest.raises(ValueError, match="unknown offence category 'burglary'"):
        score_perpetrator([incident("I1", date(2015, 1, 1), "burglary")], POLICY, AS_OF)


def test_repeated_incident_id_raises():
    records = [incident("I1", date(2024, 6, 1)), incident("I1", date(2024, 6, 2))]
    with pytest.raises(ValueError, match="incident I1 is given more than once"):
        score_perpetrator(records, POLICY, AS_OF)


def test_explanation_is_json_and_names_every_band():
    records = [
        incident("I2", date(2024, 4, 1), "stalking", victims=("V1",)),
        incident("I1", date(2021, 1, 1), "abh", victims=("V2",)),
    ]
    explained = json.loads(json.dumps(score_perpetrator(records, POLICY, AS_OF).to_dict()))
    # R: 2024-04-01 to 2024-06-15 is 3 months rounded up: band "> 1 and <= 3" -> 4.
    # F: 1 incident -> 1. G: 5 points -> band "> 2 and <= 5" -> 2. Score 4 + 1 + 2*2 = 9.
    assert explained["score"] == 9
    assert explained["multiplier"] == 1
    assert explained["window_start"] == "2022-06-15"
    assert explained["serial_window_start"] == "2021-06-15"
    assert explained["recency_band"] == {
        "measure": "months_since_latest_incident",
        "value": 3,
        "band_index": 1,
        "lower": 1,
        "lower_inclusive": False,
        "upper": 3,
        "bounds": "> 1 and <= 3",
        "points": 4,
    }
    assert explained["frequency_band"]["bounds"] == ">= 1 and <= 1"
    assert explained["gravity_band"]["bounds"] == "> 2 and <= 5"
    assert explained["incidents"] == [
        {
            "incident_id": "I1",
            "occurred_on": "2021-01-01",
            "area": "North",
            "counted": False,
            "reason": "before the look-back window, which starts 2022-06-15",
            "in_serial_window": False,
            "most_serious_offence": "abh",
            "harm_points": 6,
            "victim_ids": ["V2"],
            "note": None,
        },
        {
            "incident_id": "I2",
            "occurred_on": "2024-04-01",
            "area": "North",
            "counted": True,
            "reason": "in the look-back window",
            "in_serial_window": True,
            "most_serious_offence": "stalking",
            "harm_points": 5,
            "victim_ids": ["V1"],
            "note": None,
        },
    ]


def test_explanation_of_a_fractional_score_and_open_bands():
    records = [
        incident(f"I{day}", date(2024, 6, day), "rape", victims=(f"V{day}",)) for day in range(1, 9)
    ]
    explained = score_perpetrator(records, POLICY, AS_OF).to_dict()
    # R 5, F 5 (8 incidents), G 5 (80 points); base 5 + 5 + 2*5 = 20; 8 victims capped
    # at 5: x2 = 40.
    assert explained["score"] == 40
    assert explained["frequency_band"]["bounds"] == ">= 8"
    assert explained["gravity_band"]["bounds"] == "> 20"
    fractional = score_perpetrator(
        [incident("I1", date(2024, 5, 14), victims=("V1", "V2"))], POLICY, AS_OF
    ).to_dict()
    # R 4 (1 month and a day), F 1, G 1: 4 + 1 + 2*1 = 7; two victims: 7 x 1.25 = 8.75.
    assert fractional["score"] == 8.75
    assert fractional["multiplier"] == 1.25
