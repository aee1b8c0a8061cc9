from datetime import date

import pytest

from services.mappa.domain.nominal import CategoryChange, LevelChange, NominalState
from services.mappa.domain.stats import (
    CategoryLevelCounts,
    ReportingPeriod,
    annual_figures,
    as_at_counts,
    managed_during_counts,
    reporting_period,
)

YEAR_TO_MARCH_2025 = ReportingPeriod(date(2024, 4, 1), date(2025, 3, 31))


def nominal(
    nominal_id: str,
    registered_on: date,
    categories: list[tuple[int, date]],
    levels: list[tuple[int, date]],
    area: str = "North",
    ended_on: date | None = None,
    transferred_out_on: date | None = None,
) -> NominalState:
    return NominalState(
        nominal_id=nominal_id,
        area=area,
        registered_on=registered_on,
        lead_agency="probation",
        category=categories[-1][0] if categories else None,
        category_history=tuple(CategoryChange(c, on) for c, on in categories),
        level=levels[-1][0] if levels else None,
        level_history=tuple(LevelChange(lvl, on, "reason", "chair") for lvl, on in levels),
        ended_on=ended_on,
        ended_reason="ended" if ended_on else None,
        transferred_out=transferred_out_on is not None,
        transferred_out_to="East" if transferred_out_on else None,
        transferred_out_on=transferred_out_on,
    )


D2023 = date(2023, 1, 1)

STATES = [
    # A: long-standing category 1, level 1.
    nominal("A", date(2023, 5, 1), [(1, date(2023, 5, 1))], [(1, date(2023, 5, 1))]),
    # B: level 2, up to 3 in September, back to 2 in December.
    nominal(
        "B",
        date(2024, 6, 10),
        [(2, date(2024, 6, 10))],
        [(2, date(2024, 6, 10)), (3, date(2024, 9, 1)), (2, date(2024, 12, 1))],
    ),
    # C: ended on the first day of the year, so never managed in it.
    nominal("C", D2023, [(2, D2023)], [(2, D2023)], ended_on=date(2024, 4, 1)),
    # D: ended on the second day, so managed on the first.
    nominal("D", D2023, [(3, D2023)], [(1, D2023)], ended_on=date(2024, 4, 2)),
    # E: registered on the last day of the year.
    nominal("E", date(2025, 3, 31), [(2, date(2025, 3, 31))], [(1, date(2025, 3, 31))]),
    # F: registered the day after the year ends.
    nominal("F", date(2025, 4, 1), [(2, date(2025, 4, 1))], [(2, date(2025, 4, 1))]),
    # G: registered, nothing assigned yet.
    nominal("G", date(2024, 5, 1), [], []),
    # I: category 2, re-categorised to 3 in November.
    nominal("I", D2023, [(2, D2023), (3, date(2024, 11, 1))], [(1, D2023)]),
    # J: raised to level 2 only after the year ended.
    nominal("J", date(2024, 1, 1), [(2, date(2024, 1, 1))], [(1, D2023), (2, date(2025, 4, 15))]),
    # K: level 3 lowered to 1 on the first day of the year (level at the end of that day: 1).
    nominal("K", date(2024, 1, 1), [(3, date(2024, 1, 1))], [(3, D2023), (1, date(2024, 4, 1))]),
    # K2: level 3 lowered to 1 on the second day of the year.
    nominal("K2", date(2024, 1, 1), [(3, date(2024, 1, 1))], [(3, D2023), (1, date(2024, 4, 2))]),
    # S: South, transferred out in October.
    nominal(
        "S",
        date(2024, 1, 1),
        [(1, date(2024, 1, 1))],
        [(1, date(2024, 1, 1))],
        area="South",
        transferred_out_on=date(2024, 10, 1),
    ),
]


def test_managed_during_the_year_counts_each_nominal_once_at_its_highest_level() -> None:
    counts = managed_during_counts(STATES, YEAR_TO_MARCH_2025)
    assert counts["North"].cells == {
        (1, 1): 1,  # A
        (2, 3): 1,  # B
        (3, 1): 3,  # D, I, K
        (2, 1): 2,  # E, J
        (None, None): 1,  # G
        (3, 3): 1,  # K2
    }
    assert counts["South"].cells == {(1, 1): 1}
    assert counts["North"].total == 9


def test_as_at_the_year_end_uses_the_category_and_level_on_that_day() -> None:
    counts = as_at_counts(STATES, date(2025, 3, 31))
    assert counts == {
        "North": CategoryLevelCounts(
            "North",
            {(1, 1): 1, (2, 2): 1, (2, 1): 2, (None, None): 1, (3, 1): 3},
        )
    }


def test_as_at_another_day() -> None:
    counts = as_at_counts(STATES, date(2024, 10, 31), area="North")
    # A(1,1) B(2,3) G(None,None) I(2,1) J(2,1) K(3,1) K2(3,1); C, D ended; E, F not yet
    assert counts["North"].cells == {(1, 1): 1, (2, 3): 1, (None, None): 1, (2, 1): 2, (3, 1): 2}


def test_transferred_out_nominal_counts_until_the_transfer_day() -> None:
    assert as_at_counts(STATES, date(2024, 9, 30), area="South")["South"].total == 1
    assert as_at_counts(STATES, date(2024, 10, 1), area="South") == {}


def test_area_filter() -> None:
    assert set(managed_during_counts(STATES, YEAR_TO_MARCH_2025, area="South")) == {"South"}


def test_count_helpers() -> None:
    north = managed_during_counts(STATES, YEAR_TO_MARCH_2025)["North"]
    assert north.count(3, 1) == 3
    assert north.count(4, 3) == 0
    assert north.category_total(2) == 3  # B, E, J
    assert north.category_total(3) == 4  # D, I, K, K2
    assert north.level_total(3) == 2  # B, K2
    assert north.level_total(None) == 1  # G


def test_annual_figures_give_both_figures_for_every_area() -> None:
    figures = annual_figures(STATES, YEAR_TO_MARCH_2025, as_at=date(2025, 3, 31))
    assert list(figures) == ["North", "South"]
    assert figures["North"].managed_during.total == 9
    assert figures["North"].as_at_counts.total == 8
    assert figures["South"].managed_during.total == 1
    assert figures["South"].as_at_counts == CategoryLevelCounts("South", {})
    assert figures["South"].as_at == date(2025, 3, 31)


@pytest.mark.parametrize(
    ("ending_year", "start_month", "start", "end"),
    [
        (2025, 4, date(2024, 4, 1), date(2025, 3, 31)),
        (2025, 1, date(2025, 1, 1), date(2025, 12, 31)),
        (2024, 3, date(2023, 3, 1), date(2024, 2, 29)),
        (2025, 12, date(2024, 12, 1), date(2025, 11, 30)),
    ],
)
def test_reporting_period(ending_year: int, start_month: int, start: date, end: date) -> None:
    assert reporting_period(ending_year, start_month) == ReportingPeriod(start, end)


def test_reporting_period_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="start_month"):
        reporting_period(2025, 13)
    with pytest.raises(ValueError, match="before it starts"):
        ReportingPeriod(date(2025, 3, 31), date(2024, 4, 1))
