"""Post/Redirect/Get for every form: a POST that succeeds answers 303 See Other to a page
the browser then GETs, so Back or Refresh never offers to send the form again.

The routes come from the app's router: every page route (``PageRoute``) that takes POST
must have a case in ``FORMS`` that fills its form in validly; a new form without one fails
here. Each case posts as a signed-in person would (session cookie and CSRF token), expects
303 and GETs the address it names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from services.intake.web.core import PageRoute
from services.marac import api as marac_api
from services.marac.domain.dash import PARTNER_QUESTIONS
from services.marac.intake import submit_referral
from services.marac.models import ActionRequest, MeetingRequest, ReferralRequest
from services.sharing.service import Caller
from tests.api_harness import PASSWORD, ApiHarness, csrf_token, try_sign_in
from tests.integration.marac.referral_data import referral
from tests.integration.matac.scenario import FIRST_BATCH, TODAY, ids_in, known_persons

PEOPLE = {
    "chair": ("marac-coord", "coordinator"),
    "idva": ("idva-oxon", "referrer"),
    "housing": ("housing-oxford", "referrer"),
    "analyst": ("tvp", "analyst"),
    "mappa": ("mappa-coord", "mappa_coordinator"),
}


@dataclass
class Form:
    """A form to post: as whom, where, what (without the CSRF token)."""

    who: str
    path: str
    data: dict[str, str | list[str]]


def _caller(who: str) -> Caller:
    return Caller(who, *PEOPLE[who])


def _thursday(today: dt.date, days: int = 28) -> dt.date:
    day = today + dt.timedelta(days=days)
    while day.weekday() != 3:
        day += dt.timedelta(days=1)
    return day


def _date(name: str, day: dt.date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def _meeting(api: ApiHarness) -> str:
    body = MeetingRequest(marac_area="oxford", meeting_date=_thursday(api.platform.today()))
    return marac_api.schedule_meeting(body, _caller("chair"), api.platform).meeting_id


def _refer(api: ApiHarness, who: str = "idva", **kwargs) -> dict:
    body = ReferralRequest.model_validate(referral(**kwargs))
    with api.platform.commands.begin() as command:
        submission = submit_referral(api.platform, command.conn, _caller(who), body)
        command.record(submission.events)
    return submission.accepted.model_dump(mode="json")


def _action(api: ApiHarness, owner: str) -> tuple[str, str, str]:
    meeting_id = _meeting(api)
    case_id = _refer(api)["case_id"]
    with api.platform.engine.connect() as conn:
        action = marac_api.assign_action(
            ActionRequest(
                case_id=case_id,
                meeting_id=meeting_id,
                owner_agency=owner,
                description="Lock change",
                due_date=api.platform.today() + dt.timedelta(days=7),
            ),
            _caller("chair"),
            conn,
            api.platform,
        )
    return meeting_id, case_id, action.action_id


def _nominal(api: ApiHarness) -> str:
    headers = api.headers(*PEOPLE["mappa"])
    registered = (api.platform.today() - dt.timedelta(weeks=30)).isoformat()
    body = {
        "area": "thames-valley",
        "lead_agency": "probation-tv",
        "registered_on": registered,
        "name": "Mark Jones",
        "date_of_birth": "1984-07-19",
        "index_offence": "Wounding with intent against ex-partner",
        "rosh_level": "high",
    }
    response = api.client.post("/api/mappa/nominals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    nominal_id = response.json()["nominal_id"]
    for path, payload in (
        ("category", {"category": 2, "effective_on": registered}),
        ("level", {"level": 2, "effective_on": registered, "reason": "High risk to ex-partner"}),
    ):
        response = api.client.post(
            f"/api/mappa/nominals/{nominal_id}/{path}", json=payload, headers=headers
        )
        assert response.status_code in (200, 201), response.text
    return nominal_id


def _matac(api: ApiHarness) -> None:
    api.platform.today = lambda: TODAY
    for incident in FIRST_BATCH:
        known_persons(api, *ids_in(incident))
        response = api.client.post(
            "/api/matac/incidents", json=incident, headers=api.headers(*PEOPLE["analyst"])
        )
        assert response.status_code == 201, response.text


def _in_cohort(api: ApiHarness) -> None:
    _matac(api)
    response = api.client.post(
        "/api/matac/cohort", json={"person_id": "p-a"}, headers=api.headers(*PEOPLE["analyst"])
    )
    assert response.status_code == 201, response.text


def _sign_in(api: ApiHarness) -> Form:
    return Form("", "/sign-in", {"username": "idva", "password": PASSWORD})


def _sign_out(api: ApiHarness) -> Form:
    return Form("idva", "/sign-out", {})


def _new_meeting(api: ApiHarness) -> Form:
    data = {"marac_area": "oxford", **_date("meeting_date", _thursday(api.platform.today()))}
    return Form("chair", "/marac/meetings/new", data)


def _publish(api: ApiHarness) -> Form:
    meeting_id = _meeting(api)
    _refer(api)
    return Form("chair", f"/marac/meetings/{meeting_id}/publish", {})


def _new_action(api: ApiHarness) -> Form:
    meeting_id = _meeting(api)
    case_id = _refer(api)["case_id"]
    data = {
        "owner_agency": "housing-oxford",
        "description": "Fit a lock change",
        **_date("due_date", api.platform.today() + dt.timedelta(days=14)),
    }
    return Form("chair", f"/marac/meetings/{meeting_id}/cases/{case_id}/actions/new", data)


def _action_status(api: ApiHarness) -> Form:
    _, _, action_id = _action(api, "idva-oxon")
    return Form("idva", f"/marac/actions/{action_id}/status", {"status": "done"})


def _match(api: ApiHarness) -> Form:
    _refer(api, "idva", victim="Jane Smith")
    near = _refer(api, "housing", victim="Jane Smyth", perpetrator="Tom Brown")
    assert near["victim"]["match"] == "near"
    response = api.client.get(
        "/api/persons/matches?status=pending", headers=api.headers(*PEOPLE["chair"])
    )
    assert response.status_code == 200, response.text
    proposal_id = response.json()[0]["proposal_id"]
    return Form("chair", f"/persons/matches/{proposal_id}", {"decision": "confirmed"})


def _new_referral(api: ApiHarness) -> Form:
    return Form("idva", "/marac/referrals/new", {})


def _referral_page(api: ApiHarness) -> Form:
    # the draft is made by posting "Start now" first (see _prepare); its id is in the path
    return Form(
        "idva",
        "/marac/referrals/draft/{draft_id}/about",
        {"marac_area": "oxford", "referrer_name": "Sam Patel"},
    )


def _withdraw(api: ApiHarness) -> Form:
    _meeting(api)
    referral_id = _refer(api)["referral_id"]
    data = {"reason": "Sent twice by mistake"}
    return Form("idva", f"/marac/referrals/{referral_id}/withdraw", data)


def _correct(api: ApiHarness) -> Form:
    _meeting(api)
    referral_id = _refer(api, yes=16)["referral_id"]
    answers = {key: ("yes" if i < 17 else "no") for i, key in enumerate(PARTNER_QUESTIONS)}
    data = {
        **answers,
        "reason": "Strangled during an argument",
        "correction_note": "Question 17 was ticked no by mistake",
    }
    return Form("idva", f"/marac/referrals/{referral_id}/correct", data)


def _register(api: ApiHarness) -> Form:
    data = {
        "area": "thames-valley",
        "lead_agency": "probation-tv",
        "name": "Mark Jones",
        "index_offence": "Wounding with intent against ex-partner",
        **_date("registered_on", api.platform.today() - dt.timedelta(weeks=2)),
        **_date("date_of_birth", dt.date(1984, 7, 19)),
    }
    return Form("mappa", "/mappa/nominals/new", data)


def _review(api: ApiHarness) -> Form:
    nominal_id = _nominal(api)
    data = {"outcome": "Compliant with licence", **_date("held_on", api.platform.today())}
    return Form("mappa", f"/mappa/nominals/{nominal_id}/review", data)


def _level(api: ApiHarness) -> Form:
    nominal_id = _nominal(api)
    data = {"level": "1", "reason": "Stable", **_date("effective_on", api.platform.today())}
    return Form("mappa", f"/mappa/nominals/{nominal_id}/level", data)


def _nominate(api: ApiHarness) -> Form:
    _matac(api)
    return Form("analyst", "/matac/perpetrators/p-e/nominate", {"reason": "Threats to neighbours"})


def _cohort_add(api: ApiHarness) -> Form:
    _matac(api)
    return Form("analyst", "/matac/cohort/add", {"person_id": "p-a"})


def _cohort_remove(api: ApiHarness) -> Form:
    _in_cohort(api)
    return Form("analyst", "/matac/cohort/p-a/remove", {"reason": "Completed the intervention"})


FORMS: dict[str, Callable[[ApiHarness], Form]] = {
    "/sign-in": _sign_in,
    "/sign-out": _sign_out,
    "/marac/meetings/new": _new_meeting,
    "/marac/meetings/{meeting_id}/publish": _publish,
    "/marac/meetings/{meeting_id}/cases/{case_id}/actions/new": _new_action,
    "/marac/actions/{action_id}/status": _action_status,
    "/persons/matches/{proposal_id}": _match,
    "/marac/referrals/new": _new_referral,
    "/marac/referrals/draft/{draft_id}/{page}": _referral_page,
    "/marac/referrals/{referral_id}/withdraw": _withdraw,
    "/marac/referrals/{referral_id}/correct": _correct,
    "/mappa/nominals/new": _register,
    "/mappa/nominals/{nominal_id}/review": _review,
    "/mappa/nominals/{nominal_id}/level": _level,
    "/matac/perpetrators/{person_id}/nominate": _nominate,
    "/matac/cohort/add": _cohort_add,
    "/matac/cohort/{person_id}/remove": _cohort_remove,
}
"""One valid filling-in of each form, by route path."""


def page_post_routes(app) -> set[str]:
    """The path of every page route (not the API) that takes POST, from the app's router
    (an included router's routes are listed by its route contexts on FastAPI 0.165+)."""
    found = set()
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        entries = (
            [(c.original_route, c.path) for c in contexts()]
            if contexts
            else [(route, getattr(route, "path", ""))]
        )
        for original, path in entries:
            if isinstance(original, PageRoute) and "POST" in (original.methods or set()):
                found.add(path)
    return found


def test_every_form_route_has_a_case_here(api):
    assert page_post_routes(api.client.app) == set(FORMS), (
        "add a valid filling-in of each new form to FORMS (and drop removed ones)"
    )


def _signed_in(api: ApiHarness, who: str) -> None:
    api.client.cookies.clear()
    if who:
        response = try_sign_in(api.client, who)
        assert response.status_code == 303, response.text


def _token(api: ApiHarness, who: str) -> str:
    page = api.client.get("/" if who else "/sign-in")
    assert page.status_code == 200, page.text
    return csrf_token(page.text)


@pytest.mark.parametrize("route", sorted(FORMS))
def test_a_form_that_succeeds_answers_303_to_a_page(api, route):
    for username, (agency, role) in PEOPLE.items():
        api.platform.accounts.add(username, agency, role, PASSWORD)
    form = FORMS[route](api)
    _signed_in(api, form.who)
    path = form.path
    if "{draft_id}" in path:
        started = api.client.post(
            "/marac/referrals/new",
            data={"csrf_token": _token(api, form.who)},
            follow_redirects=False,
        )
        assert started.status_code == 303, started.text
        draft_id = started.headers["location"].split("/draft/")[1].split("/")[0]
        path = path.format(draft_id=draft_id)

    response = api.client.post(
        path, data={**form.data, "csrf_token": _token(api, form.who)}, follow_redirects=False
    )

    assert response.status_code == 303, (
        f"POST {path} answered {response.status_code}, not 303 See Other: " + response.text[:2000]
    )
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith("//"), location
    shown = api.client.get(location, follow_redirects=False)
    assert shown.status_code in (200, 303), f"GET {location} answered {shown.status_code}"
