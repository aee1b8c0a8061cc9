"""Harm points of one incident: the points of its most serious offence."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.matac.domain.model import Incident
from services.matac.policy import NON_CRIME, MatacPolicy


@dataclass(frozen=True)
class IncidentHarm:
    """The offence that sets an incident's harm, its points, and anything worth flagging."""

    most_serious_offence: str
    points: Decimal
    note: str | None = None


def incident_harm(incident: Incident, policy: MatacPolicy) -> IncidentHarm:
    """Points of the incident's most serious offence under the policy's harm table.

    An incident with no offence category scores as `non_crime`, whether or not it is
    recorded as a crime; a crime with no category is flagged in the note because the
    record is probably incomplete. A non-crime incident that does carry a category is
    scored by that category. Equal points are settled by the alphabetically first code
    so the explanation does not depend on the order categories were recorded in.
    An unknown code is a data error and raises, rather than scoring as nothing.
    """
    for code in incident.offence_categories:
        if code not in policy.harm_points:
            raise ValueError(
                f"incident {incident.incident_id}: unknown offence category {code!r}; "
                f"the policy {policy.source} has no harm points for it"
            )
    if not incident.offence_categories:
        note = (
            f"crime recorded with no offence category: scored as {NON_CRIME}"
            if incident.is_crime
            else None
        )
        return IncidentHarm(NON_CRIME, policy.harm_points[NON_CRIME], note)
    worst = min(incident.offence_categories, key=lambda code: (-policy.harm_points[code], code))
    return IncidentHarm(worst, policy.harm_points[worst])
