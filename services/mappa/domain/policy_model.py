"""The MAPPA policy as plain frozen data.

The domain depends only on these types; reading and validating the YAML file is the job of
``services.mappa.policy`` at the edge, so the rules stay free of I/O.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.mappa.domain.dates import add_months, add_weeks

MAPPA_LEVELS: tuple[int, ...] = (1, 2, 3)
MAPPA_CATEGORIES: tuple[int, ...] = (1, 2, 3, 4)
TERRORIST_CATEGORY = 4


class IntervalUnit(StrEnum):
    """How a review interval is counted: whole weeks, or calendar months."""

    WEEKS = "weeks"
    MONTHS = "months"


@dataclass(frozen=True)
class ReviewInterval:
    """A review interval such as 16 weeks or 12 calendar months."""

    count: int
    unit: IntervalUnit

    def after(self, start: date) -> date:
        """Return the date one interval after ``start``."""
        if self.unit is IntervalUnit.WEEKS:
            return add_weeks(start, self.count)
        return add_months(start, self.count)


@dataclass(frozen=True)
class ReviewIntervals:
    """Default time between reviews for each MAPPA level."""

    level_1: ReviewInterval
    level_2: ReviewInterval
    level_3: ReviewInterval

    def for_level(self, level: int) -> ReviewInterval:
        """Return the interval for ``level``; a level outside 1-3 is a programming error."""
        if level == 1:
            return self.level_1
        if level == 2:
            return self.level_2
        if level == 3:
            return self.level_3
        raise ValueError(f"MAPPA level must be 1, 2 or 3, not {level!r}")


@dataclass(frozen=True)
class MappaPolicy:
    """Every MAPPA threshold and interval a deploying partnership may change."""

    review_intervals: ReviewIntervals
    category_4_enabled: bool
    due_soon_horizon_days: int
    responsible_authority_agency_types: tuple[str, ...]
    reporting_year_start_month: int

    def is_responsible_authority(self, agency_type: str) -> bool:
        """Say whether ``agency_type`` is one of the statutory Responsible Authority agencies."""
        return agency_type in self.responsible_authority_agency_types
