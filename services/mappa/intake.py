"""Turning a MAPPA coordinator's command into one event: fold, decide, build, publish.

Everything that can refuse a command runs before anything is published: the request model
(shape, 422), the agreement (agencies named must be parties, 422), then the domain rules
against the nominal's current state (``rules.decide``, 409 with the rule code). A refused
command leaves no trace on any topic.

Current state
    A command runs in a unit of work (``services/kernel/commands.py``): it holds the store's
    append lock, reads the nominal's events from the read model inside the same transaction,
    and its own event is projected in that transaction too. So every command, from any process,
    is decided on every event accepted before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from services.bootstrap import Platform
from services.kernel import references
from services.kernel.commands import CommandSession
from services.kernel.conform import to_json
from services.kernel.events import Event, new_event
from services.kernel.references import ReferenceKind
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


class NotAParty(PermissionError):
    """The caller's agency has no ``mappa`` purpose in any agreement in force."""


def check_party(platform: Platform, caller: Caller) -> None:
    """Refuse a caller whose agency is not a MAPPA party: it may neither read nor write.

    MAPPA records, the reviews lists and the figures are for the parties to MAPPA under the
    agreement in force (the Responsible Authority, duty-to-co-operate agencies, the MAPPA
    coordinator); an IDVA service or the MARAC coordination team learns nothing of them,
    not even that a nominal exists or at what category and level.
    """
    if mappa_party(platform, caller.agency) is None:
        raise NotAParty(
            f"{caller.agency} is not a party to MAPPA under the information sharing "
            "agreement in force"
        )


def check_agency(platform: Platform, loc: tuple[str | int, ...], agency: str) -> None:
    """Refuse an agency code no agreement in force names as a party to MAPPA."""
    if mappa_party(platform, agency) is None:
        raise InputRefused(
            loc, f"{agency!r} is not a party to MAPPA under the information sharing agreement"
        )


def current_state(conn: Connection, policy: MappaPolicy, nominal_id: str) -> NominalState | None:
    """The nominal's state folded from every event stored for it."""
    return fold([e.facts() for e in load_events(conn, nominal_id)], policy)


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
    session: CommandSession,
    caller: Caller,
    nominal_id: str,
    command: Command,
    sensitive: Mapping[str, Any] | None = None,
    must_exist: bool = True,
) -> Accepted:
    """Decide ``command`` against the nominal's current state and publish its one event.

    ``sensitive`` holds the identity and narrative fields the domain does not see; the
    publisher encrypts them. Raises ``NotFound`` for an unknown nominal (when it must
    exist) and ``rules.RuleViolation`` for a broken rule; nothing is published then.
    """
    policy = mappa_policy(platform)
    state = current_state(session.conn, policy, nominal_id)
    if state is None and must_exist:
        raise NotFound(nominal_id)
    decided = rules.decide(state, command, policy, platform.today())
    event_type = decided.pop("type")
    payload = {**decided, "nominal_id": nominal_id, **(sensitive or {})}
    if isinstance(command, RegisterNominal):
        # Inside the command's transaction (append lock held): unique under concurrent posts.
        payload["reference"] = references.allocate(
            session.conn, ReferenceKind.MAPPA_NOMINAL, command.area, platform.today().year
        )
    event = new_event(
        event_type, payload, aggregate_id=nominal_id, agency=caller.agency, actor=caller.user
    )
    session.record([event])
    new_state = apply(state, facts(event_type, to_json(payload)), policy)
    return Accepted(event, new_state, policy)


def register(
    platform: Platform,
    session: CommandSession,
    caller: Caller,
    command: RegisterNominal,
    sensitive: Mapping[str, Any],
) -> Accepted:
    return execute(
        platform, session, caller, command.nominal_id, command, sensitive, must_exist=False
    )
