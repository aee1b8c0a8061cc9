"""Turning a MAPPA coordinator's command into one event: fold, decide, build, publish.

Everything that can refuse a command runs before anything is published: the request model
(shape, 422), the agreement (agencies named must be parties, 422), then the domain rules
against the nominal's current state (``rules.decide``, 409 with the rule code). A refused
command leaves no trace on any topic.

Current state and read-your-writes
    A command is decided against the nominal's state folded from the read model. The read
    model lags the topic by the projector's delay, so a command sent before the previous one
    is projected could be decided on stale state. To close that gap within one process,
    ``RecentWrites`` remembers the events this process published until the read model shows
    them, and folds them after the stored ones; commands on one nominal are serialised by a
    per-nominal lock, so two requests in this process never decide on the same state. What
    remains: a command sent to *another* API process before this process's event is
    projected is decided without it (run one writer per area, or wait for the projection),
    and an event that the projector dead-letters stays in this process's view for at most
    ``RecentWrites.ttl_seconds``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from services.bootstrap import Platform
from services.kernel.conform import to_json
from services.kernel.events import Event, new_event
from services.mappa.domain import rules
from services.mappa.domain.commands import Command, RegisterNominal
from services.mappa.domain.nominal import NominalState, apply, fold
from services.mappa.domain.policy_model import MappaPolicy
from services.mappa.facts import facts
from services.mappa.policy import load_policy
from services.mappa.queries import load_events
from services.sharing.service import Caller

PURPOSE = "mappa"
POLICY_FILE = "mappa.yaml"


def mappa_policy(platform: Platform) -> MappaPolicy:
    """The area's policy: ``<policy_dir>/mappa.yaml`` when it exists, else the packaged one."""
    directory = platform.settings.policy_dir
    path = directory / POLICY_FILE if directory is not None else None
    return load_policy(path if path is not None and path.is_file() else None)


class InputRefused(ValueError):
    """A value the request model cannot judge alone is wrong; ``loc`` names the field."""

    def __init__(self, loc: tuple[str | int, ...], message: str):
        self.loc = loc
        super().__init__(message)


class NotFound(LookupError):
    pass


def mappa_party(platform: Platform, agency: str):
    """The agency's party entry in an agreement in force that gives it something for MAPPA."""
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        party = agreement.party(agency)
        if party is not None and party.reads.get(PURPOSE) and PURPOSE in agreement.purposes:
            return party
    return None


def check_agency(platform: Platform, loc: tuple[str | int, ...], agency: str) -> None:
    """Refuse an agency code no agreement in force names as a party to MAPPA."""
    if mappa_party(platform, agency) is None:
        raise InputRefused(
            loc, f"{agency!r} is not a party to MAPPA under the information sharing agreement"
        )


@dataclass
class _Pending:
    event_id: str
    event_type: str
    payload: dict[str, Any]
    published_at: float


@dataclass
class RecentWrites:
    """Events this process published that the read model may not show yet, per nominal."""

    ttl_seconds: float = 600.0
    clock: Callable[[], float] = time.monotonic
    _pending: dict[str, list[_Pending]] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def lock(self, nominal_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(nominal_id, threading.Lock())

    def add(self, nominal_id: str, event: Event) -> None:
        with self._guard:
            self._pending.setdefault(nominal_id, []).append(
                _Pending(event.event_id, event.event_type, to_json(event.payload), self.clock())
            )

    def unseen(self, nominal_id: str, stored_ids: set[str]) -> list[_Pending]:
        """Pending events not yet in the read model, oldest first; forgets the rest."""
        cutoff = self.clock() - self.ttl_seconds
        with self._guard:
            kept = [
                p
                for p in self._pending.get(nominal_id, [])
                if p.event_id not in stored_ids and p.published_at >= cutoff
            ]
            if kept:
                self._pending[nominal_id] = kept
            else:
                self._pending.pop(nominal_id, None)
            return list(kept)


def current_state(
    conn: Connection, policy: MappaPolicy, nominal_id: str, recent: RecentWrites
) -> NominalState | None:
    """The nominal's state from the read model plus this process's unprojected events."""
    stored = load_events(conn, nominal_id)
    pending = recent.unseen(nominal_id, {e.event_id for e in stored})
    return fold(
        [*(e.facts() for e in stored), *(facts(p.event_type, p.payload) for p in pending)],
        policy,
    )


@dataclass(frozen=True)
class Accepted:
    event: Event
    state: NominalState
    policy: MappaPolicy
    """The policy the command was decided under (it dates the next review)."""


def new_nominal_id() -> str:
    return f"mappa-{uuid.uuid4().hex[:12]}"


def execute(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    nominal_id: str,
    command: Command,
    recent: RecentWrites,
    sensitive: Mapping[str, Any] | None = None,
    must_exist: bool = True,
) -> Accepted:
    """Decide ``command`` against the nominal's current state and publish its one event.

    ``sensitive`` holds the identity and narrative fields the domain does not see; the
    publisher encrypts them. Raises ``NotFound`` for an unknown nominal (when it must
    exist) and ``rules.RuleViolation`` for a broken rule; nothing is published then.
    """
    policy = mappa_policy(platform)
    with recent.lock(nominal_id):
        state = current_state(conn, policy, nominal_id, recent)
        if state is None and must_exist:
            raise NotFound(nominal_id)
        decided = rules.decide(state, command, policy, platform.today())
        event_type = decided.pop("type")
        payload = {**decided, "nominal_id": nominal_id, **(sensitive or {})}
        event = new_event(
            event_type, payload, aggregate_id=nominal_id, agency=caller.agency, actor=caller.user
        )
        platform.publisher.publish([event])
        recent.add(nominal_id, event)
        new_state = apply(state, facts(event_type, to_json(payload)), policy)
    return Accepted(event, new_state, policy)


def register(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    command: RegisterNominal,
    sensitive: Mapping[str, Any],
    recent: RecentWrites,
) -> Accepted:
    return execute(
        platform, conn, caller, command.nominal_id, command, recent, sensitive, must_exist=False
    )
