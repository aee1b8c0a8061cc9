"""The sharing service: where the publish path, the projections and the queries meet the ISA.

* ``encrypt_event`` runs inside the publisher, so every producer (HTTP intake, the Python
  publisher, ``tandem publish``) encrypts each field tagged with a data class before the event
  is encoded; nothing sensitive reaches a topic in the clear.
* ``verify_event`` runs in every projector: a token that fails authentication is never stored
  or shown; the event goes to the dead-letter topic.
* ``reveal`` decrypts a stored payload for one caller under the agreement in force today, and
  returns what was read so the caller's read can be audited.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from projections.runtime import EventRejected
from services.kernel.events import Event, new_event
from services.kernel.schemas import SchemaCatalogue
from services.sharing.agreement_model import AgreementSet
from services.sharing.agreements import load_agreement_set
from services.sharing.errors import SharingError, TamperedCiphertext
from services.sharing.fields import is_ciphertext
from services.sharing.records import AccessSummary, decrypt_record, encrypt_record, verify_record
from services.sharing.sensitive_schema import map_sensitive, plan_for
from services.sharing.splits import Split, split_plain, split_revealed, splits_for
from services.sharing.vault import KeyVault

Clock = Callable[[], dt.date]


@dataclass(frozen=True)
class Caller:
    """Who is asking: the user, their agency (a party to the ISA) and their role."""

    user: str
    agency: str
    role: str


@dataclass(frozen=True)
class Revealed:
    """A payload as one caller may see it, and what reading it disclosed."""

    payload: dict[str, Any]
    summary: AccessSummary
    agreement_id: str | None
    agreement_version: int | None


class AgreementCatalogue:
    """The agreements on disk, reloaded when a file changes: a new version needs no restart."""

    def __init__(self, directory: Path):
        self._directory = directory
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._set: AgreementSet | None = None

    def _current_stamp(self) -> tuple:
        files = sorted(self._directory.rglob("*.y*ml"))
        return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)

    def get(self) -> AgreementSet:
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp or self._set is None:
                self._set = load_agreement_set(self._directory)
                self._stamp = stamp
            return self._set


class SharingService:
    def __init__(
        self,
        vault: KeyVault,
        agreements: AgreementCatalogue,
        catalogue: SchemaCatalogue,
        clock: Clock = dt.date.today,
    ):
        self.vault = vault
        self.agreements = agreements
        self.catalogue = catalogue
        self.clock = clock
        self._plans: dict[str, Any] = {}
        self._splits: dict[str, tuple[Split, ...]] = {}

    def _plan(self, event_type: str):
        """The compiled walk over an event type's sensitive fields, built once per type."""
        plan = self._plans.get(event_type)
        if plan is None:
            plan = self._plans[event_type] = plan_for(self.catalogue.latest(event_type).definition)
        return plan

    def _split_fields(self, event_type: str) -> tuple[Split, ...]:
        """The fields split out of a JSON source by data class (e.g. DASH answers)."""
        splits = self._splits.get(event_type)
        if splits is None:
            definition = self.catalogue.latest(event_type).definition
            splits = self._splits[event_type] = splits_for(definition)
        return splits

    def _split(self, event: Event) -> Event:
        splits = self._split_fields(event.event_type)
        if not splits:
            return event
        return replace(event, payload=split_plain(splits, event.payload))

    def has_sensitive_fields(self, event_type: str) -> bool:
        return bool(self._plan(event_type).fields)

    def _key_pairs(self, events: Sequence[Event]) -> list[tuple[str, str]]:
        """Every (subject, data class) whose key the events' sensitive fields use."""
        pairs: list[tuple[str, str]] = []

        def collect(path, data_class, subject_id, value):
            if isinstance(subject_id, str) and subject_id:
                pairs.append((subject_id, data_class))
            return value

        for event in events:
            if self.has_sensitive_fields(event.event_type):
                map_sensitive(self._plan(event.event_type), event.payload, collect)
        return pairs

    def prefetch_keys(self, events: Sequence[Event]) -> None:
        """Load the keys a batch of stored events needs in one round trip (projectors)."""
        self.vault.prepare(self._key_pairs(events))

    # -- publish path ------------------------------------------------------------------------

    def encrypt_events(self, events: Sequence[Event]) -> list[Event]:
        """``encrypt_event`` for a batch, creating the keys it needs in one transaction."""
        events = [self._split(e) for e in events]
        self.vault.prepare(self._key_pairs(events), create=True)
        return [self.encrypt_event(e) for e in events]

    def encrypt_event(self, event: Event) -> Event:
        """The event with every sensitive field encrypted under its subject's data key.

        Values that are already tokens are refused: re-encrypting would hide a token copied
        from another event, which must not be replayed under a new event id.
        """
        if not self.has_sensitive_fields(event.event_type):
            return event
        event = self._split(event)
        plan = self._plan(event.event_type)

        def refuse_tokens(path, data_class, subject_id, value):
            if isinstance(value, str) and is_ciphertext(value):
                raise SharingError(f"{event.event_type}: {path} is already encrypted")
            return value

        map_sensitive(plan, event.payload, refuse_tokens)
        encrypted = encrypt_record(plan, event.payload, event.event_id, self.vault)
        return replace(event, payload=encrypted)

    # -- projection path ---------------------------------------------------------------------

    def verify_event(self, event: Event) -> None:
        """Raise EventRejected if any sensitive field fails authentication."""
        if not self.has_sensitive_fields(event.event_type):
            return
        try:
            verify_record(
                self._plan(event.event_type),
                event.payload,
                event.event_id,
                self.vault,
                writer_version=event.envelope.schema_version or None,
            )
        except TamperedCiphertext as exc:
            raise EventRejected(f"tampered ciphertext: {exc}") from exc
        except (SharingError, ValueError) as exc:
            raise EventRejected(f"sensitive field cannot be verified: {exc}") from exc

    # -- query path --------------------------------------------------------------------------

    def reveal(
        self, caller: Caller, purpose: str, event_type: str, event_id: str, payload: dict
    ) -> Revealed:
        """Decrypt what the caller's agency may read for the purpose under today's agreement."""
        agreements = self.agreements.get()
        today = self.clock()
        decisions: dict[str, Any] = {}

        def decision(data_class: str):
            if data_class not in decisions:
                decisions[data_class] = agreements.decide(caller.agency, purpose, data_class, today)
            return decisions[data_class]

        result, summary = decrypt_record(
            self._plan(event_type),
            payload,
            event_id,
            self.vault,
            may_read=lambda dc: decision(dc).allowed,
            withheld_reason=lambda dc: decision(dc).reason,
        )
        splits = self._split_fields(event_type)
        if splits:
            result, also_shown = split_revealed(splits, result, decision)
            if also_shown:
                summary = replace(
                    summary, decrypted=tuple(sorted(set(summary.decrypted) | also_shown))
                )
        used = next((d.agreement for d in decisions.values() if d.agreement is not None), None)
        return Revealed(
            result,
            summary,
            used.id if used else None,
            used.version if used else None,
        )

    def access_events(
        self, caller: Caller, purpose: str, route: str, revealed: list[Revealed]
    ) -> list[Event]:
        """One DataAccessed event per subject whose fields were shown to the caller."""
        by_subject: dict[str, set[str]] = {}
        agreement = next((r for r in revealed if r.agreement_id), None)
        for item in revealed:
            for subject, data_class in item.summary.decrypted:
                by_subject.setdefault(subject, set()).add(data_class)
        return [
            new_event(
                "DataAccessed",
                {
                    "subject_id": subject,
                    "data_classes": sorted(classes),
                    "purpose": purpose,
                    "agreement_id": agreement.agreement_id if agreement else "none",
                    "agreement_version": agreement.agreement_version if agreement else 0,
                    "route": route,
                },
                aggregate_id=subject,
                agency=caller.agency,
                actor=caller.user,
            )
            for subject, classes in sorted(by_subject.items())
        ]

    # -- erasure -----------------------------------------------------------------------------

    def erasure_event(self, subject_id: str, reason: str, caller: Caller) -> Event:
        """Destroy the subject's keys now, and the event that records it."""
        destroyed = self.vault.erase(subject_id)
        return new_event(
            "SubjectErased",
            {"subject_id": subject_id, "keys_destroyed": destroyed, "reason": reason},
            aggregate_id=subject_id,
            agency=caller.agency,
            actor=caller.user,
        )
