"""Local API tokens and the caller every ``/api/`` route depends on.

The embedded default signs bearer tokens with a local secret (HMAC-SHA256): ``tandem token
--agency idva-oxon --role referrer`` prints one. A token names the user, their agency (a party to
the information sharing agreement) and their role, which decides what they may *do*; the
agreement decides what they may *read*. Production replaces the signer with OIDC (see
docs/architecture.md); routes only ever see a ``Caller``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.sharing.agreement_model import AgreementSet
from services.sharing.secret_files import read_or_create_private_file
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

_PREFIX = "tdm1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenError(ValueError):
    """A token is malformed, forged, or names something the agreement does not know."""


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


class TokenSigner:
    """Signs and checks local bearer tokens with a secret kept in a 0600 file."""

    def __init__(self, secret: bytes):
        self._secret = secret

    @classmethod
    def from_file(cls, path: Path) -> TokenSigner:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(read_or_create_private_file(path, lambda: secrets.token_bytes(32)))

    def _mac(self, body: bytes) -> str:
        digest = hmac.new(self._secret, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(self, user: str, agency: str, role: str) -> str:
        claims = {"sub": user, "agency": agency, "role": role, "iat": int(time.time())}
        body = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode())
        body_text = body.rstrip(b"=").decode()
        return f"{_PREFIX}.{body_text}.{self._mac(body_text.encode())}"

    def verify(self, token: str) -> Caller:
        if not token.isascii():  # a header or cookie with other bytes was once a 500
            raise TokenError("the bearer token is malformed")
        try:
            prefix, body, mac = token.split(".")
        except ValueError:
            raise TokenError("the bearer token is malformed") from None
        if prefix != _PREFIX or not hmac.compare_digest(mac, self._mac(body.encode())):
            raise TokenError("the bearer token is not valid here")
        padded = body + "=" * (-len(body) % 4)
        try:
            claims = json.loads(base64.urlsafe_b64decode(padded))
            return Caller(user=claims["sub"], agency=claims["agency"], role=claims["role"])
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("the bearer token is malformed") from exc


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
        caller = platform.token_signer.verify(token)
        check_role(platform.sharing.agreements.get(), caller.agency, caller.role, platform.today())
    except TokenError as exc:
        raise _unauthorised(str(exc)) from exc
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


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
