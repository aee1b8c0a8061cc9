"""MAPPA coordinator pages: reviews due and overdue, a nominal's record with its level
history, and recording a review or a level change.

Each page calls the function behind the matching ``/api/mappa`` route with the signed-in
user as the caller, so the same rules and the same agreement (purpose ``mappa``) apply. Only
MAPPA parties get in, as on the API: an agency with no ``mappa`` purpose in any agreement in
force (an IDVA service; the MARAC coordination team, even with the MAPPA coordinator role)
gets the 403 page for the reviews list and the 404 page for every nominal page, as if the
nominal did not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import ValidationError

from services.intake.web.core import (
    PageCaller,
    PageRoute,
    PostedForm,
    agencies,
    get_platform,
    redirect,
    render,
    require,
)
from services.intake.web.referral_form import Errors, check_date, date_parts, text
from services.mappa import api as mappa_api
from services.mappa import intake as mappa_intake
from services.mappa import records as mappa_records
from services.mappa.duplicates import MATCHED_ON_WORDS
from services.mappa.models import (
    AREA_PATTERN,
    RecordReviewRequest,
    RegisterNominalRequest,
    SetLevelRequest,
)
from services.sharing.service import Caller

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_coordinator_role = require("mappa_coordinator")
Coordinator = Annotated[Caller, Depends(_coordinator_role)]


def nominal_page_caller(request: Request, caller: PageCaller) -> Caller:
    """A MAPPA coordinator of a MAPPA party.

    An agency that is no MAPPA party gets the 404 page whatever its role, as on the API, so a
    nominal page never says whether the nominal exists; a MAPPA party without the role gets
    the 403 page.
    """
    if mappa_intake.mappa_party(get_platform(request), caller.agency) is None:
        raise HTTPException(404)
    return _coordinator_role(caller)


NominalCoordinator = Annotated[Caller, Depends(nominal_page_caller)]
LEVELS = [
    ("1", "Level 1: ordinary management by the lead agency"),
    ("2", "Level 2: active multi-agency management"),
    ("3", "Level 3: level 2 with senior oversight"),
]


@router.get("/mappa/reviews")
def reviews(request: Request, caller: Coordinator):
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        due = mappa_api.list_reviews(
            caller=caller,
            platform=platform,
            db=conn,
            due_within_days=None,
            overdue=False,
            area=None,
            lead_agency=None,
            format="json",
        )
        names = mappa_records.nominal_names(
            platform, conn, caller, [r.nominal_id for r in due.reviews], "GET /mappa/reviews"
        )
    return render(
        request,
        "mappa/reviews.html",
        {
            "names": names,
            "due": due.model_dump(mode="json"),
            "agency_names": dict(agencies(platform)),
        },
    )


def _record(request: Request, caller: Caller, nominal_id: str) -> dict[str, Any]:
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        record = mappa_api.get_nominal(nominal_id, caller, platform, conn)
    return record if isinstance(record, dict) else record.model_dump(mode="json")


MANAGEMENT = [
    ("managed", "Still managed here"),
    ("ended", "Ended or transferred out"),
    ("all", "All"),
]
PAGE_SIZE = 50


def _mappa_agencies(platform) -> list[tuple[str, str]]:
    """Agencies that may lead a nominal: parties to MAPPA under the agreement in force."""
    return [a for a in agencies(platform) if mappa_intake.mappa_party(platform, a[0]) is not None]


@router.get("/mappa/nominals")
def nominals(request: Request, caller: NominalCoordinator):
    """Every nominal, filtered; a GET form so a filtered list can be kept as a link."""
    platform = get_platform(request)
    query = request.query_params
    filters = {
        "area": text(query, "area"),
        "lead_agency": text(query, "lead_agency"),
        "level": text(query, "level"),
        "management": text(query, "management") or "managed",
    }
    if filters["level"] not in ("", "1", "2", "3") or filters["management"] not in dict(MANAGEMENT):
        raise HTTPException(404)
    try:
        offset = max(0, int(text(query, "offset") or 0))
    except ValueError:
        raise HTTPException(404) from None
    with platform.engine.connect() as conn:
        listed = mappa_api.list_nominals(
            caller=caller,
            platform=platform,
            db=conn,
            area=filters["area"] or None,
            lead_agency=filters["lead_agency"] or None,
            level=int(filters["level"]) if filters["level"] else None,
            management=filters["management"],
            limit=PAGE_SIZE,
            offset=offset,
        )
    kept = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "mappa/nominals.html",
        {
            "listed": listed.model_dump(mode="json"),
            "filters": filters,
            "lead_agencies": _mappa_agencies(platform),
            "levels": LEVELS,
            "management": MANAGEMENT,
            "previous": urlencode(kept | {"offset": max(0, offset - PAGE_SIZE)})
            if offset
            else None,
            "next": urlencode(kept | {"offset": offset + PAGE_SIZE})
            if offset + PAGE_SIZE < listed.total
            else None,
            "agency_names": dict(agencies(platform)),
        },
    )


REGISTER_ORDER = [
    "area",
    "lead_agency",
    "registered_on",
    "name",
    "date_of_birth",
    "pnc_id",
    "visor_reference",
    "probation_reference",
    "index_offence",
    "sentence",
    "rosh_level",
    "address",
    "address_risk",
    "risk_management_plan",
    "confirmed_not_duplicate",
]
ROSH_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("very_high", "Very high")]
REGISTER_WORDS = {
    "area": "the MAPPA area",
    "lead_agency": "the lead agency",
    "registered_on": "the date MAPPA management started",
    "name": "the full name",
    "date_of_birth": "the date of birth",
    "index_offence": "the index offence",
}


def _register_page(request, values, errors: Errors | None, duplicates=None):
    platform = get_platform(request)
    context: dict[str, Any] = {
        "values": values,
        "lead_agencies": _mappa_agencies(platform),
        "rosh_levels": ROSH_LEVELS,
        "duplicates": duplicates or [],
        "matched_on_words": MATCHED_ON_WORDS,
    }
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(REGISTER_ORDER)
    return render(request, "mappa/register.html", context, status_code=400 if errors else 200)


@router.get("/mappa/nominals/new")
def register_form(request: Request, caller: NominalCoordinator):
    return _register_page(request, {"area": "thames-valley"}, None)


@router.post("/mappa/nominals/new")
def register_nominal(request: Request, caller: NominalCoordinator, form: PostedForm):
    """Register, then redirect to the record (Post/Redirect/Get). A possible duplicate (same
    PNC ID, ViSOR reference, or name and date of birth) shows the form again with the
    existing nominals named, until the coordinator confirms it is not the same record."""
    platform = get_platform(request)
    today = platform.today()
    values: dict[str, Any] = {
        name: text(form, name)
        for name in REGISTER_ORDER
        if name not in ("registered_on", "date_of_birth")
    }
    values["registered_on"] = date_parts(form, "registered_on")
    values["date_of_birth"] = date_parts(form, "date_of_birth")
    errors = _LinkedErrors()
    for name in ("area", "lead_agency", "name", "index_offence"):
        if not values[name]:
            verb = "Select" if name == "lead_agency" else "Enter"
            errors.add(name, f"{verb} {REGISTER_WORDS[name]}")
    registered, born = (
        check_date(values[name], name, REGISTER_WORDS[name], errors, today, True)
        for name in ("registered_on", "date_of_birth")
    )
    if values["area"] and not re.fullmatch(AREA_PATTERN, values["area"]):
        errors.add("area", "Enter the area in lower-case letters, digits and hyphens")
    if values["rosh_level"] and values["rosh_level"] not in dict(ROSH_LEVELS):
        errors.add("rosh_level", "Select the risk of serious harm level")
    if errors:
        return _register_page(request, values, errors)
    optional = ("pnc_id", "visor_reference", "probation_reference", "sentence")
    optional += ("rosh_level", "address", "address_risk", "risk_management_plan")
    try:
        body = RegisterNominalRequest(
            area=values["area"],
            lead_agency=values["lead_agency"],
            registered_on=registered,
            name=values["name"],
            date_of_birth=born,
            index_offence=values["index_offence"],
            confirmed_not_duplicate=values["confirmed_not_duplicate"] == "yes",
            **{name: values[name] or None for name in optional},
        )
        writer = mappa_api.mappa_writer(caller, platform)
        accepted = mappa_api.register_nominal(body, writer, platform, Response())
    except ValidationError as exc:
        errors = _LinkedErrors()
        for problem in exc.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "name"
            errors.add(name if name in REGISTER_ORDER else "name", _in_words(problem["msg"]))
        return _register_page(request, values, errors)
    except HTTPException as exc:
        detail = exc.detail
        if isinstance(detail, dict) and detail.get("rule") == "possible_duplicate":
            errors = _LinkedErrors()
            errors.add(
                "confirmed_not_duplicate",
                "This nominal may already be registered: check the records below, then "
                "confirm this is not the same record",
            )
            found = [
                {"nominal_id": nominal_id, "matched_on": detail.get("matched_on") or []}
                for nominal_id in detail.get("existing_nominal_ids") or []
            ]
            return _register_page(request, values, errors, found)
        if exc.status_code not in (409, 422):
            raise
        return _register_page(request, values, _problems(exc, REGISTER_ORDER))
    return redirect(request, f"/mappa/nominals/{accepted.nominal_id}?done=registered")


@router.get("/mappa/nominals/{nominal_id}")
def nominal(request: Request, nominal_id: str, caller: NominalCoordinator, done: str = ""):
    platform = get_platform(request)
    record = _record(request, caller, nominal_id)
    return render(
        request,
        "mappa/nominal.html",
        {
            "n": _jsonable(record),
            "done": done,
            "agency_names": dict(agencies(platform)),
        },
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


FIELD_WORDS = {
    "held_on": "the date of the review",
    "effective_on": "the date the level starts",
    "next_review_on": "the next review date",
    "senior_oversight_need": "why senior oversight is needed",
    "attended_agencies": "the agencies that attended",
    "outcome": "the outcome",
    "reason": "the reason",
    "level": "the level",
    "date_of_birth": "the date of birth",
    "registered_on": "the date MAPPA management started",
}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _in_words(message: str) -> str:
    """A rule's message as a sentence for the page: field names and ISO dates in words."""
    message = message.removeprefix("Value error, ")
    message = _ISO_DATE.sub(
        lambda m: f"{int(m[3])} {dt.date(2000, int(m[2]), 1):%B} {m[1]}", message
    )
    for field, words in FIELD_WORDS.items():
        message = re.sub(rf"\b{field}\b", words, message)
    message = message.replace("(", "").replace(")", "")
    return message[:1].upper() + message[1:]


def _field_named(message: str, known: list[str]) -> str:
    """The form field a message is about: the first known field it names, else the first."""
    found = [(message.find(f), f) for f in known if re.search(rf"\b{f}\b", message)]
    return min(found)[1] if found else known[0]


DATE_FIELDS = {"held_on", "effective_on", "next_review_on", "registered_on", "date_of_birth"}


class _LinkedErrors(Errors):
    """Errors whose summary links go to a date's day box, as check_date's do."""

    def add(self, name: str, message: str, anchor: str | None = None) -> None:
        super().add(name, message, anchor or (f"{name}-day" if name in DATE_FIELDS else None))


def _problems(exc: HTTPException, known: list[str]) -> Errors:
    """A refusal from the API as GOV.UK errors: in words, each linked to its field."""
    errors = _LinkedErrors()
    detail = exc.detail
    if isinstance(detail, dict):  # a MAPPA rule refused it (409)
        message = str(detail.get("message", detail))
        errors.add(_field_named(message, known), _in_words(message))
    elif isinstance(detail, list):
        for problem in detail:
            location = [str(p) for p in problem.get("loc", []) if p != "body"]
            message = str(problem.get("msg", ""))
            name = (
                location[0] if location and location[0] in known else _field_named(message, known)
            )
            errors.add(name, _in_words(message))
    else:
        errors.add(known[0], _in_words(str(detail)))
    return errors


def _form_page(request, template, nominal_id, caller, values, errors: Errors | None, order):
    platform = get_platform(request)
    record = _record(request, caller, nominal_id)
    context: dict[str, Any] = {
        "n": _jsonable(record),
        "values": values,
        "agencies": agencies(platform),
        "levels": LEVELS,
    }
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(order)
    return render(request, template, context, status_code=400 if errors else 200)


REVIEW_ORDER = ["held_on", "outcome", "next_review_on", "attended_agencies"]


@router.get("/mappa/nominals/{nominal_id}/review")
def review_form(request: Request, nominal_id: str, caller: NominalCoordinator):
    return _form_page(request, "mappa/review.html", nominal_id, caller, {}, None, REVIEW_ORDER)


@router.post("/mappa/nominals/{nominal_id}/review")
def record_review(request: Request, nominal_id: str, caller: NominalCoordinator, form: PostedForm):
    platform = get_platform(request)
    today = platform.today()
    values: dict[str, Any] = {
        "held_on": date_parts(form, "held_on"),
        "outcome": text(form, "outcome"),
        "next_review_on": date_parts(form, "next_review_on"),
        "attended_agencies": [str(a) for a in form.getlist("attended_agencies")],
    }
    errors = Errors()
    held = check_date(values["held_on"], "held_on", "the date of the review", errors, today, True)
    if not values["outcome"]:
        errors.add("outcome", "Enter the outcome of the review")
    following = check_date(
        values["next_review_on"],
        "next_review_on",
        "the next review date",
        errors,
        dt.date.max,
        False,
    )
    if errors:
        return _form_page(
            request, "mappa/review.html", nominal_id, caller, values, errors, REVIEW_ORDER
        )
    try:
        body = RecordReviewRequest(
            held_on=held,
            outcome=values["outcome"],
            next_review_on=following,
            attended_agencies=values["attended_agencies"],
        )
        writer = mappa_api.mappa_writer(caller, platform)
        mappa_api.record_review(nominal_id, body, writer, platform)
    except ValidationError as exc:
        errors = Errors()
        for problem in exc.errors():
            errors.add(str(problem["loc"][0]), problem["msg"])
        return _form_page(
            request, "mappa/review.html", nominal_id, caller, values, errors, REVIEW_ORDER
        )
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        return _form_page(
            request,
            "mappa/review.html",
            nominal_id,
            caller,
            values,
            _problems(exc, REVIEW_ORDER),
            REVIEW_ORDER,
        )
    return redirect(request, f"/mappa/nominals/{nominal_id}?done=review")


LEVEL_ORDER = ["level", "effective_on", "reason", "senior_oversight_need", "next_review_on"]


@router.get("/mappa/nominals/{nominal_id}/level")
def level_form(request: Request, nominal_id: str, caller: NominalCoordinator):
    return _form_page(request, "mappa/level.html", nominal_id, caller, {}, None, LEVEL_ORDER)


@router.post("/mappa/nominals/{nominal_id}/level")
def set_level(request: Request, nominal_id: str, caller: NominalCoordinator, form: PostedForm):
    platform = get_platform(request)
    today = platform.today()
    values: dict[str, Any] = {
        "level": text(form, "level"),
        "effective_on": date_parts(form, "effective_on"),
        "reason": text(form, "reason"),
        "senior_oversight_need": text(form, "senior_oversight_need"),
        "next_review_on": date_parts(form, "next_review_on"),
    }
    errors = Errors()
    if values["level"] not in ("1", "2", "3"):
        errors.add("level", "Select the MAPPA level")
    effective = check_date(
        values["effective_on"], "effective_on", "the date the level starts", errors, today, True
    )
    if not values["reason"]:
        errors.add("reason", "Enter why the nominal is managed at this level")
    if values["level"] == "3" and not values["senior_oversight_need"]:
        errors.add("senior_oversight_need", "Enter why level 3 needs senior oversight")
    following = check_date(
        values["next_review_on"],
        "next_review_on",
        "the next review date",
        errors,
        dt.date.max,
        False,
    )
    if errors:
        return _form_page(
            request, "mappa/level.html", nominal_id, caller, values, errors, LEVEL_ORDER
        )
    body = SetLevelRequest(
        level=int(values["level"]),
        effective_on=effective,
        reason=values["reason"],
        senior_oversight_need=values["senior_oversight_need"] or None,
        next_review_on=following,
    )
    writer = mappa_api.mappa_writer(caller, platform)
    try:
        mappa_api.set_level(nominal_id, body, writer, platform)
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        return _form_page(
            request,
            "mappa/level.html",
            nominal_id,
            caller,
            values,
            _problems(exc, LEVEL_ORDER),
            LEVEL_ORDER,
        )
    return redirect(request, f"/mappa/nominals/{nominal_id}?done=level")
