"""Local API tokens and the caller every ``/api/`` route depends on.

The embedded default signs bearer tokens with a local secret (tokens.py): ``tandem token
--agency idva-oxon --role referrer`` prints one. A token names the user, their agency (a party to
the information sharing agreement) and their role, which decides what they may *do*; the
agreement decides what they may *read*. A token expires, and ends when its account is removed,
changed or signs out. Production replaces the signer with OIDC (see
docs/architecture.md); routes only ever see a ``Caller``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.intake.tokens import TokenError
from services.sharing.agreement_model import AgreementSet
from services.sharing.service import Caller

ROLES: dict[str, str] = {
    "referrer": "submits referrals and risk changes; sees what happened to them",
    "coordinator": "MARAC coordinator or chair: meetings, agendas, actions, returns, matches",
    "agency_contact": "an agency's point of contact: researches cases, owns actions",
    "analyst": "police analyst / MATAC coordinator: rankings, nominations, cohort",
    "mappa_coordinator": "MAPPA coordinator: nominal records, levels and reviews",
    "dpo": "data protection officer: the audit trail and erasure",
}

ROLE_AGENCY_TYPES: dict[str, set[str] | None] = {
    "referrer": None,  # any party may refer
    "coordinator": {"coordinator", "police"},
    "agency_contact": None,
    "analyst": {"police", "coordinator"},
    "mappa_coordinator": {"coordinator", "police", "probation", "prisons"},
    "dpo": None,
}
"""Which kinds of party may hold a role; None means any party to the agreement."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_role(agreements: AgreementSet, agency: str, role: str, on) -> None:
    """Refuse a role the agency may not hold, or an agency no agreement in force names."""
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    party = next((a.party(agency) for a in agreements.in_force(on) if a.party(agency)), None)
    if party is None:
        raise TokenError(f"agency {agency!r} is not a party to any agreement in force")
    allowed = ROLE_AGENCY_TYPES[role]
    if allowed is not None and party.party_type not in allowed:
        raise TokenError(
            f"role {role!r} is for {', '.join(sorted(allowed))} parties; "
            f"{agency} is a {party.party_type} party"
        )


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def current_caller(request: Request) -> Caller:
    """The authenticated caller, from ``Authorization: Bearer`` (or the web session)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not token:
        token = request.cookies.get("tandem_session", "")
        if not token:
            raise _unauthorised("this route needs an Authorization: Bearer token")
        if request.method not in SAFE_METHODS:
            # A browser sends the session cookie with any cross-site form post, so an API
            # write authenticated by the cookie alone would be open to CSRF: the pages post
            # to their own routes (with a CSRF token); API clients send a bearer token.
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="API changes need an Authorization: Bearer token, not the web session",
            )
    elif scheme.lower() != "bearer":
        raise _unauthorised("use the Bearer scheme: Authorization: Bearer <token>")
    platform = request.app.state.platform
    try:
        caller = platform.tokens.caller(token)
        check_role(platform.sharing.agreements.get(), caller.agency, caller.role, platform.today())
    except TokenError as exc:
        raise _unauthorised(str(exc)) from exc
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def optional_caller(request: Request) -> Caller | None:
    """The caller if a token (or web session) comes with the request; None if none does.

    For routes that answer everyone but tell more to a signed-in caller (``/health``). A
    token that is sent but bad is still a 401: a client should learn its token is dead.
    """
    has_header = bool(request.headers.get("authorization"))
    if not has_header and not request.cookies.get("tandem_session"):
        return None
    try:
        return current_caller(request)
    except HTTPException:
        if has_header:
            raise
        return None  # a stale session cookie on a public page: answer as to anyone


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]


def require_role(*roles: str):
    """A dependency that lets only the given roles through (403 otherwise)."""

    def check(caller: CurrentCaller) -> Caller:
        if caller.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {caller.role!r} may not do this; it needs {' or '.join(roles)}",
            )
        return caller

    return check
