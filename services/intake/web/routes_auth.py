"""Sign in, sign out and the start page."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.intake.auth import TokenError, check_role
from services.intake.web.core import (
    PageCaller,
    PageRoute,
    PostedForm,
    clear_session,
    get_platform,
    redirect,
    render,
    set_session,
    web_state,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TASKS = {
    "referrer": [
        (
            "Refer a case to MARAC",
            "/marac/referrals/new",
            "Tell the MARAC about a victim at high risk: victim, perpetrators, children and DASH.",
        ),
        (
            "Your referrals",
            "/marac/referrals",
            "What happened to the referrals your agency made: listed, heard, actions.",
        ),
        (
            "MARAC meetings",
            "/marac/meetings",
            "Meetings and their agendas, as your agency may see them.",
        ),
        (
            "Your agency's actions",
            "/marac/actions",
            "Actions your agency owns, and marking them done.",
        ),
    ],
    "coordinator": [
        (
            "MARAC meetings",
            "/marac/meetings",
            "Schedule meetings, prepare, publish and print agendas, record actions.",
        ),
        (
            "Overdue actions",
            "/marac/actions/overdue",
            "Open actions past their due date, by agency.",
        ),
        ("Person matches", "/persons/matches", "Confirm or reject possible links between people."),
        ("Quarterly return", "/marac/returns", "Download the quarterly data return."),
        ("Refer a case to MARAC", "/marac/referrals/new", "Make a referral yourself."),
        ("MATAC ranking", "/matac/ranking", "The perpetrator ranking by area."),
    ],
    "agency_contact": [
        ("MARAC meetings", "/marac/meetings", "Agendas to research before the meeting."),
        (
            "Your agency's actions",
            "/marac/actions",
            "Actions your agency owns, and marking them done.",
        ),
    ],
    "analyst": [
        (
            "MATAC ranking",
            "/matac/ranking",
            "Perpetrators ranked by recency, frequency, gravity and victims, by area.",
        ),
        (
            "MATAC cohort",
            "/matac/cohort",
            "Perpetrators in the cohort, with entry and exit scores.",
        ),
    ],
    "mappa_coordinator": [
        (
            "MAPPA reviews",
            "/mappa/reviews",
            "Reviews overdue and due soon, and each nominal's record.",
        ),
    ],
    "dpo": [],
}


@router.get("/")
def home(request: Request, caller: PageCaller):
    tasks = [{"text": t, "href": h, "description": d} for t, h, d in TASKS.get(caller.role, [])]
    return render(request, "home.html", {"tasks": tasks})


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme), else the start page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/", signed_out: bool = False):
    return render(
        request,
        "sign_in.html",
        {"next": _safe_next(next), "values": {}, "signed_out": signed_out},
    )


@router.post("/sign-in")
def sign_in(request: Request, form: PostedForm):
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/"))
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    account = None
    if not errors:
        account = web_state(request).accounts.authenticate(username, password)
        if account is None:
            errors["username"] = "Enter a correct username and password"
    if account is not None:
        platform = get_platform(request)
        try:
            check_role(
                platform.sharing.agreements.get(), account.agency, account.role, platform.today()
            )
        except TokenError:
            errors["username"] = (
                f"Your account's agency ({account.agency}) may not sign in as "
                f"{account.role} under the agreement in force. Ask your administrator."
            )
    if errors:
        return render(
            request,
            "sign_in.html",
            {
                "next": target,
                "values": {"username": username},
                "errors": errors,
                "error_list": [{"text": m, "href": f"#{f}"} for f, m in errors.items()],
            },
            status_code=400,
        )
    token = get_platform(request).token_signer.issue(account.username, account.agency, account.role)
    response = redirect(request, target)
    set_session(request, response, token)
    return response


@router.post("/sign-out")
def sign_out(request: Request, form: PostedForm):
    response = redirect(request, "/sign-in?signed_out=true")
    clear_session(response)
    return response
