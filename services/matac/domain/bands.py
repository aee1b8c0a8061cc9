"""Choosing the R, F and G band for a measured value, and saying which band and why."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.matac.domain.json_values import json_number
from services.matac.policy import MatacPolicy


@dataclass(frozen=True)
class BandChoice:
    """The band a value fell in, with its bounds, so a score can be explained and checked.

    `lower` is exclusive for upper-limit bands (recency, gravity) and inclusive for
    frequency ranges; None means unbounded on that side.
    """

    measure: str
    value: int | Decimal
    band_index: int
    lower: int | Decimal | None
    lower_inclusive: bool
    upper: int | Decimal | None
    points: int

    def bounds(self) -> str:
        """Human-readable bounds such as '> 1 and <= 3' or '>= 8'."""
        parts = []
        if self.lower is not None:
            parts.append(f"{'>=' if self.lower_inclusive else '>'} {self.lower}")
        if self.upper is not None:
            parts.append(f"<= {self.upper}")
        return " and ".join(parts) if parts else "any"

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "value": json_number(self.value),
            "band_index": self.band_index,
            "lower": None if self.lower is None else json_number(self.lower),
            "lower_inclusive": self.lower_inclusive,
            "upper": None if self.upper is None else json_number(self.upper),
            "bounds": self.bounds(),
            "points": self.points,
        }


def recency_band(months: int, policy: MatacPolicy) -> BandChoice:
    """R band for the months since the latest incident (see `dates.months_since`)."""
    previous: int | None = None
    for index, band in enumerate(policy.recency_bands):
        if band.max_months is None or months <= band.max_months:
            return BandChoice(
                measure="months_since_latest_incident",
                value=months,
                band_index=index,
                lower=previous,
                lower_inclusive=False,
                upper=band.max_months,
                points=band.points,
            )
        previous = band.max_months
    raise ValueError(f"{months} months is beyond every recency band of {policy.source}")


def frequency_band(count: int, policy: MatacPolicy) -> BandChoice:
    """F band for the number of incidents counted in the window (at least one)."""
    for index, band in enumerate(policy.frequency_bands):
        if count >= band.min_incidents and (
            band.max_incidents is None or count <= band.max_incidents
        ):
            return BandChoice(
                measure="incidents_in_window",
                value=count,
                band_index=index,
                lower=band.min_incidents,
                lower_inclusive=True,
                upper=band.max_incidents,
                points=band.points,
            )
    raise ValueError(f"{count} incidents is outside every frequency band of {policy.source}")


def gravity_band(harm: Decimal, policy: MatacPolicy) -> BandChoice:
    """G band for the summed harm points of the incidents counted in the window."""
    previous: Decimal | None = None
    for index, band in enumerate(policy.gravity_bands):
        if band.max_harm is None or harm <= band.max_harm:
            return BandChoice(
                measure="harm_points_in_window",
                value=harm,
                band_index=index,
                lower=previous,
                lower_inclusive=False,
                upper=band.max_harm,
                points=band.points,
            )
        previous = band.max_harm
    raise ValueError(f"{harm} harm points is beyond every gravity band of {policy.source}")
