"""The MAPPA annual report figures, per area, as category x level counts.

Two figures, both pure over nominal states:

- **As at** (``as_at_counts``): nominals under management in the area on the ``as_at``
  day, each under the category and level in force at the end of that day. The annual
  report uses the last day of the reporting year; any day may be asked for.
- **Managed during** (``managed_during_counts``): nominals under management in the area on
  at least one day of the period, each counted once, under the last category it held in
  the period and the *highest* level it was managed at in the period. So the level 2 and 3
  cells count everyone who needed multi-agency management at some point in the year, and
  the grand total is the number of distinct nominals managed.

Management runs from the registration date up to, but not including, the day it ended or
the nominal was transferred out (``NominalState.is_managed_on``). A nominal with no
category or level yet is counted in a ``None`` cell, never dropped.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.mappa.domain.nominal import NominalState

Cell = tuple[int | None, int | None]
"""A (category, level) pair; ``None`` means not yet assigned."""


@dataclass(frozen=True)
class ReportingPeriod:
    """An inclusive date range, usually a reporting year."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"reporting period ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class CategoryLevelCounts:
    """Counts of nominals by (category, level) for one area."""

    area: str
    cells: dict[Cell, int]

    def count(self, category: int | None, level: int | None) -> int:
        """The number in one cell; 0 for an empty cell."""
        return self.cells.get((category, level), 0)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def category_total(self, category: int | None) -> int:
        return sum(n for (cat, _), n in self.cells.items() if cat == category)

    def level_total(self, level: int | None) -> int:
        return sum(n for (_, lvl), n in self.cells.items() if lvl == level)


@dataclass(frozen=True)
class AnnualFigures:
    """The annual report figures for one area."""

    area: str
    period: ReportingPeriod
    as_at: date
    managed_during: CategoryLevelCounts
    as_at_counts: CategoryLevelCounts


def reporting_period(ending_year: int, start_month: int) -> ReportingPeriod:
    """The twelve months ending in ``ending_year`` that start on day 1 of ``start_month``.

    With start month 4 (the policy default), year 2025 is 1 April 2024 to 31 March 2025;
    with start month 1 it is the calendar year 2025.
    """
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1-12, not {start_month}")
    start_year = ending_year if start_month == 1 else ending_year - 1
    start = date(start_year, start_month, 1)
    next_start = date(start_year + 1, start_month, 1)
    return ReportingPeriod(start=start, end=next_start - timedelta(days=1))


def as_at_counts(
    states: Iterable[NominalState], as_at: date, area: str | None = None
) -> dict[str, CategoryLevelCounts]:
    """Per area, the nominals managed on ``as_at`` by category and level on that day."""
    tallies: dict[str, Counter[Cell]] = {}
    for state in _in_area(states, area):
        if state.is_managed_on(as_at):
            cell = (state.category_on(as_at), state.level_on(as_at))
            tallies.setdefault(state.area, Counter())[cell] += 1
    return _as_counts(tallies)


def managed_during_counts(
    states: Iterable[NominalState], period: ReportingPeriod, area: str | None = None
) -> dict[str, CategoryLevelCounts]:
    """Per area, the nominals managed on any day of ``period``, each counted once."""
    tallies: dict[str, Counter[Cell]] = {}
    for state in _in_area(states, area):
        window = _managed_window(state, period)
        if window is None:
            continue
        first_day, last_day = window
        levels = {state.level_on(first_day)} | {
            change.level
            for change in state.level_history
            if first_day < change.from_date <= last_day
        }
        known_levels = [level for level in levels if level is not None]
        highest = max(known_levels) if known_levels else None
        cell = (state.category_on(last_day), highest)
        tallies.setdefault(state.area, Counter())[cell] += 1
    return _as_counts(tallies)


def annual_figures(
    states: Iterable[NominalState],
    period: ReportingPeriod,
    as_at: date,
    area: str | None = None,
) -> dict[str, AnnualFigures]:
    """Both figures per area; an area with nominals in either figure gets an entry."""
    state_list = list(states)
    during = managed_during_counts(state_list, period, area)
    at = as_at_counts(state_list, as_at, area)
    return {
        name: AnnualFigures(
            area=name,
            period=period,
            as_at=as_at,
            managed_during=during.get(name, CategoryLevelCounts(name, {})),
            as_at_counts=at.get(name, CategoryLevelCounts(name, {})),
        )
        for name in sorted(during.keys() | at.keys())
    }


def _managed_window(state: NominalState, period: ReportingPeriod) -> tuple[date, date] | None:
    """The first and last day of ``period`` on which the nominal was managed, if any."""
    first_day = max(period.start, state.registered_on)
    last_day = period.end
    ended = state.management_ended_on
    if ended is not None:
        last_day = min(last_day, ended - timedelta(days=1))
    return (first_day, last_day) if first_day <= last_day else None


def _in_area(states: Iterable[NominalState], area: str | None) -> Iterable[NominalState]:
    return (state for state in states if area is None or state.area == area)


def _as_counts(tallies: dict[str, Counter[Cell]]) -> dict[str, CategoryLevelCounts]:
    return {name: CategoryLevelCounts(name, dict(tally)) for name, tally in tallies.items()}
