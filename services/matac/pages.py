"""Police analyst pages: the MATAC ranking by area and as-of date, a perpetrator's score
breakdown and score history, the cohort with entry and exit scores, and the forms that
nominate a perpetrator and add to or remove from the cohort.

Each page calls the function behind the matching ``/api/matac`` route with the signed-in
user as the caller, so the same roles and the same agreement (purpose ``matac``) apply.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import ValidationError
from sqlalchemy import select

from projections.matac import matac_incidents
from services.intake.web.core import (
    PageRoute,
    PostedForm,
    agencies,
    get_platform,
    redirect,
    render,
    require,
    templates,
)
from services.intake.web.referral_form import Errors, check_date, date_parts, text
from services.matac import api as matac_api
from services.matac import exports
from services.matac.charts import line_chart
from services.matac.models import CohortJoinIn, NominationIn
from services.sharing.service import Caller

router = APIRouter(route_class=PageRoute, include_in_schema=False)
templates.env.filters["offence"] = exports.offence_label  # MATAC's pages word offences

Reader = Annotated[Caller, Depends(require("analyst", "coordinator"))]
Analyst = Annotated[Caller, Depends(require("analyst"))]


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


def _profile(request: Request, caller: Caller, person_id: str, as_of: dt.date):
    """The perpetrator's profile as the API gives it to this caller (404 if unknown)."""
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        return matac_api.profile(
            request=request,
            person_id=person_id,
            caller=caller,
            platform=platform,
            db=conn,
            policy=_policy(platform),
            as_of=as_of,
            output="json",
        )


@router.get("/matac/perpetrators/{person_id}")
def perpetrator(request: Request, person_id: str, caller: Reader, done: str = ""):
    platform = get_platform(request)
    parts, as_of, errors = _as_of(request, platform.today())
    if errors:
        raise HTTPException(404)
    profile = _profile(request, caller, person_id, as_of)
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
            "done": done,
            "analyst": caller.role == "analyst",
        },
    )


@router.get("/matac/cohort")
def cohort(request: Request, caller: Reader, area: str = "", done: str = ""):
    platform = get_platform(request)
    today = platform.today()
    areas = _areas(platform)
    parts, as_of, errors = _as_of(request, today)
    context: dict[str, Any] = {
        "areas": areas,
        "area": area,
        "as_of_parts": parts,
        "report": None,
        "done": done,
        "analyst": caller.role == "analyst",
        "today": today,
    }
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


# -- nominating a perpetrator and managing the cohort ------------------------------------------

EXIT_REASONS = [
    "Completed the intervention",
    "Score has fallen: no longer a priority",
    "Moved out of the area",
    "In custody",
    "No longer engaging",
    "Died",
]
"""Why someone left the cohort, as categories: the API keeps the reason unencrypted, so the
form offers no free text that could carry personal details."""

FIELD_WORDS = {
    "nominated_on": "the nomination date",
    "joined_on": "the joining date",
    "left_on": "the leaving date",
}
DATE_FIELDS = set(FIELD_WORDS)
RULE_WORDS = {
    "already_in_cohort": "This person is already in the cohort",
    "not_in_cohort": "This person is not in the cohort",
    "not_in_population": (
        "This person cannot join the cohort on that date: they are not in the ranked "
        "population then (no counted incident or nomination, under 16, in custody, away or "
        "deceased)"
    ),
    "nominee_has_no_incident": (
        "No police domestic abuse incident is recorded for this person, so MATAC cannot rank them"
    ),
}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _in_words(message: str, person_id: str) -> str:
    """A rule's message for the page: dates and field names in words, no ids."""
    message = message.removeprefix("Value error, ")
    message = _ISO_DATE.sub(
        lambda m: f"{int(m[3])} {dt.date(2000, int(m[2]), 1):%B} {m[1]}", message
    )
    for field, words in FIELD_WORDS.items():
        message = re.sub(rf"\b{field}\b", words, message)
    message = message.replace(person_id, "this person").replace("(", "").replace(")", "")
    return message[:1].upper() + message[1:]


def _refusal(exc: HTTPException, person_id: str, first_field: str) -> Errors:
    """A refusal from the API as GOV.UK errors linked to the form's fields."""
    errors = Errors()
    detail = exc.detail
    if isinstance(detail, dict):  # a MATAC rule (409)
        rule = str(detail.get("rule", ""))
        errors.add(
            first_field, RULE_WORDS.get(rule) or _in_words(str(detail.get("message")), person_id)
        )
        return errors
    problems = detail if isinstance(detail, list) else [{"loc": [], "msg": str(detail)}]
    for problem in problems:
        location = [str(p) for p in problem.get("loc", []) if p not in ("body", "query")]
        name = location[0] if location else first_field
        errors.add(
            name,
            _in_words(str(problem.get("msg", "")), person_id),
            f"{name}-day" if name in DATE_FIELDS else None,
        )
    return errors


def _form(request, template: str, context: dict[str, Any], errors: Errors | None, order):
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(order)
    return render(request, template, context, status_code=400 if errors else 200)


def _perpetrator_summary(request: Request, caller: Caller, person_id: str) -> dict[str, Any]:
    """Who the form is about (name as the agreement allows, area, cohort status); 404 if the
    person has no incident."""
    profile = _profile(request, caller, person_id, get_platform(request).today())
    data = profile.model_dump(mode="json")
    return {
        "person_id": person_id,
        "name": data.get("name"),
        "area": data.get("area"),
        "in_cohort": data.get("in_cohort"),
        "nominated": data.get("nominated"),
    }


NOMINATE_ORDER = ["reason", "nominated_on"]


@router.get("/matac/perpetrators/{person_id}/nominate")
def nominate_form(request: Request, person_id: str, caller: Reader):
    p = _perpetrator_summary(request, caller, person_id)
    return _form(request, "matac/nominate.html", {"p": p, "values": {}}, None, NOMINATE_ORDER)


@router.post("/matac/perpetrators/{person_id}/nominate")
def nominate(request: Request, person_id: str, caller: Reader, form: PostedForm):
    platform = get_platform(request)
    p = _perpetrator_summary(request, caller, person_id)
    values: dict[str, Any] = {
        "reason": text(form, "reason"),
        "nominated_on": date_parts(form, "nominated_on"),
    }
    errors = Errors()
    if not values["reason"]:
        errors.add("reason", "Enter why the MATAC meeting should review this person")
    elif len(values["reason"]) < 5:
        errors.add("reason", "The reason must be 5 characters or more")
    elif len(values["reason"]) > 2000:
        errors.add("reason", "The reason must be 2000 characters or fewer")
    nominated_on = check_date(
        values["nominated_on"],
        "nominated_on",
        "the nomination date",
        errors,
        platform.today(),
        required=False,
    )
    context = {"p": p, "values": values}
    if errors:
        return _form(request, "matac/nominate.html", context, errors, NOMINATE_ORDER)
    try:
        body = NominationIn(person_id=person_id, reason=values["reason"], nominated_on=nominated_on)
        matac_api.nominate(body, caller, platform)
    except ValidationError as exc:
        errors = Errors()
        for problem in exc.errors():
            errors.add(str(problem["loc"][0]), _in_words(problem["msg"], person_id))
        return _form(request, "matac/nominate.html", context, errors, NOMINATE_ORDER)
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        errors = _refusal(exc, person_id, "reason")
        return _form(request, "matac/nominate.html", context, errors, NOMINATE_ORDER)
    return redirect(request, f"/matac/perpetrators/{person_id}?done=nominated")


def _candidates(request: Request, caller: Caller) -> list[tuple[str, str]]:
    """Ranked perpetrators (in every area, today) who are not in the cohort: (id, label)."""
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        result = matac_api.rankings(
            request=request,
            caller=caller,
            platform=platform,
            db=conn,
            policy=_policy(platform),
            area=None,
            as_of=platform.today(),
            top=None,
            output="json",
        )
    found = []
    for row in result.rows:
        if row.in_cohort:
            continue
        name = row.name.value if row.name and row.name.status == "shown" else None
        label = f"{name or 'Person ' + row.person_id}, {row.area.replace('-', ' ').title()}"
        found.append((row.person_id, f"{label}: rank {row.rank}, score {row.score:g}"))
    return found


JOIN_ORDER = ["person_id", "joined_on"]


def _join_context(request, caller, values) -> dict[str, Any]:
    return {"candidates": _candidates(request, caller), "values": values}


@router.get("/matac/cohort/add")
def join_form(request: Request, caller: Analyst, person_id: str = ""):
    values = {"person_id": person_id}
    return _form(
        request, "matac/cohort_add.html", _join_context(request, caller, values), None, JOIN_ORDER
    )


@router.post("/matac/cohort/add")
def join(request: Request, caller: Analyst, form: PostedForm):
    platform = get_platform(request)
    values: dict[str, Any] = {
        "person_id": text(form, "person_id"),
        "joined_on": date_parts(form, "joined_on"),
    }
    context = _join_context(request, caller, values)
    errors = Errors()
    if values["person_id"] not in {c for c, _ in context["candidates"]}:
        errors.add("person_id", "Select the perpetrator to add to the cohort")
    joined_on = check_date(
        values["joined_on"], "joined_on", "the joining date", errors, platform.today(), False
    )
    if errors:
        return _form(request, "matac/cohort_add.html", context, errors, JOIN_ORDER)
    try:
        matac_api.join_cohort(
            request=request,
            body=CohortJoinIn(person_id=values["person_id"], joined_on=joined_on),
            caller=caller,
            platform=platform,
            policy=_policy(platform),
        )
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        errors = _refusal(exc, values["person_id"], "person_id")
        return _form(request, "matac/cohort_add.html", context, errors, JOIN_ORDER)
    return redirect(request, "/matac/cohort?done=added")


LEAVE_ORDER = ["reason", "left_on"]


@router.get("/matac/cohort/{person_id}/remove")
def leave_form(request: Request, person_id: str, caller: Analyst):
    p = _perpetrator_summary(request, caller, person_id)
    if not p["in_cohort"]:
        raise HTTPException(404)
    context = {"p": p, "values": {}, "reasons": [(r, r) for r in EXIT_REASONS]}
    return _form(request, "matac/cohort_remove.html", context, None, LEAVE_ORDER)


@router.post("/matac/cohort/{person_id}/remove")
def leave(request: Request, person_id: str, caller: Analyst, form: PostedForm):
    platform = get_platform(request)
    p = _perpetrator_summary(request, caller, person_id)
    values: dict[str, Any] = {
        "reason": text(form, "reason"),
        "left_on": date_parts(form, "left_on"),
    }
    context = {"p": p, "values": values, "reasons": [(r, r) for r in EXIT_REASONS]}
    errors = Errors()
    if values["reason"] not in EXIT_REASONS:
        errors.add("reason", "Select why this person is leaving the cohort")
    left_on = check_date(
        values["left_on"], "left_on", "the leaving date", errors, platform.today(), False
    )
    if errors:
        return _form(request, "matac/cohort_remove.html", context, errors, LEAVE_ORDER)
    try:
        matac_api.leave_cohort(
            person_id=person_id,
            caller=caller,
            platform=platform,
            policy=_policy(platform),
            left_on=left_on,
            reason=values["reason"],
        )
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        errors = _refusal(exc, person_id, "reason")
        return _form(request, "matac/cohort_remove.html", context, errors, LEAVE_ORDER)
    return redirect(request, "/matac/cohort?done=removed")
