from datetime import date
from decimal import Decimal

import pytest

from services.matac.domain.model import Nomination, Perpetrator, Status, StatusChange
from services.matac.domain.ranking import exclusion_reason, rank, statuses_in_force
from services.matac.policy import load_policy
from tests.unit.matac.factories import incident, perpetrator

POLICY = load_policy()
AS_OF = date(2024, 6, 15)


def _ids(rows) -> list[str]:
    return [row.person_id for row in rows]


def _nomination(on: date = date(2024, 6, 1), area: str = "North") -> Nomination:
    return Nomination(nominated_on=on, agency="IDVA service", area=area, reason="escalating")


@pytest.mark.parametrize(
    ("born", "included"),
    [
        (date(2008, 6, 15), True),  # 16th birthday on the as-of date
        (date(2008, 6, 16), False),  # 15, sixteen tomorrow
    ],
)
def test_minimum_age_on_the_as_of_date(born, included):
    person = perpetrator("P1", incident("I1", date(2024, 6, 1)), date_of_birth=born)
    assert _ids(rank([person], POLICY, AS_OF)) == (["P1"] if included else [])


@pytest.mark.parametrize(("age", "included"), [(15, False), (16, True)])
def test_recorded_age_is_used_when_no_date_of_birth(age, included):
    person = perpetrator("P1", incident("I1", date(2024, 6, 1)), date_of_birth=None, age=age)
    assert _ids(rank([person], POLICY, AS_OF)) == (["P1"] if included else [])


def test_age_exclusion_reason():
    person = perpetrator("P1", date_of_birth=date(2008, 6, 16))
    assert exclusion_reason(person, POLICY, AS_OF) == "aged 15, under the minimum age of 16"
    unborn = perpetrator("P2", date_of_birth=date(2024, 7, 1))
    assert exclusion_reason(unborn, POLICY, AS_OF) == "not yet born on the as-of date"


def test_perpetrator_needs_a_date_of_birth_or_an_age():
    with pytest.raises(ValueError, match="P1: need a date of birth or an age"):
        Perpetrator(person_id="P1", incidents=())


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Status.DECEASED, "deceased"),
        (Status.CUSTODY, "in custody"),
        (Status.LEFT_AREA, "has left the area"),
    ],
)
@pytest.mark.parametrize(
    ("as_of", "excluded"),
    [
        (date(2024, 5, 31), False),  # the day before the change
        (date(2024, 6, 1), True),  # the day it takes effect
        (date(2024, 6, 15), True),
    ],
)
def test_status_exclusions_take_effect_on_their_date(status, reason, as_of, excluded):
    person = perpetrator(
        "P1",
        incident("I1", date(2024, 5, 1)),
        status_changes=(StatusChange(date(2024, 6, 1), status),),
    )
    assert exclusion_reason(person, POLICY, as_of) == (reason if excluded else None)
    assert _ids(rank([person], POLICY, as_of)) == ([] if excluded else ["P1"])


def test_release_and_return_clear_custody_and_left_area():
    person = perpetrator(
        "P1",
        incident("I1", date(2024, 1, 10)),
        status_changes=(
            StatusChange(date(2024, 4, 1), Status.RELEASED),  # given out of order on purpose
            StatusChange(date(2024, 2, 1), Status.CUSTODY),
            StatusChange(date(2024, 5, 1), Status.LEFT_AREA),
            StatusChange(date(2024, 6, 1), Status.RETURNED),
        ),
    )
    assert exclusion_reason(person, POLICY, date(2024, 3, 31)) == "in custody"
    assert exclusion_reason(person, POLICY, date(2024, 4, 1)) is None
    assert exclusion_reason(person, POLICY, date(2024, 5, 15)) == "has left the area"
    assert exclusion_reason(person, POLICY, date(2024, 6, 1)) is None


def test_release_does_not_clear_having_left_the_area():
    changes = (
        StatusChange(date(2024, 1, 1), Status.LEFT_AREA),
        StatusChange(date(2024, 2, 1), Status.CUSTODY),
        StatusChange(date(2024, 3, 1), Status.RELEASED),
    )
    assert statuses_in_force(changes, date(2024, 3, 1)) == frozenset({Status.LEFT_AREA})


def test_deceased_is_never_cleared():
    changes = (
        StatusChange(date(2024, 1, 1), Status.DECEASED),
        StatusChange(date(2024, 2, 1), Status.RETURNED),
        StatusChange(date(2024, 3, 1), Status.RELEASED),
    )
    assert statuses_in_force(changes, date(2024, 3, 1)) == frozenset({Status.DECEASED})


def test_people_without_an_incident_in_the_window_are_not_ranked():
    old = perpetrator("P1", incident("I1", date(2022, 6, 14)))  # 24 months and a day
    future = perpetrator("P2", incident("I2", date(2024, 6, 16)))
    assert rank([old, future], POLICY, AS_OF) == []


def test_row_contents():
    person = perpetrator(
        "P1",
        incident("I1", date(2024, 6, 1), "abh", victims=("V1",)),
        incident("I2", date(2024, 2, 10), "harassment", victims=("V2",)),
    )
    (row,) = rank([person], POLICY, AS_OF)
    # R 5, F 2, G 3 (9 points): 5 + 2 + 2*3 = 13; two victims x1.25 = 16.25.
    assert (
        row.rank,
        row.person_id,
        row.area,
        row.score,
        row.recency,
        row.frequency,
        row.gravity,
        row.victims,
        row.serial,
        row.nominated,
        row.latest_incident_on,
        row.total_harm,
    ) == (1, "P1", "North", Decimal("16.25"), 5, 2, 3, 2, True, False, date(2024, 6, 1), 9)
    assert row.to_dict()["score"] == 16.25
    assert row.to_dict()["latest_incident_on"] == "2024-06-01"


def test_ordered_by_score_descending():
    low = perpetrator("P-low", incident("I1", date(2024, 6, 1)))  # 5 + 1 + 2 = 8
    high = perpetrator("P-high", incident("I2", date(2024, 6, 1), "rape"))  # 5 + 1 + 6 = 12
    rows = rank([low, high], POLICY, AS_OF)
    assert [(row.rank, row.person_id, row.score) for row in rows] == [
        (1, "P-high", Decimal(12)),
        (2, "P-low", Decimal(8)),
    ]


def test_equal_scores_put_the_more_recent_latest_incident_first():
    # Both 5 + 1 + 2*3 = 12 (abh, 6 points; both within a month).
    earlier = perpetrator("P-a", incident("I1", date(2024, 6, 1), "abh"))
    recent = perpetrator("P-b", incident("I2", date(2024, 6, 10), "abh"))
    assert _ids(rank([earlier, recent], POLICY, AS_OF)) == ["P-b", "P-a"]


def test_equal_scores_and_dates_put_higher_total_harm_first():
    # Both 5 + 1 + 2*2 = 10: stalking (5) and harassment (3) are both in the G 2 band.
    lesser = perpetrator("P-a", incident("I1", date(2024, 6, 10), "harassment"))
    greater = perpetrator("P-b", incident("I2", date(2024, 6, 10), "stalking"))
    rows = rank([lesser, greater], POLICY, AS_OF)
    assert [(row.person_id, row.score, row.total_harm) for row in rows] == [
        ("P-b", Decimal(10), Decimal(5)),
        ("P-a", Decimal(10), Decimal(3)),
    ]


def test_full_ties_fall_back_to_person_id():
    second = perpetrator("P-b", incident("I1", date(2024, 6, 10), "abh"))
    first = perpetrator("P-a", incident("I2", date(2024, 6, 10), "abh"))
    assert [(row.rank, row.person_id) for row in rank([second, first], POLICY, AS_OF)] == [
        (1, "P-a"),
        (2, "P-b"),
    ]


def test_ranked_within_each_area_from_the_latest_incident():
    moved = perpetrator(
        "P1",
        incident("I1", date(2024, 1, 1), "rape", area="South"),
        incident("I2", date(2024, 6, 1), area="North"),
    )
    south = perpetrator("P2", incident("I3", date(2024, 6, 1), area="South"))
    north = perpetrator("P3", incident("I4", date(2024, 6, 2), "abh", area="North"))
    rows = rank([moved, south, north], POLICY, AS_OF)
    # P1: R 5, F 2, G 3 (11 points): 5 + 2 + 6 = 13. P3: 5 + 1 + 6 = 12. P2: 8.
    assert [(row.area, row.rank, row.person_id) for row in rows] == [
        ("North", 1, "P1"),
        ("North", 2, "P3"),
        ("South", 1, "P2"),
    ]
    assert _ids(rank([moved, south, north], POLICY, AS_OF, area="South")) == ["P2"]


def _three_in_north() -> list[Perpetrator]:
    return [
        perpetrator("P1", incident("I1", date(2024, 6, 1), "rape")),  # 12
        perpetrator("P2", incident("I2", date(2024, 6, 1), "abh")),  # 12, less harm
        perpetrator("P3", incident("I3", date(2024, 6, 1))),  # 8
    ]


def test_top_n_cut_per_area():
    rows = rank(_three_in_north(), POLICY, AS_OF, top=2)
    assert [(row.rank, row.person_id) for row in rows] == [(1, "P1"), (2, "P2")]


def test_nominated_perpetrator_below_the_cut_is_listed_with_true_rank():
    people = _three_in_north()
    people[2] = perpetrator("P3", incident("I3", date(2024, 6, 1)), nomination=_nomination())
    rows = rank(people, POLICY, AS_OF, top=1)
    assert [(row.rank, row.person_id, row.nominated) for row in rows] == [
        (1, "P1", False),
        (3, "P3", True),
    ]


def test_nominated_perpetrator_without_incident_in_window_is_listed_with_score_zero():
    nominee = perpetrator(
        "P9", incident("I9", date(2020, 1, 1)), nomination=_nomination(area="South")
    )
    rows = rank([*_three_in_north(), nominee], POLICY, AS_OF, top=1)
    assert [(row.area, row.rank, row.person_id, row.score, row.nominated) for row in rows] == [
        ("North", 1, "P1", Decimal(12), False),
        ("South", 1, "P9", Decimal(0), True),
    ]
    assert rows[1].latest_incident_on is None


def test_nomination_after_the_as_of_date_does_not_count():
    nominee = perpetrator("P9", nomination=_nomination(on=date(2024, 6, 16)))
    assert rank([nominee], POLICY, AS_OF) == []
    assert _ids(rank([nominee], POLICY, date(2024, 6, 16))) == ["P9"]


def test_nomination_does_not_override_exclusions():
    deceased = perpetrator(
        "P1",
        incident("I1", date(2024, 6, 1)),
        nomination=_nomination(),
        status_changes=(StatusChange(date(2024, 6, 5), Status.DECEASED),),
    )
    under_age = perpetrator("P2", date_of_birth=date(2010, 1, 1), nomination=_nomination())
    assert rank([deceased, under_age], POLICY, AS_OF) == []


def test_default_top_n_comes_from_the_policy():
    people = [
        perpetrator(f"P{number:02d}", incident(f"I{number}", date(2024, 6, number)))
        for number in range(1, 12)
    ]
    rows = rank(people, POLICY, AS_OF)
    # All score 8; the most recent latest incident ranks first, so P01 (1 June) is cut.
    assert len(rows) == 10
    assert rows[0].person_id == "P11"
    assert rows[-1].person_id == "P02"


def test_top_zero_lists_only_nominations():
    people = _three_in_north()
    people[1] = perpetrator("P2", incident("I2", date(2024, 6, 1), "abh"), nomination=_nomination())
    assert [(row.rank, row.person_id) for row in rank(people, POLICY, AS_OF, top=0)] == [(2, "P2")]


def test_negative_top_and_repeated_person_are_errors():
    with pytest.raises(ValueError, match="top must not be negative"):
        rank([], POLICY, AS_OF, top=-1)
    person = perpetrator("P1", incident("I1", date(2024, 6, 1)))
    with pytest.raises(ValueError, match="perpetrator P1 is given more than once"):
        rank([person, person], POLICY, AS_OF)
