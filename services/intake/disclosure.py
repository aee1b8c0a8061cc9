"""Reading sensitive fields for a caller: decrypt under the ISA, then audit what was shown.

Every route that returns sensitive fields goes through ``disclose``: it decrypts each stored
payload for the caller and purpose, publishes one DataAccessed event per subject whose fields
were shown, and only then returns. If the audit event cannot be recorded, the read fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.bootstrap import Platform
from services.sharing.records import to_jsonable
from services.sharing.service import Caller


@dataclass(frozen=True)
class Stored:
    """A payload as kept in a read model: its event type and id are needed to decrypt it."""

    event_type: str
    event_id: str
    payload: dict[str, Any]


def disclose(
    platform: Platform, caller: Caller, purpose: str, route: str, items: list[Stored]
) -> list[dict[str, Any]]:
    revealed = [
        platform.sharing.reveal(caller, purpose, i.event_type, i.event_id, i.payload) for i in items
    ]
    audit = platform.sharing.access_events(caller, purpose, route, revealed)
    if audit:
        platform.publisher.publish(audit)
    return [to_jsonable(r.payload) for r in revealed]
