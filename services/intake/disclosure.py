"""Reading sensitive fields for a caller: decrypt under the ISA, then audit what was shown.

Every route that returns sensitive fields goes through ``disclose``: it decrypts each stored
payload for the caller and purpose, stores one DataAccessed event per subject whose fields
were shown (the relay publishes it), and only then returns. If the audit event cannot be
recorded, the read fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.bootstrap import Platform
from services.kernel.commands import CommandSession
from services.sharing.records import to_jsonable
from services.sharing.service import Caller


@dataclass(frozen=True)
class Stored:
    """A payload as kept in a read model: its event type and id are needed to decrypt it."""

    event_type: str
    event_id: str
    payload: dict[str, Any]


def disclose(
    platform: Platform,
    caller: Caller,
    purpose: str,
    route: str,
    items: list[Stored],
    session: CommandSession | None = None,
) -> list[dict[str, Any]]:
    """Decrypt for the caller, store the audit events, then return.

    Inside a command, pass its ``session`` so the audit is part of the command's transaction.
    """
    platform.sharing.prefetch_origins([i.event_id for i in items])  # one lookup, not one each
    platform.sharing.prefetch_read_keys(caller, purpose, [(i.event_type, i.payload) for i in items])
    revealed = [
        platform.sharing.reveal(caller, purpose, i.event_type, i.event_id, i.payload) for i in items
    ]
    audit = platform.sharing.access_events(caller, purpose, route, revealed)
    if audit:
        if session is not None:
            session.record(audit)
        else:
            platform.record(audit)
    return [to_jsonable(r.payload) for r in revealed]
