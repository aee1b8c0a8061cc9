"""Local bearer tokens: signed, expiring, and revocable through the account they name.

A token is ``tdm2.<claims>.<mac>``: HMAC-SHA256 under the token secret (its own key, not the
CSRF or draft key) over base64url JSON claims: user, agency, role, issued-at, expiry and the
account's token generation. A token is honoured only while it is unexpired *and* its account
still exists with the same agency, role and generation, so removing or changing an account,
signing out or ``tandem user revoke`` ends it at once. People's tokens (web sessions) last
``TANDEM_SESSION_HOURS`` (8); named service tokens ``TANDEM_SERVICE_TOKEN_DAYS`` (30) unless
``tandem token --days`` says otherwise. Tokens of the first format (no expiry) are refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.intake.accounts import PERSON, Account, Accounts
from services.sharing.secret_files import read_or_create_private_file
from services.sharing.service import Caller

_PREFIX = "tdm2"
_OLD_PREFIXES = ("tdm1",)


class TokenError(ValueError):
    """A token is malformed, forged, expired, revoked, or names something no longer true."""


@dataclass(frozen=True)
class TokenClaims:
    user: str
    agency: str
    role: str
    issued_at: int
    expires_at: int
    generation: int


class TokenSigner:
    """Signs and checks the claims of local bearer tokens with a secret kept in a 0600 file."""

    def __init__(self, secret: bytes):
        self._secret = secret

    @classmethod
    def from_file(cls, path: Path) -> TokenSigner:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(read_or_create_private_file(path, lambda: secrets.token_bytes(32)))

    def _mac(self, body: bytes) -> str:
        digest = hmac.new(self._secret, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, claims: TokenClaims) -> str:
        document = {
            "sub": claims.user,
            "agency": claims.agency,
            "role": claims.role,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "gen": claims.generation,
        }
        body = base64.urlsafe_b64encode(json.dumps(document, sort_keys=True).encode())
        body_text = body.rstrip(b"=").decode()
        return f"{_PREFIX}.{body_text}.{self._mac(body_text.encode())}"

    def claims(self, token: str) -> TokenClaims:
        """The claims of a token this secret signed (expiry and account are not checked)."""
        if not token.isascii():  # a header or cookie with other bytes was once a 500
            raise TokenError("the bearer token is malformed")
        try:
            prefix, body, mac = token.split(".")
        except ValueError:
            raise TokenError("the bearer token is malformed") from None
        if prefix in _OLD_PREFIXES:
            raise TokenError("this token is of an older format that never expires; get a new one")
        if prefix != _PREFIX or not hmac.compare_digest(mac, self._mac(body.encode())):
            raise TokenError("the bearer token is not valid here")
        padded = body + "=" * (-len(body) % 4)
        try:
            document = json.loads(base64.urlsafe_b64decode(padded))
            return TokenClaims(
                user=str(document["sub"]),
                agency=str(document["agency"]),
                role=str(document["role"]),
                issued_at=int(document["iat"]),
                expires_at=int(document["exp"]),
                generation=int(document["gen"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("the bearer token is malformed") from exc


class Tokens:
    """Issues tokens for accounts and turns a presented token into a ``Caller``, or refuses."""

    def __init__(
        self,
        signer: TokenSigner,
        accounts: Accounts,
        *,
        person_lifetime: dt.timedelta,
        service_lifetime: dt.timedelta,
        clock: Callable[[], float] = time.time,
    ):
        self.signer = signer
        self._accounts = accounts
        self.person_lifetime = person_lifetime
        self.service_lifetime = service_lifetime
        self._clock = clock

    def for_account(self, account: Account, lifetime: dt.timedelta | None = None) -> str:
        """A token for the account as it stands, lasting its kind's lifetime unless given."""
        if lifetime is None:
            lifetime = self.person_lifetime if account.kind == PERSON else self.service_lifetime
        if lifetime <= dt.timedelta(0):
            raise TokenError("a token's lifetime must be positive")
        now = int(self._clock())
        return self.signer.sign(
            TokenClaims(
                user=account.username,
                agency=account.agency,
                role=account.role,
                issued_at=now,
                expires_at=now + int(lifetime.total_seconds()),
                generation=account.token_generation,
            )
        )

    def issue(self, user: str, agency: str, role: str, lifetime: dt.timedelta | None = None) -> str:
        """A token for a named service (registered if new), or a person by their own account."""
        return self.for_account(self._accounts.register_service(user, agency, role), lifetime)

    def caller(self, token: str) -> Caller:
        """Who presents this token, if it is still good; ``TokenError`` says why not."""
        claims = self.signer.claims(token)
        if self._clock() >= claims.expires_at:
            raise TokenError("the token has expired; sign in again or ask for a new one")
        account = self._accounts.get(claims.user)
        if account is None:
            raise TokenError("the token's account no longer exists")
        if (account.agency, account.role) != (claims.agency, claims.role):
            raise TokenError("the token's account has changed agency or role; sign in again")
        if account.token_generation != claims.generation:
            raise TokenError("the token was revoked (signed out or account changed)")
        return Caller(user=claims.user, agency=claims.agency, role=claims.role)

    def revoke(self, user: str) -> bool:
        return self._accounts.revoke(user)
