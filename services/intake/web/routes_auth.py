"""Sign in, sign out and the start page."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.intake.auth import TokenError, check_role
from services.intake.sign_in_guard import SignInGuard, retry_after_seconds
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
        (
            "Find a person or case",
            "/search",
            "By name, date of birth or reference, as the agreement lets your agency see them.",
        ),
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
        (
            "Find a person or case",
            "/search",
            "By name, date of birth or reference, as the agreement lets your agency see them.",
        ),
    ],
    "mappa_coordinator": [
        (
            "MAPPA reviews",
            "/mappa/reviews",
            "Reviews overdue and due soon, and each nominal's record.",
        ),
        (
            "MAPPA nominals",
            "/mappa/nominals",
            "Every nominal, by area, lead agency and level; register a new nominal.",
        ),
        (
            "Find a person or case",
            "/search",
            "By name, date of birth or reference, as the agreement lets your agency see them.",
        ),
    ],
    "dpo": [
        (
            "Access trail",
            "/audit",
            "Who has been shown a person's, case's or nominal's sensitive details, and when.",
        ),
    ],
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
        {
            "next": _safe_next(next),
            "values": {},
            "signed_out": signed_out,
            "no_accounts": not web_state(request).accounts.has_people(),
        },
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
    platform = get_platform(request)
    guard = SignInGuard(platform, request.client.host if request.client else "unknown")
    account = None
    locked_until = None
    if not errors:
        locked_until = guard.locked_until(username)
        if locked_until is not None:
            errors["username"] = (
                "Too many failed sign-ins. Try again after "
                f"{locked_until:%H:%M} UTC, or ask your administrator."
            )
        else:
            account = web_state(request).accounts.authenticate(username, password)
            if account is None:
                guard.failed(username)
                errors["username"] = "Enter a correct username and password"
            else:
                guard.succeeded(username)
    if account is not None:
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
        response = render(
            request,
            "sign_in.html",
            {
                "next": target,
                "values": {"username": username},
                "errors": errors,
                "error_list": [{"text": m, "href": f"#{f}"} for f, m in errors.items()],
            },
            status_code=400 if locked_until is None else 429,
        )
        if locked_until is not None:
            response.headers["Retry-After"] = str(retry_after_seconds(locked_until))
        return response
    token = platform.tokens.for_account(account)
    response = redirect(request, target)
    set_session(request, response, token)
    return response


@router.post("/sign-out")
def sign_out(request: Request, form: PostedForm, caller: PageCaller):
    """Sign out everywhere: the account's token generation moves on, so no copy still works."""
    get_platform(request).tokens.revoke(caller.user)
    response = redirect(request, "/sign-in?signed_out=true")
    clear_session(response)
    return response
