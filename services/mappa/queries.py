"""Read-model queries for MAPPA: stored event logs, folded states, review lists and figures.

States are folded from the stored events with the domain ``fold`` under the policy the
caller passes (the area's policy in force), so review dates always follow the current
intervals. Only structure is folded; sensitive values stay tokens in ``StoredEvent.payload``
until ``services.mappa.records`` discloses them to a caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, true

from projections.mappa import mappa_nominal_events, mappa_nominals
from services.mappa.domain.nominal import NominalState, fold
from services.mappa.domain.policy_model import MAPPA_LEVELS, MappaPolicy
from services.mappa.domain.reviews import DueReview, reviews_due
from services.mappa.domain.stats import (
    AnnualFigures,
    CategoryLevelCounts,
    ReportingPeriod,
    annual_figures,
)
from services.mappa.facts import facts


@dataclass(frozen=True)
class StoredEvent:
    """One projected MAPPA event: its envelope facts and its payload as published."""

    event_id: str
    event_type: str
    nominal_id: str
    agency: str
    actor: str
    recorded_at: dt.datetime
    payload: dict[str, Any]

    def facts(self) -> dict[str, Any]:
        return facts(self.event_type, self.payload)


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        event_id=row.event_id,
        event_type=row.event_type,
        nominal_id=row.nominal_id,
        agency=row.agency,
        actor=row.actor,
        recorded_at=row.recorded_at,
        payload=row.payload,
    )


def load_events(conn: Connection, nominal_id: str) -> list[StoredEvent]:
    """Every projected event of one nominal, in stream order (empty if none)."""
    rows = conn.execute(
        select(mappa_nominal_events)
        .where(mappa_nominal_events.c.nominal_id == nominal_id)
        .order_by(mappa_nominal_events.c.position)
    ).all()
    return [_stored(r) for r in rows]


def references_of(conn: Connection, nominal_ids: Iterable[str]) -> dict[str, str]:
    """Each nominal's human reference; nominals registered before references have none."""
    ids = list(nominal_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(mappa_nominals.c.nominal_id, mappa_nominals.c.reference).where(
            mappa_nominals.c.nominal_id.in_(ids), mappa_nominals.c.reference.is_not(None)
        )
    )
    return {r.nominal_id: r.reference for r in rows}


def fold_events(events: Iterable[StoredEvent], policy: MappaPolicy) -> NominalState | None:
    return fold((e.facts() for e in events), policy)


def _states(conn: Connection, condition: Any, policy: MappaPolicy) -> list[NominalState]:
    """Fold every nominal whose summary row matches ``condition``, in nominal id order."""
    rows = conn.execute(
        select(mappa_nominal_events)
        .join(mappa_nominals, mappa_nominals.c.nominal_id == mappa_nominal_events.c.nominal_id)
        .where(condition)
        .order_by(mappa_nominal_events.c.nominal_id, mappa_nominal_events.c.position)
    ).all()
    streams: dict[str, list[StoredEvent]] = {}
    for row in rows:
        streams.setdefault(row.nominal_id, []).append(_stored(row))
    states = (fold_events(events, policy) for events in streams.values())
    return [s for s in states if s is not None]


@dataclass(frozen=True)
class ListedNominal:
    state: NominalState
    registration: StoredEvent
    """The MappaNominalRegistered event, which holds the (encrypted) name."""


def nominal_list(
    conn: Connection,
    policy: MappaPolicy,
    *,
    area: str | None = None,
    lead_agency: str | None = None,
    level: int | None = None,
    managed: bool | None = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[ListedNominal]]:
    """How many nominals match, and one page of them, latest registered first."""
    conditions: list[Any] = []
    if area is not None:
        conditions.append(mappa_nominals.c.area == area)
    if lead_agency is not None:
        conditions.append(mappa_nominals.c.lead_agency == lead_agency)
    if level is not None:
        conditions.append(mappa_nominals.c.level == level)
    if managed is not None:
        ended = mappa_nominals.c.management_ended_on
        conditions.append(ended.is_(None) if managed else ended.is_not(None))
    where = and_(true(), *conditions)
    total = conn.execute(select(func.count()).select_from(mappa_nominals).where(where)).scalar()
    ids = list(
        conn.execute(
            select(mappa_nominals.c.nominal_id)
            .where(where)
            .order_by(mappa_nominals.c.registered_on.desc(), mappa_nominals.c.nominal_id)
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
    rows = conn.execute(
        select(mappa_nominal_events)
        .where(mappa_nominal_events.c.nominal_id.in_(ids))
        .order_by(mappa_nominal_events.c.nominal_id, mappa_nominal_events.c.position)
    ).all()
    streams: dict[str, list[StoredEvent]] = {}
    for row in rows:
        streams.setdefault(row.nominal_id, []).append(_stored(row))
    listed = []
    for nominal_id in ids:
        events = streams.get(nominal_id, [])
        state = fold_events(events, policy)
        if state is not None:
            listed.append(ListedNominal(state, events[0]))
    return int(total or 0), listed


def due_reviews(
    conn: Connection,
    policy: MappaPolicy,
    today: dt.date,
    within_days: int,
    *,
    area: str | None = None,
    lead_agency: str | None = None,
    overdue_only: bool = False,
) -> list[DueReview]:
    """Overdue reviews and those due within ``within_days`` (domain ``reviews_due``)."""
    conditions = [mappa_nominals.c.management_ended_on.is_(None)]
    if area is not None:
        conditions.append(mappa_nominals.c.area == area)
    if lead_agency is not None:
        conditions.append(mappa_nominals.c.lead_agency == lead_agency)
    states = _states(conn, and_(*conditions), policy)
    return reviews_due(
        states,
        today,
        within_days,
        area=area,
        lead_agency=lead_agency,
        overdue_only=overdue_only,
    )


def figures(
    conn: Connection,
    policy: MappaPolicy,
    period: ReportingPeriod,
    as_at: dt.date,
    area: str | None = None,
) -> dict[str, AnnualFigures]:
    """The annual report figures per area (domain ``annual_figures``)."""
    last_day = max(period.end, as_at)
    first_day = min(period.start, as_at)
    conditions = [
        mappa_nominals.c.registered_on <= last_day,
        or_(
            mappa_nominals.c.management_ended_on.is_(None),
            mappa_nominals.c.management_ended_on > first_day,
        ),
    ]
    if area is not None:
        conditions.append(mappa_nominals.c.area == area)
    states = _states(conn, and_(*conditions), policy)
    return annual_figures(states, period, as_at, area)


def reporting_year_of(day: dt.date, start_month: int) -> int:
    """The reporting year (named by the year it ends in) that contains ``day``."""
    return day.year if start_month == 1 or day.month < start_month else day.year + 1


def stats_report(
    found: dict[str, AnnualFigures],
    *,
    year: int,
    period: ReportingPeriod,
    as_at: dt.date,
    area: str | None,
    policy: MappaPolicy,
) -> dict[str, Any]:
    """The figures as plain data, every category x level cell listed (zeros included).

    Categories 1-3 (and 4 when the policy enables it, or when any nominal has it) and levels
    1-3 always appear; a "not yet assigned" (null) cell appears only when it is not empty.
    An area asked for by name appears even when it has no nominals, with zero counts.
    """
    if area is not None and area not in found:
        empty = CategoryLevelCounts(area, {})
        found = {area: AnnualFigures(area, period, as_at, empty, empty)}
    return {
        "year": year,
        "period_start": period.start,
        "period_end": period.end,
        "as_at": as_at,
        "area": area,
        "areas": [
            {
                "area": name,
                "as_at": _figure(f.as_at_counts, policy),
                "managed_during": _figure(f.managed_during, policy),
            }
            for name, f in sorted(found.items())
        ],
    }


def _figure(counts: CategoryLevelCounts, policy: MappaPolicy) -> dict[str, Any]:
    categories: list[int | None] = [1, 2, 3]
    if policy.category_4_enabled or counts.category_total(4):
        categories.append(4)
    levels: list[int | None] = list(MAPPA_LEVELS)
    if counts.category_total(None):
        categories.append(None)
    if counts.level_total(None):
        levels.append(None)
    cells = [
        {"category": c, "level": lvl, "count": counts.count(c, lvl)}
        for c in categories
        for lvl in levels
        if counts.count(c, lvl) or (c is not None and lvl is not None)
    ]
    return {
        "total": counts.total,
        "by_category": [{"label": c, "count": counts.category_total(c)} for c in categories],
        "by_level": [{"label": lvl, "count": counts.level_total(lvl)} for lvl in levels],
        "cells": cells,
    }
