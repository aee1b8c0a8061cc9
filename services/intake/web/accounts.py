"""Local web accounts for the embedded default: username, agency, role and a hashed password.

Passwords are hashed with scrypt (a random 16-byte salt per account; n=2**14, r=8, p=1)
from Python's standard library, so no new dependency is needed. The accounts live in the
key vault's database (``TANDEM_VAULT_DATABASE_URL``; by default ``vault.db`` in the data
dir) in their own table, apart from the read models: a replay never touches them.

Production deployments put OIDC in front instead (see docs/architecture.md); the pages only
ever see a ``Caller``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from projections.database import make_engine

accounts_metadata = MetaData()

web_accounts = Table(
    "web_accounts",
    accounts_metadata,
    Column("username", String(64), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 10

_N, _R, _P, _DKLEN = 2**14, 8, 1, 32
_DUMMY_HASH: str | None = None


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class Account:
    username: str
    agency: str
    role: str
    created_at: dt.datetime


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` with a fresh random salt unless one is given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN, maxmem=64 * 1024 * 1024
    )
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(base64.b64decode(expected)),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


class Accounts:
    """The account table in the vault database."""

    def __init__(self, url: str):
        self._url = url
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self._url)
            accounts_metadata.create_all(self._engine)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def add(self, username: str, agency: str, role: str, password: str, *, replace=False) -> None:
        """Create the account (or, with ``replace``, reset its agency, role and password)."""
        if not USERNAME_PATTERN.match(username):
            raise AccountError(
                "a username is 1 to 64 letters, digits, dots, dashes, underscores or @, "
                "starting with a letter or digit"
            )
        check_password_strength(password)
        row = {
            "username": username,
            "agency": agency,
            "role": role,
            "password_hash": hash_password(password),
            "created_at": dt.datetime.now(dt.UTC),
        }
        with self.engine.begin() as conn:
            if replace:
                conn.execute(delete(web_accounts).where(web_accounts.c.username == username))
            try:
                conn.execute(insert(web_accounts).values(**row))
            except IntegrityError:
                raise AccountError(f"an account named {username!r} already exists") from None

    def remove(self, username: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(delete(web_accounts).where(web_accounts.c.username == username))
        return result.rowcount > 0

    def get(self, username: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(web_accounts).where(web_accounts.c.username == username)
            ).first()
        return _account(row) if row else None

    def list(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(web_accounts).order_by(web_accounts.c.username)).all()
        return [_account(r) for r in rows]

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password is right; the same work is done for unknown names."""
        global _DUMMY_HASH
        with self.engine.connect() as conn:
            row = conn.execute(
                select(web_accounts).where(web_accounts.c.username == username)
            ).first()
        if row is None:
            _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
            password_matches(password, _DUMMY_HASH)
            return None
        if not password_matches(password, row.password_hash):
            return None
        return _account(row)


def _account(row) -> Account:
    return Account(row.username, row.agency, row.role, row.created_at)
