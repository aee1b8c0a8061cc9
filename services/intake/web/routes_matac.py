"""Police analyst pages: the MATAC ranking by area and as-of date, a perpetrator's score
breakdown and score history, and the cohort with entry and exit scores.

Each page calls the function behind the matching ``/api/matac`` route with the signed-in
user as the caller, so the same roles and the same agreement (purpose ``matac``) apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select

from projections.matac import matac_incidents
from services.intake.web.charts import line_chart
from services.intake.web.core import PageRoute, agencies, get_platform, render, require
from services.intake.web.referral_form import Errors, check_date
from services.matac import api as matac_api
from services.sharing.service import Caller

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Reader = Annotated[Caller, Depends(require("analyst", "coordinator"))]


def _areas(platform) -> list[str]:
    with platform.engine.connect() as conn:
        return sorted(conn.execute(select(matac_incidents.c.area).distinct()).scalars().all())


def _as_of(request: Request, today: dt.date) -> tuple[dict[str, str], dt.date | None, Errors]:
    """The as-of date from the GOV.UK date input (``as_of-day`` ...) or ``as_of=YYYY-MM-DD``."""
    query = request.query_params
    errors = Errors()
    if query.get("as_of"):
        try:
            day = dt.date.fromisoformat(query["as_of"])
        except ValueError:
            day = None
        parts = {"day": str(day.day), "month": str(day.month), "year": str(day.year)} if day else {}
        if day is None:
            errors.add("as_of", "The as-of date must be a real date", "as_of-day")
        elif day > today:
            errors.add("as_of", "The as-of date must be today or in the past", "as_of-day")
            day = None
        return parts, day, errors
    parts = {k: query.get(f"as_of-{k}", "").strip() for k in ("day", "month", "year")}
    if not any(parts.values()):
        return {}, today, errors
    day = check_date(parts, "as_of", "the as-of date", errors, today, required=True)
    return parts, day, errors


def _policy(platform):
    return matac_api.current_policy(platform)


@router.get("/matac/ranking")
def ranking(request: Request, caller: Reader, area: str = ""):
    platform = get_platform(request)
    today = platform.today()
    areas = _areas(platform)
    parts, as_of, errors = _as_of(request, today)
    if area and area not in areas:
        errors.add("area", "Select a policing area from the list")
    context: dict[str, Any] = {
        "areas": areas,
        "area": area,
        "as_of_parts": parts,
        "today": today,
        "ranking": None,
    }
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(["area", "as_of"])
        return render(request, "matac/ranking.html", context, status_code=400)
    with platform.engine.connect() as conn:
        result = matac_api.rankings(
            request=request,
            caller=caller,
            platform=platform,
            db=conn,
            policy=_policy(platform),
            area=area or None,
            as_of=as_of,
            top=None,
            output="json",
        )
    context["ranking"] = result.model_dump(mode="json")
    context["as_of"] = as_of
    return render(request, "matac/ranking.html", context)


@router.get("/matac/perpetrators/{person_id}")
def perpetrator(request: Request, person_id: str, caller: Reader):
    platform = get_platform(request)
    parts, as_of, errors = _as_of(request, platform.today())
    if errors:
        raise HTTPException(404)
    with platform.engine.connect() as conn:
        profile = matac_api.profile(
            request=request,
            person_id=person_id,
            caller=caller,
            platform=platform,
            db=conn,
            policy=_policy(platform),
            as_of=as_of,
            output="json",
        )
    data = profile.model_dump(mode="json")
    points = [(h.date, h.score) for h in profile.history]
    chart = line_chart(
        points,
        title="Score over the last 12 months",
        description=(
            f"The RFG(S) score every 28 days up to {as_of.isoformat()}: "
            + ", ".join(f"{d.isoformat()} {v:g}" for d, v in points)
        ),
    )
    return render(
        request,
        "matac/perpetrator.html",
        {
            "p": data,
            "chart": chart,
            "as_of": as_of,
            "agency_names": dict(agencies(platform)),
        },
    )


@router.get("/matac/cohort")
def cohort(request: Request, caller: Reader, area: str = ""):
    platform = get_platform(request)
    today = platform.today()
    areas = _areas(platform)
    parts, as_of, errors = _as_of(request, today)
    context: dict[str, Any] = {"areas": areas, "area": area, "as_of_parts": parts, "report": None}
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(["as_of"])
        return render(request, "matac/cohort.html", context, status_code=400)
    with platform.engine.connect() as conn:
        report = matac_api.cohort(
            request=request,
            caller=caller,
            platform=platform,
            db=conn,
            policy=_policy(platform),
            area=area or None,
            as_of=as_of,
        )
    context["report"] = report.model_dump(mode="json")
    context["as_of"] = as_of
    return render(request, "matac/cohort.html", context)
