"""What every page shares: templates, the signed-in caller, CSRF, errors as pages.

* The session is the ``tandem_session`` cookie (HttpOnly, SameSite=Lax) holding the same
  signed token the API accepts as a bearer token, so a page and an API route see the same
  ``Caller`` and the same agreement decides what each may read.
* Every POST form carries a CSRF token: an HMAC of a random per-browser nonce (the
  ``tandem_csrf`` cookie) and the session token, keyed by a secret derived from the token
  secret. A cross-site form can neither read the cookie nor forge the HMAC.
* Page routes use ``PageRoute``: an ``HTTPException`` (404 for another agency's case, 403 for
  the wrong role) becomes a GOV.UK-styled error page, and a missing or stale session
  redirects to ``/sign-in``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from services.bootstrap import Platform
from services.intake.auth import ROLES, TokenError, check_role
from services.marac.domain.stalking import STALKING_QUESTIONS, STALKING_TEXT
from services.sharing.secret_files import read_or_create_private_file
from services.sharing.service import Caller
from services.sharing.wording import withheld_in_words

SESSION_COOKIE = "tandem_session"
CSRF_COOKIE = "tandem_csrf"
CSRF_FIELD = "csrf_token"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
"""The shared chrome: layout, macros, sign-in, errors."""
SERVICES_DIR = Path(__file__).resolve().parents[2]
PAGE_TEMPLATE_DIRS = (TEMPLATES_DIR, *sorted(SERVICES_DIR.glob("*/templates")))
"""The chrome, then each service's own pages (``services/<service>/templates/<service>/``):
a page lives with its service, and extends ``base.html`` from here."""

ROLE_LABELS = {
    "referrer": "Referrer",
    "coordinator": "MARAC coordinator",
    "agency_contact": "Agency point of contact",
    "analyst": "Police analyst",
    "mappa_coordinator": "MAPPA coordinator",
    "dpo": "Data protection officer",
}
assert set(ROLE_LABELS) == set(ROLES)

# The one inline script GOV.UK Frontend needs (it marks the page as JavaScript-enabled);
# the Content-Security-Policy allows exactly this script by its hash.
JS_ENABLED_SCRIPT = (
    "document.body.className += ' js-enabled' + "
    "('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');"
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(JS_ENABLED_SCRIPT.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    f"script-src 'self' 'sha256-{_SCRIPT_HASH}'; "
    "style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in page."""


# -- per-app state ---------------------------------------------------------------------------


class WebState:
    """What the pages need beyond the platform: accounts and keys derived from the token secret."""

    def __init__(self, platform: Platform, assets_available: bool):
        self.platform = platform
        self.accounts = platform.accounts
        self.assets_available = assets_available
        settings = platform.settings
        self.csrf_key = _secret(settings.csrf_secret_file)
        _AGREEMENT_TITLES.update({a.id: a.title for a in platform.sharing.agreements.get()})
        self.draft_key = _secret(settings.draft_secret_file)


def _secret(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    return read_or_create_private_file(path, lambda: secrets.token_bytes(32))


def web_state(request: Request) -> WebState:
    return request.app.state.web


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


# -- templates -------------------------------------------------------------------------------


def _long_date(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%B %Y}"


def _short_date(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%b %Y}"


def _humanise(value: str | None) -> str:
    if not value:
        return ""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def _quarter_label(value: str) -> str:
    """2026Q3 -> July to September 2026."""
    months = {
        "1": "January to March",
        "2": "April to June",
        "3": "July to September",
        "4": "October to December",
    }
    year, _, number = value.partition("Q")
    return f"{months.get(number, value)} {year}"


_AGREEMENT_TITLES: dict[str, str] = {}
"""Agreement id -> title, for the pages' withheld reasons; filled as each app starts (the
macros that show reasons are imported without the page's context, so they cannot ask it)."""


def _withheld_words(reason: str | None) -> str:
    """A withheld reason in words, naming the agreement by its title (the codes stay in the API)."""
    return withheld_in_words(reason, _AGREEMENT_TITLES) if reason else ""


templates = Jinja2Templates(directory=[str(d) for d in PAGE_TEMPLATE_DIRS])
templates.env.filters["withheld_words"] = _withheld_words
templates.env.filters["long_date"] = _long_date
templates.env.filters["short_date"] = _short_date
templates.env.filters["humanise"] = _humanise
templates.env.filters["lookup"] = lambda key, mapping: mapping.get(key, key)
templates.env.filters["zip"] = lambda left, right: zip(left, right, strict=False)
templates.env.filters["quarter_label"] = _quarter_label
templates.env.globals["JS_ENABLED_SCRIPT"] = JS_ENABLED_SCRIPT
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
templates.env.globals["STALKING_QUESTIONS"] = STALKING_QUESTIONS
templates.env.globals["STALKING_TEXT"] = STALKING_TEXT


def agency_name(platform: Platform, agency: str) -> str:
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        party = agreement.party(agency)
        if party is not None:
            return party.name
    return agency


def agencies(platform: Platform) -> list[tuple[str, str]]:
    """Every party to an agreement in force: (agency id, name), by name."""
    found: dict[str, str] = {}
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        for party in agreement.parties:
            found.setdefault(party.agency_id, party.name)
    return sorted(found.items(), key=lambda item: item[1])


def navigation(caller: Caller | None, path: str) -> list[dict[str, Any]]:
    if caller is None:
        return []
    items: list[tuple[str, str]] = []
    role = caller.role
    if role == "referrer":
        items += [("Refer a case", "/marac/referrals/new"), ("Your referrals", "/marac/referrals")]
    if role in ("coordinator", "agency_contact", "referrer"):
        items.append(("Meetings", "/marac/meetings"))
    if role == "coordinator":
        items += [
            ("Overdue actions", "/marac/actions/overdue"),
            ("Person matches", "/persons/matches"),
            ("Quarterly return", "/marac/returns"),
        ]
    elif role in ("agency_contact", "referrer"):
        items.append(("Your agency's actions", "/marac/actions"))
    if role == "analyst":
        items += [("MATAC ranking", "/matac/ranking"), ("MATAC cohort", "/matac/cohort")]
    if role == "mappa_coordinator":
        items += [("MAPPA reviews", "/mappa/reviews"), ("MAPPA nominals", "/mappa/nominals")]
    if role in ("coordinator", "analyst", "mappa_coordinator"):
        items.append(("Search", "/search"))
    if role == "dpo":
        items.append(("Access trail", "/audit"))
    result = []
    for text, href in items:
        current = path == href or (path.startswith(href + "/") and href != "/marac/referrals")
        if href == "/marac/referrals" and path.startswith("/marac/referrals/r-"):
            current = True
        result.append({"text": text, "href": href, "current": current})
    return result


def csrf_nonce(request: Request) -> str:
    nonce = getattr(request.state, "csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if not nonce or len(nonce) > 64:
        nonce = secrets.token_urlsafe(24)
        request.state.csrf_nonce_new = True
    request.state.csrf_nonce = nonce
    return nonce


def csrf_token(request: Request, session_token: str | None = None) -> str:
    state = web_state(request)
    session = session_token if session_token is not None else request.cookies.get(SESSION_COOKIE)
    message = f"{csrf_nonce(request)}|{session or ''}".encode()
    return hmac.new(state.csrf_key, message, hashlib.sha256).hexdigest()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    *,
    session_token: str | None = None,
) -> HTMLResponse:
    """A page: the template with the caller, navigation and CSRF token, and safe headers."""
    platform = get_platform(request)
    caller: Caller | None = getattr(request.state, "caller", None)
    page = {
        "request": request,
        "caller": caller,
        "agency_name": agency_name(platform, caller.agency) if caller else None,
        "role_label": ROLE_LABELS.get(caller.role, caller.role) if caller else None,
        "navigation": navigation(caller, request.url.path),
        "csrf_token": csrf_token(request, session_token),
        "assets_available": web_state(request).assets_available,
        "errors": {},
        "error_list": [],
    }
    page.update(context or {})
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    finish(request, response)
    return response


def finish(request: Request, response: Response) -> Response:
    """Security headers, and the CSRF nonce cookie if this browser had none."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if getattr(request.state, "csrf_nonce_new", False):
        response.set_cookie(
            CSRF_COOKIE,
            request.state.csrf_nonce,
            httponly=True,
            samesite="lax",
            secure=_secure(request),
            path="/",
        )
    return response


def redirect(request: Request, url: str) -> RedirectResponse:
    """303 See Other: after a POST the browser GETs the next page."""
    return finish(request, RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER))


def set_session(request: Request, response: Response, token: str) -> None:
    lifetime = get_platform(request).tokens.person_lifetime
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


# -- errors as pages -------------------------------------------------------------------------

ERROR_TITLES = {
    400: "There is a problem with the request",
    403: "You cannot use this page",
    404: "Page not found",
    409: "This has already been done",
    422: "There is a problem with the request",
}


def error_page(request: Request, status_code: int, detail: Any = None) -> HTMLResponse:
    message = detail if isinstance(detail, str) else None
    return render(
        request,
        "error.html",
        {
            "title": ERROR_TITLES.get(status_code, "Sorry, there is a problem"),
            "message": message,
            "status_code": status_code,
        },
        status_code=status_code,
    )


class PageRoute(APIRoute):
    """A route that answers in HTML: errors become pages, no session means sign in."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                if request.method != "GET":
                    target = "/"
                response = RedirectResponse(
                    f"/sign-in?next={quote(target, safe='')}", status_code=303
                )
                if request.cookies.get(SESSION_COOKIE):
                    clear_session(response)
                return finish(request, response)
            except HTTPException as exc:
                detail = exc.detail if exc.status_code in (400, 403, 409) else None
                if exc.status_code == 404:
                    detail = None  # never say whether another agency's case exists
                return error_page(request, exc.status_code, detail)
            except RequestValidationError:
                return error_page(request, 404)

        return page_handler


# -- the signed-in caller --------------------------------------------------------------------


def page_caller(request: Request) -> Caller:
    """The signed-in user as a Caller; redirects to sign in when there is none."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired()
    platform = get_platform(request)
    try:
        # Expired, signed out, or the account was removed or changed since signing in.
        caller = platform.tokens.caller(token)
        check_role(platform.sharing.agreements.get(), caller.agency, caller.role, platform.today())
    except TokenError:
        raise SignInRequired() from None
    request.state.caller = caller
    return caller


PageCaller = Annotated[Caller, Depends(page_caller)]


def require(*roles: str):
    """A page dependency that lets only the given roles in (a 403 page otherwise)."""

    def check(caller: PageCaller) -> Caller:
        if caller.role not in roles:
            labels = " or ".join(ROLE_LABELS[r] for r in roles)
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"This page is for a {labels}. You are signed in as "
                f"{ROLE_LABELS.get(caller.role, caller.role)}.",
            )
        return caller

    return check


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token has been checked."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    nonce = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not nonce:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "The form has expired. Go back and try again."
        )
    expected = csrf_token(request)
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "The form has expired. Go back and try again."
        )
    return form


PostedForm = Annotated[FormData, Depends(checked_form)]
