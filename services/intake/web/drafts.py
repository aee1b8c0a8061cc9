"""Server-side state of multi-page forms (the referral form), encrypted at rest.

A draft belongs to one user; its answers (which name a victim) are stored encrypted with
AES-256-GCM under a key derived from the token secret, in the same database as the web
accounts. Drafts are removed a day after their last change. Pages keep no state in the
browser beyond the draft id in the address, so they work without JavaScript, the browser's
Back button works, and "Change" links on the check-your-answers page are plain links.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, DateTime, LargeBinary, String, Table, delete, insert, select, update

from services.intake.accounts import Accounts, accounts_metadata

KEEP_FOR = dt.timedelta(hours=24)

web_drafts = Table(
    "web_drafts",
    accounts_metadata,
    Column("draft_id", String(40), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
)


class Drafts:
    def __init__(self, accounts: Accounts, key: bytes):
        self._accounts = accounts
        self._aead = AESGCM(key)

    def _seal(self, draft_id: str, username: str, state: dict[str, Any]) -> bytes:
        nonce = secrets.token_bytes(12)
        body = json.dumps(state, sort_keys=True, default=str).encode()
        return nonce + self._aead.encrypt(nonce, body, f"{draft_id}|{username}".encode())

    def _open(self, draft_id: str, username: str, sealed: bytes) -> dict[str, Any] | None:
        try:
            body = self._aead.decrypt(sealed[:12], sealed[12:], f"{draft_id}|{username}".encode())
        except (InvalidTag, ValueError):
            return None
        return json.loads(body)

    def create(self, username: str, kind: str, state: dict[str, Any]) -> str:
        now = dt.datetime.now(dt.UTC)
        draft_id = secrets.token_urlsafe(12)
        engine = self._accounts.engine
        with engine.begin() as conn:
            conn.execute(delete(web_drafts).where(web_drafts.c.updated_at < now - KEEP_FOR))
            conn.execute(
                insert(web_drafts).values(
                    draft_id=draft_id,
                    username=username,
                    kind=kind,
                    updated_at=now,
                    sealed=self._seal(draft_id, username, state),
                )
            )
        return draft_id

    def load(self, draft_id: str, username: str, kind: str) -> dict[str, Any] | None:
        """The draft's state, or None if there is none for this user (or it expired)."""
        with self._accounts.engine.connect() as conn:
            row = conn.execute(
                select(web_drafts).where(
                    web_drafts.c.draft_id == draft_id,
                    web_drafts.c.username == username,
                    web_drafts.c.kind == kind,
                )
            ).first()
        if row is None:
            return None
        updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=dt.UTC)
        if updated < dt.datetime.now(dt.UTC) - KEEP_FOR:
            return None
        return self._open(draft_id, username, row.sealed)

    def save(self, draft_id: str, username: str, state: dict[str, Any]) -> None:
        with self._accounts.engine.begin() as conn:
            conn.execute(
                update(web_drafts)
                .where(web_drafts.c.draft_id == draft_id, web_drafts.c.username == username)
                .values(
                    updated_at=dt.datetime.now(dt.UTC),
                    sealed=self._seal(draft_id, username, state),
                )
            )

    def submitted(self, username: str, kind: str) -> list[dict[str, Any]]:
        """States of this user's drafts that were sent (kept a day for the confirmation)."""
        with self._accounts.engine.connect() as conn:
            rows = conn.execute(
                select(web_drafts).where(
                    web_drafts.c.username == username, web_drafts.c.kind == kind
                )
            ).all()
        states = [self._open(r.draft_id, username, r.sealed) for r in rows]
        return [s for s in states if s and s.get("accepted")]
