"""The figures report shape: every standard cell listed, zeros included."""

from dataclasses import replace
from datetime import date

from services.mappa.domain.stats import annual_figures, reporting_period
from services.mappa.queries import reporting_year_of, stats_report
from tests.unit.mappa.builders import POLICY, category, level, registered, state_of


def test_reporting_year_is_named_by_the_year_it_ends_in():
    assert reporting_year_of(date(2026, 3, 31), 4) == 2026
    assert reporting_year_of(date(2026, 4, 1), 4) == 2027
    assert reporting_year_of(date(2026, 12, 31), 1) == 2026


def test_cells_cover_the_grid_and_unassigned_only_when_present():
    period = reporting_period(2026, 4)
    states = [
        state_of(
            registered("N1", "north"), category(2, date(2025, 6, 1)), level(2, date(2025, 6, 1))
        ),
        state_of(registered("N2", "north"), category(3, date(2025, 6, 1))),
    ]
    found = annual_figures(states, period, period.end)
    report = stats_report(
        found, year=2026, period=period, as_at=period.end, area=None, policy=POLICY
    )
    (north,) = report["areas"]
    cells = {(c["category"], c["level"]): c["count"] for c in north["as_at"]["cells"]}
    assert len(cells) == 9 + 1
    assert cells[(2, 2)] == 1
    assert cells[(3, None)] == 1
    assert cells[(1, 1)] == 0
    assert (None, None) not in cells
    assert north["as_at"]["total"] == 2


def test_category_4_appears_when_the_policy_enables_it():
    period = reporting_period(2026, 4)
    report = stats_report(
        {},
        year=2026,
        period=period,
        as_at=period.end,
        area="north",
        policy=replace(POLICY, category_4_enabled=True),
    )
    (north,) = report["areas"]
    assert north["area"] == "north"
    assert [t["label"] for t in north["as_at"]["by_category"]] == [1, 2, 3, 4]
    assert len(north["managed_during"]["cells"]) == 12
