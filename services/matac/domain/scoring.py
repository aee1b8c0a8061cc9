"""RFG(S) score of one perpetrator on an as-of date, with the explanation behind it.

Score = (w_R*R + w_F*F + w_G*G) * (1 + step*(victims - 1)), victims capped, per the policy.
Every incident given is listed in the explanation, counted or not, with the reason, so a
MATAC meeting (or a challenge to it) can see exactly which records made the number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.matac.domain.bands import BandChoice, frequency_band, gravity_band, recency_band
from services.matac.domain.dates import months_since, subtract_months
from services.matac.domain.harm import incident_harm
from services.matac.domain.json_values import json_number
from services.matac.domain.model import Incident
from services.matac.policy import MatacPolicy

IN_WINDOW = "in the look-back window"
AFTER_AS_OF = "after the as-of date"
BEFORE_WINDOW = "before the look-back window"


@dataclass(frozen=True)
class IncidentAssessment:
    """One incident as the score saw it: counted or not and why, and its harm."""

    incident_id: str
    occurred_on: date
    area: str
    counted: bool
    reason: str
    in_serial_window: bool
    most_serious_offence: str
    harm_points: Decimal
    victim_ids: tuple[str, ...]
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "occurred_on": self.occurred_on.isoformat(),
            "area": self.area,
            "counted": self.counted,
            "reason": self.reason,
            "in_serial_window": self.in_serial_window,
            "most_serious_offence": self.most_serious_offence,
            "harm_points": json_number(self.harm_points),
            "victim_ids": list(self.victim_ids),
            "note": self.note,
        }


@dataclass(frozen=True)
class Score:
    """A perpetrator's RFG(S) score and everything needed to explain it.

    The band fields are None when no incident is counted (then R, F and G are 0).
    `area` is the area of the latest counted incident. `victims_counted` is the victim
    number used in the multiplier: distinct victims in the window, capped, and at least 1
    so a record without a victim never shrinks the score.
    """

    as_of: date
    policy_name: str
    window_start: date
    serial_window_start: date
    total: Decimal
    base: Decimal
    recency_band: BandChoice | None
    frequency_band: BandChoice | None
    gravity_band: BandChoice | None
    incident_count: int
    total_harm: Decimal
    latest_incident_on: date | None
    area: str | None
    victims: int
    victims_counted: int
    multiplier: Decimal
    serial: bool
    serial_victims: int
    incidents: tuple[IncidentAssessment, ...]

    @property
    def recency(self) -> int:
        """R points."""
        return 0 if self.recency_band is None else self.recency_band.points

    @property
    def frequency(self) -> int:
        """F points."""
        return 0 if self.frequency_band is None else self.frequency_band.points

    @property
    def gravity(self) -> int:
        """G points."""
        return 0 if self.gravity_band is None else self.gravity_band.points

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values only: ISO dates, numbers, strings, lists and dicts."""
        return {
            "as_of": self.as_of.isoformat(),
            "policy": self.policy_name,
            "window_start": self.window_start.isoformat(),
            "serial_window_start": self.serial_window_start.isoformat(),
            "score": json_number(self.total),
            "base": json_number(self.base),
            "recency": self.recency,
            "frequency": self.frequency,
            "gravity": self.gravity,
            "recency_band": _band_dict(self.recency_band),
            "frequency_band": _band_dict(self.frequency_band),
            "gravity_band": _band_dict(self.gravity_band),
            "incident_count": self.incident_count,
            "total_harm": json_number(self.total_harm),
            "latest_incident_on": (
                None if self.latest_incident_on is None else self.latest_incident_on.isoformat()
            ),
            "area": self.area,
            "victims": self.victims,
            "victims_counted": self.victims_counted,
            "multiplier": json_number(self.multiplier),
            "serial": self.serial,
            "serial_victims": self.serial_victims,
            "incidents": [incident.to_dict() for incident in self.incidents],
        }


def score_perpetrator(incidents: Iterable[Incident], policy: MatacPolicy, as_of: date) -> Score:
    """Score the incidents of one perpetrator as they stood on `as_of`.

    Counted: incidents on or before `as_of` and on or after `as_of` minus the look-back
    months (so exactly 24 months old still counts; see `dates`). Serial looks back its own,
    longer window over all incidents given, independent of the look-back window.
    Raises ValueError for an unknown offence category or a repeated incident id.
    """
    ordered = sorted(incidents, key=lambda incident: (incident.occurred_on, incident.incident_id))
    _reject_repeated_ids(ordered)
    window_start = subtract_months(as_of, policy.lookback_months)
    serial_start = subtract_months(as_of, policy.serial_window_months)
    assessments = tuple(
        _assess(incident, policy, as_of, window_start, serial_start) for incident in ordered
    )
    counted = [assessment for assessment in assessments if assessment.counted]
    victims = {victim for assessment in counted for victim in assessment.victim_ids}
    serial_victims = {
        victim
        for assessment in assessments
        if assessment.in_serial_window
        for victim in assessment.victim_ids
    }
    total_harm = sum((assessment.harm_points for assessment in counted), Decimal(0))
    latest = counted[-1] if counted else None
    r_band = (
        None if latest is None else recency_band(months_since(latest.occurred_on, as_of), policy)
    )
    f_band = None if latest is None else frequency_band(len(counted), policy)
    g_band = None if latest is None else gravity_band(total_harm, policy)
    weights = policy.weights
    base = (
        weights.recency * _points(r_band)
        + weights.frequency * _points(f_band)
        + weights.gravity * _points(g_band)
    )
    victims_counted = min(max(len(victims), 1), weights.victims_cap)
    multiplier = 1 + weights.per_extra_victim * (victims_counted - 1)
    return Score(
        as_of=as_of,
        policy_name=policy.name,
        window_start=window_start,
        serial_window_start=serial_start,
        total=base * multiplier,
        base=base,
        recency_band=r_band,
        frequency_band=f_band,
        gravity_band=g_band,
        incident_count=len(counted),
        total_harm=total_harm,
        latest_incident_on=None if latest is None else latest.occurred_on,
        area=None if latest is None else latest.area,
        victims=len(victims),
        victims_counted=victims_counted,
        multiplier=multiplier,
        serial=len(serial_victims) >= policy.serial_minimum_victims,
        serial_victims=len(serial_victims),
        incidents=assessments,
    )


def _assess(
    incident: Incident, policy: MatacPolicy, as_of: date, window_start: date, serial_start: date
) -> IncidentAssessment:
    harm = incident_harm(incident, policy)
    if incident.occurred_on > as_of:
        counted, reason = False, AFTER_AS_OF
    elif incident.occurred_on < window_start:
        counted, reason = False, f"{BEFORE_WINDOW}, which starts {window_start.isoformat()}"
    else:
        counted, reason = True, IN_WINDOW
    return IncidentAssessment(
        incident_id=incident.incident_id,
        occurred_on=incident.occurred_on,
        area=incident.area,
        counted=counted,
        reason=reason,
        in_serial_window=serial_start <= incident.occurred_on <= as_of,
        most_serious_offence=harm.most_serious_offence,
        harm_points=harm.points,
        victim_ids=incident.victim_ids,
        note=harm.note,
    )


def _reject_repeated_ids(incidents: list[Incident]) -> None:
    """The same record twice would inflate F and G; that is a feed error, not a pattern."""
    seen: set[str] = set()
    for incident in incidents:
        if incident.incident_id in seen:
            raise ValueError(f"incident {incident.incident_id} is given more than once")
        seen.add(incident.incident_id)


def _points(band: BandChoice | None) -> int:
    return 0 if band is None else band.points


def _band_dict(band: BandChoice | None) -> dict[str, Any] | None:
    return None if band is None else band.to_dict()
