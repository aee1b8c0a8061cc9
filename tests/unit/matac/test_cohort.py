from datetime import date
from decimal import Decimal

import pytest

from services.matac.domain.cohort import CohortEntry, ScoreChange, cohort_measure, score_change

ENTERED = date(2024, 1, 8)


def _entry(person_id: str, entry: str, latest: str, exited_on: date | None = None) -> CohortEntry:
    return CohortEntry(
        person_id=person_id,
        entered_on=ENTERED,
        entry_score=Decimal(entry),
        latest_score=Decimal(latest),
        exited_on=exited_on,
    )


def test_change_of_one_member():
    assert score_change(_entry("P1", "20", "15", date(2024, 6, 3))) == ScoreChange(
        person_id="P1",
        entry_score=Decimal(20),
        latest_score=Decimal(15),
        change=Decimal(-5),
        percent_change=Decimal("-25.00"),
        exited=True,
    )


def test_cohort_mean_percent_fall_and_summed_change():
    measure = cohort_measure(
        [
            _entry("P1", "20", "15", date(2024, 6, 3)),  # -5, -25%
            _entry("P2", "10", "12"),  # +2, +20% (still in the cohort: current score)
            _entry("P3", "8", "4", date(2024, 5, 6)),  # -4, -50%
        ]
    )
    assert [change.percent_change for change in measure.changes] == [
        Decimal("-25.00"),
        Decimal("20.00"),
        Decimal("-50.00"),
    ]
    assert [change.exited for change in measure.changes] == [True, False, True]
    # Mean of -25, +20, -50 is -55/3 = -18.333...
    assert measure.mean_percent_change == Decimal("-18.33")
    assert measure.mean_percent_fall == Decimal("18.33")
    # Sums 38 -> 31: -7, which is -18.421...% of 38.
    assert (measure.total_entry_score, measure.total_latest_score) == (Decimal(38), Decimal(31))
    assert measure.total_change == Decimal(-7)
    assert measure.total_percent_change == Decimal("-18.42")
    assert (measure.members, measure.members_with_percent) == (3, 3)


def test_percentages_round_half_up_after_averaging():
    # 800 -> 799 is exactly -0.125%: half up (away from zero) gives -0.13.
    measure = cohort_measure([_entry("P1", "800", "799")])
    assert measure.changes[0].percent_change == Decimal("-0.13")
    assert measure.mean_percent_fall == Decimal("0.13")
    # Averaging exact values: -0.006% and 0% average to -0.003%, which rounds to 0.00;
    # rounding first (-0.01 and 0.00) would wrongly give -0.01.
    two = cohort_measure([_entry("P1", "1000", "999.94"), _entry("P2", "10", "10")])
    assert str(two.changes[0].percent_change) == "-0.01"
    assert str(two.mean_percent_change) == "0.00"


def test_member_entering_on_zero_has_no_percentage_and_is_left_out_of_the_mean():
    measure = cohort_measure([_entry("P1", "0", "6"), _entry("P2", "10", "9")])
    assert measure.changes[0].percent_change is None
    assert measure.changes[0].change == Decimal(6)
    assert (measure.members, measure.members_with_percent) == (2, 1)
    assert measure.mean_percent_change == Decimal("-10.00")
    # Sums still include P1: 10 -> 15 is +50%.
    assert measure.total_percent_change == Decimal("50.00")


def test_unchanged_cohort_reports_no_fall_without_negative_zero():
    measure = cohort_measure([_entry("P1", "12", "12")])
    assert str(measure.mean_percent_change) == "0.00"
    assert str(measure.mean_percent_fall) == "0.00"
    assert str(measure.changes[0].percent_change) == "0.00"


def test_empty_cohort():
    measure = cohort_measure([])
    assert (measure.members, measure.mean_percent_change, measure.mean_percent_fall) == (
        0,
        None,
        None,
    )
    assert (measure.total_change, measure.total_percent_change) == (Decimal(0), None)


def test_exit_on_the_entry_day_is_allowed():
    assert score_change(_entry("P1", "10", "10", ENTERED)).change == Decimal(0)


def test_exit_before_entry_is_an_error():
    with pytest.raises(ValueError, match="P1: exit 2024-01-07 is before entry 2024-01-08"):
        cohort_measure([_entry("P1", "10", "8", date(2024, 1, 7))])


def test_negative_score_is_an_error():
    with pytest.raises(ValueError, match="P1: latest score -1 is negative"):
        cohort_measure([_entry("P1", "10", "-1")])
