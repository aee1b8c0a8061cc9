"""The search page: find a MARAC case, MATAC perpetrator or MAPPA nominal by name, date of
birth or reference, for MARAC coordinators, police analysts and MAPPA coordinators.

A GET form (a search changes nothing, and its address can be kept); the page calls
``services.search.api.search`` with the signed-in user, so the same roles, agreement and
audit apply as on ``GET /api/search``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from services.intake.web.core import PageRoute, agencies, get_platform, render, require
from services.intake.web.referral_form import Errors, check_date, date_parts, text
from services.search import api as search_api
from services.sharing.service import Caller

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Searcher = Annotated[Caller, Depends(require(*search_api.SEARCH_ROLES))]
ORDER = ["name", "date_of_birth", "reference"]
KIND_WORDS = {
    "marac_case": "MARAC cases",
    "matac_perpetrator": "MATAC perpetrators",
    "mappa_nominal": "MAPPA nominals",
}


@router.get("/search")
def search_page(request: Request, caller: Searcher):
    platform = get_platform(request)
    query = request.query_params
    values: dict[str, Any] = {
        "name": text(query, "name"),
        "date_of_birth": date_parts(query, "date_of_birth"),
        "reference": text(query, "reference"),
    }
    context: dict[str, Any] = {
        "values": values,
        "kinds": [KIND_WORDS[k] for k in search_api.searchable_kinds(platform, caller)],
        "agency_names": dict(agencies(platform)),
    }
    asked = "name" in query or "reference" in query
    if not asked:
        return render(request, "search.html", context)
    errors = Errors()
    today = platform.today()
    born = check_date(
        values["date_of_birth"], "date_of_birth", "the date of birth", errors, today, False
    )
    if not values["name"] and not values["reference"]:
        errors.add("name", "Enter a name, or a reference")
    elif born is not None and not values["name"]:
        errors.add("name", "Enter the name of the person born on that date")
    if not errors:
        try:
            with platform.engine.connect() as conn:
                found = search_api.search(
                    caller=caller,
                    platform=platform,
                    db=conn,
                    name=values["name"] or None,
                    date_of_birth=born,
                    reference=values["reference"] or None,
                )
            context["results"] = found.model_dump(mode="json")
        except HTTPException as exc:
            if exc.status_code != 422:
                raise
            errors.add("name", "Enter a surname as well as a forename")
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(ORDER)
    return render(request, "search.html", context, status_code=400 if errors else 200)
