"""Local accounts for the embedded default: who may hold a token, as which agency and role.

Two kinds share one table. A *person* signs in to the web pages with a password. A *service*
(an integration, a script) holds a bearer token from ``tandem token`` and has no password
(its hash is ``!``, which never matches). Every account carries a token generation: a token
names the generation it was issued under, so signing out, changing an account's agency, role
or password, or ``tandem user revoke`` ends every token issued before (see tokens.py).

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
import threading
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from projections.database import make_engine
from services.intake.sign_in_throttle import FailureCount

accounts_metadata = MetaData()

web_accounts = Table(
    "web_accounts",
    accounts_metadata,
    Column("username", String(64), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False, server_default="person"),
    Column("token_generation", Integer, nullable=False, server_default="0"),
)

sign_in_failures = Table(
    "sign_in_failures",
    accounts_metadata,
    Column("scope", String(16), primary_key=True),  # "account" or "address"
    Column("subject", String(128), primary_key=True),  # the username tried, or the address
    Column("failures", Integer, nullable=False),
    Column("first_failure_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)

_ADDED_COLUMNS = {
    "kind": "VARCHAR(16) NOT NULL DEFAULT 'person'",
    "token_generation": "INTEGER NOT NULL DEFAULT 0",
}
"""Columns added to web_accounts after its first release, for vaults created before them."""

PERSON, SERVICE = "person", "service"
NO_PASSWORD = "!"

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
    kind: str = PERSON
    token_generation: int = 0


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
        self._opening = threading.Lock()

    @property
    def engine(self) -> Engine:
        """Created with its tables on first use; published only once the tables exist, so
        concurrent first requests never see the engine before its tables (they once did)."""
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    engine = make_engine(self._url)
                    accounts_metadata.create_all(engine)
                    _add_missing_columns(engine)
                    self._engine = engine
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def add(self, username: str, agency: str, role: str, password: str, *, replace=False) -> None:
        """Create a person's account; with ``replace``, reset its agency, role and password.

        A replaced account's token generation moves on, so its old sessions and tokens end.
        """
        _check_username(username)
        check_password_strength(password)
        values = {"agency": agency, "role": role, "password_hash": hash_password(password)}
        with self.engine.begin() as conn:
            existing = _row(conn, username)
            if existing is not None and replace:
                conn.execute(
                    update(web_accounts)
                    .where(web_accounts.c.username == username)
                    .values(
                        **values,
                        kind=PERSON,
                        token_generation=existing.token_generation + 1,
                    )
                )
                return
            try:
                conn.execute(
                    insert(web_accounts).values(
                        username=username, created_at=dt.datetime.now(dt.UTC), kind=PERSON, **values
                    )
                )
            except IntegrityError:
                raise AccountError(f"an account named {username!r} already exists") from None

    def register_service(self, username: str, agency: str, role: str) -> Account:
        """The service account a ``tandem token`` names, created or moved to this agency/role.

        Moving a service to another agency or role ends its earlier tokens; issuing another
        token for the same agency and role leaves them valid. A person's account is never
        turned into a service; it may be named only with its own agency and role.
        """
        _check_username(username)
        with self.engine.begin() as conn:
            existing = _row(conn, username)
            if existing is None:
                conn.execute(
                    insert(web_accounts).values(
                        username=username,
                        agency=agency,
                        role=role,
                        password_hash=NO_PASSWORD,
                        created_at=dt.datetime.now(dt.UTC),
                        kind=SERVICE,
                    )
                )
            elif (existing.agency, existing.role) != (agency, role):
                if existing.kind != SERVICE:
                    raise AccountError(
                        f"{username!r} is a person's account for {existing.agency} as "
                        f"{existing.role}; change it with tandem user add --replace"
                    )
                conn.execute(
                    update(web_accounts)
                    .where(web_accounts.c.username == username)
                    .values(
                        agency=agency,
                        role=role,
                        token_generation=existing.token_generation + 1,
                    )
                )
            return _account(_row(conn, username))

    def revoke(self, username: str) -> bool:
        """End every token and session of the account (sign-out, ``tandem user revoke``)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(web_accounts)
                .where(web_accounts.c.username == username)
                .values(token_generation=web_accounts.c.token_generation + 1)
            )
        return result.rowcount > 0

    def remove(self, username: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(delete(web_accounts).where(web_accounts.c.username == username))
        return result.rowcount > 0

    def get(self, username: str) -> Account | None:
        with self.engine.connect() as conn:
            row = _row(conn, username)
        return _account(row) if row else None

    def has_people(self) -> bool:
        """Whether anyone can sign in yet (the first-run hints depend on it)."""
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(web_accounts.c.username).where(web_accounts.c.kind == PERSON)
                ).first()
                is not None
            )

    def list(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(web_accounts).order_by(web_accounts.c.username)).all()
        return [_account(r) for r in rows]

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password is right; the same work is done for unknown names."""
        global _DUMMY_HASH
        with self.engine.connect() as conn:
            row = _row(conn, username)
        if row is None or row.kind != PERSON:
            _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
            password_matches(password, _DUMMY_HASH)
            return None
        if not password_matches(password, row.password_hash):
            return None
        return _account(row)

    # -- sign-in failures (the throttle's memory) -----------------------------------------

    def failures(self, scope: str, subject: str) -> FailureCount:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sign_in_failures).where(
                    sign_in_failures.c.scope == scope, sign_in_failures.c.subject == subject
                )
            ).first()
        if row is None:
            return FailureCount()
        return FailureCount(row.failures, _utc(row.first_failure_at), _utc(row.locked_until))

    def save_failures(self, scope: str, subject: str, count: FailureCount) -> None:
        key = (sign_in_failures.c.scope == scope, sign_in_failures.c.subject == subject)
        with self.engine.begin() as conn:
            conn.execute(delete(sign_in_failures).where(*key))
            if count.failures:
                conn.execute(
                    insert(sign_in_failures).values(
                        scope=scope,
                        subject=subject,
                        failures=count.failures,
                        first_failure_at=count.first_failure_at,
                        locked_until=count.locked_until,
                    )
                )

    def locked(self, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
        """(scope, subject, until) of every lockout still in force."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(sign_in_failures).where(sign_in_failures.c.locked_until.is_not(None))
            ).all()
        found = [(r.scope, r.subject, _utc(r.locked_until)) for r in rows]
        return [(scope, subject, until) for scope, subject, until in found if until > now]


def _check_username(username: str) -> None:
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            "a username is 1 to 64 letters, digits, dots, dashes, underscores or @, "
            "starting with a letter or digit"
        )


def _row(conn, username: str):
    return conn.execute(select(web_accounts).where(web_accounts.c.username == username)).first()


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _add_missing_columns(engine: Engine) -> None:
    present = {column["name"] for column in inspect(engine).get_columns("web_accounts")}
    with engine.begin() as conn:
        for name, ddl in _ADDED_COLUMNS.items():
            if name not in present:
                conn.execute(text(f"ALTER TABLE web_accounts ADD COLUMN {name} {ddl}"))


def _account(row) -> Account:
    return Account(
        row.username, row.agency, row.role, row.created_at, row.kind, row.token_generation
    )
