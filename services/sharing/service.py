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
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from projections.runtime import EventRejected
from services.kernel.events import Event, new_event
from services.kernel.schemas import SchemaCatalogue
from services.kernel.streams import stream_for
from services.sharing.agreement_model import PURPOSES, AgreementSet
from services.sharing.agreements import load_agreement_set
from services.sharing.errors import SharingError, SubjectAlreadyErased, TamperedCiphertext
from services.sharing.records import AccessSummary, decrypt_record, verify_record
from services.sharing.sealing import AlreadyEncrypted, Unsealed, ciphers_for, unsealed
from services.sharing.sensitive_schema import map_sensitive, plan_for
from services.sharing.splits import Split, split_plain, split_revealed, splits_for
from services.sharing.subjects import SubjectRegister
from services.sharing.vault import KeyVault

Clock = Callable[[], dt.date]


@dataclass(frozen=True)
class Caller:
    """Who is asking: the user, their agency (a party to the ISA) and their role."""

    user: str
    agency: str
    role: str


class SubjectNotFound(SharingError):
    """No such data subject, or none the caller's agency holds data about (the same answer,
    so a DPO cannot learn that another agency's subject exists)."""


ERASURE_TRIGGERS = ("request", "retention")


def purpose_of(event_type: str) -> str:
    """The ISA purpose an event is recorded for (its stream's family), else its stream."""
    stream = stream_for(event_type).name
    family = stream.split(".", 1)[0]
    return family if family in PURPOSES else stream


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
        subjects: SubjectRegister | None = None,
    ):
        self.vault = vault
        self.agreements = agreements
        self.catalogue = catalogue
        self.clock = clock
        self.subjects = subjects if subjects is not None else SubjectRegister(vault.engine)
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
        return [pair for _, pairs in self._pairs_by_event(events) for pair in pairs]

    def _pairs_by_event(self, events: Sequence[Event]) -> list[tuple[Event, list]]:
        found: list[tuple[Event, list]] = []
        for event in events:
            if not self.has_sensitive_fields(event.event_type):
                continue
            pairs: list[tuple[str, str]] = []

            def collect(path, data_class, subject_id, value, pairs=pairs):
                if isinstance(subject_id, str) and subject_id:
                    pairs.append((subject_id, data_class))
                return value

            map_sensitive(self._plan(event.event_type), event.payload, collect)
            found.append((event, pairs))
        return found

    def note_stored(self, events: Sequence[Event]) -> None:
        """Register who recorded data about whom from stored events (tandem register-subjects)."""
        self._note_sources(self._pairs_by_event(events), backfill=True)

    def _note_sources(self, by_event: list[tuple[Event, list]], *, backfill: bool = False) -> None:
        """Record which agency holds data about which subject, for which purpose, and when."""
        rows = []
        for event, pairs in by_event:
            recorded = event.envelope.recorded_at
            day = recorded.date() if isinstance(recorded, dt.datetime) else self.clock()
            purpose = purpose_of(event.event_type)
            rows.extend(
                (subject, event.envelope.agency, purpose, day) for subject in {s for s, _ in pairs}
            )
        self.subjects.note(rows, backfill=backfill)
        self.subjects.note_origins(
            (str(event.event_id), event.envelope.agency) for event, pairs in by_event if pairs
        )

    def prefetch_origins(self, event_ids: Sequence[str]) -> None:
        """Look up who recorded a batch of events in one round trip (lists of records)."""
        self.subjects.origins(str(event_id) for event_id in event_ids)

    def prefetch_keys(self, events: Sequence[Event]) -> None:
        """Load the keys a batch of stored events needs in one round trip (projectors)."""
        self.vault.prepare(self._key_pairs(events))

    def prefetch_read_keys(
        self, caller: Caller, purpose: str, stored: Sequence[tuple[str, dict]]
    ) -> None:
        """Load the keys a read will decrypt with in one round trip, not one key at a time.

        Only the classes the caller's agency is granted today are loaded; ``reveal`` still
        decides every field, and fetches any other key it may use (an originator's own).
        """
        agreements, today = self.agreements.get(), self.clock()
        granted: dict[str, bool] = {}
        pairs: list[tuple[str, str]] = []

        def collect(path, data_class, subject_id, value):
            if data_class not in granted:
                found = agreements.decide(caller.agency, purpose, data_class, today)
                granted[data_class] = found.allowed
            if granted[data_class] and isinstance(subject_id, str) and subject_id:
                pairs.append((subject_id, data_class))
            return value

        for event_type, payload in stored:
            if self.has_sensitive_fields(event_type):
                map_sensitive(self._plan(event_type), payload, collect)
        self.vault.prepare(pairs)

    # -- publish path ------------------------------------------------------------------------

    def encrypt_events(self, events: Sequence[Event]) -> list[Event]:
        """``encrypt_event`` for a batch: one walk per event, and the keys of the whole batch
        fetched (and created where missing) in one transaction, one lookup per distinct key."""
        events = [self._split(e) for e in events]
        pending = [(e, self._unsealed(e)) for e in events]
        keys = self.vault.encryption_keys(pair for _, u in pending if u for pair in u.pairs)
        ciphers = ciphers_for(keys)
        encrypted = [
            e if u is None else replace(e, payload=u.seal(e.event_id, ciphers)) for e, u in pending
        ]
        self._note_sources([(e, list(u.pairs)) for e, u in pending if u is not None])
        return encrypted

    def encrypt_event(self, event: Event) -> Event:
        """The event with every sensitive field encrypted under its subject's data key.

        Values that are already tokens are refused: re-encrypting would hide a token copied
        from another event, which must not be replayed under a new event id.
        """
        event = self._split(event)
        pending = self._unsealed(event)
        if pending is None:
            return event
        ciphers = ciphers_for(self.vault.encryption_keys(pending.pairs))
        return replace(event, payload=pending.seal(event.event_id, ciphers))

    def _unsealed(self, event: Event) -> Unsealed | None:
        """The event's payload walked once for encryption; None when nothing is sensitive."""
        if not self.has_sensitive_fields(event.event_type):
            return None
        try:
            return unsealed(self._plan(event.event_type), event.payload, refuse_tokens=True)
        except AlreadyEncrypted as exc:
            raise SharingError(f"{event.event_type}: {exc}") from None

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
        """Decrypt what the caller's agency may read for the purpose under today's agreement.

        A class the agency is not granted is still shown from an event the agency recorded
        itself, where the agreement says `originator_reads_own` (its origin is looked up only
        then): what it submitted, never what others recorded in the same class.
        """
        agreements = self.agreements.get()
        today = self.clock()
        decisions: dict[str, Any] = {}
        origin: list[str | None] = []

        def recorded_by() -> str | None:
            if not origin:
                origin.append(self.subjects.origin(str(event_id)))
            return origin[0]

        def decision(data_class: str):
            if data_class not in decisions:
                found = agreements.decide(caller.agency, purpose, data_class, today)
                if not found.allowed:
                    found = agreements.decide(
                        caller.agency, purpose, data_class, today, recorded_by=recorded_by()
                    )
                decisions[data_class] = found
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

    def reveal_to_supplier(self, event_type: str, event_id: str, payload: dict) -> dict[str, Any]:
        """Decrypt a record for the agency that supplied it, for a decision made on the server.

        The supplier may always read its own record back (DOMAIN.md); the caller must have
        checked that the requesting agency produced the event. Nothing is shown to anyone, so
        nothing is audited: use ``reveal`` and ``access_events`` for what a page or API shows.
        Erased fields come back erased.
        """
        result, _summary = decrypt_record(
            self._plan(event_type),
            payload,
            event_id,
            self.vault,
            may_read=lambda _dc: True,
            withheld_reason=lambda _dc: "",
        )
        return result

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

    # -- erasure and the audit trail: the data controller's -----------------------------------

    def in_scope(self, agency: str, subject_id: str) -> bool:
        """May this agency's DPO act on the subject (erase, read the access trail)?

        Yes when the agency recorded data about the subject (it controls that record), or
        when an agreement in force names it partnership-wide for a purpose the subject is
        held for.
        """
        sources = self.subjects.sources(subject_id)
        if any(source.agency == agency for source in sources):
            return True
        wide = self.agreements.get().partnership_wide_purposes(agency, self.clock())
        if not wide:
            return False
        purposes = {source.purpose for source in sources} or self._purposes_from_keys(subject_id)
        return bool(wide & purposes)

    def _purposes_from_keys(self, subject_id: str) -> set[str]:
        """For a subject recorded before the register existed: the purposes its keys suggest
        (MAPPA classes are MAPPA's; any other class may be MARAC's or MATAC's)."""
        purposes: set[str] = set()
        for data_class in self.vault.data_classes_of(subject_id):
            purposes |= {"mappa"} if data_class.startswith("mappa.") else {"marac", "matac"}
        return purposes

    def is_known(self, subject_id: str) -> bool:
        """Any agency recorded data about the subject, or keys or a tombstone exist."""
        return bool(
            self.subjects.sources(subject_id)
            or self.vault.has_keys(subject_id)
            or self.vault.is_erased(subject_id)
        )

    def check_scope(self, agency: str, subject_id: str) -> None:
        """Raise SubjectNotFound unless the agency's DPO may act on the subject.

        Out of scope and unknown read the same, so probing learns nothing.
        """
        if not self.in_scope(agency, subject_id):
            raise SubjectNotFound(f"no data subject {subject_id} in {agency}'s scope")

    def erasure_event(
        self,
        subject_id: str,
        reason: str,
        caller: Caller,
        *,
        requested_by: str | None = None,
        requested_by_agency: str | None = None,
        trigger: str = "request",
        check_scope: bool = True,
    ) -> Event:
        """Destroy the subject's keys now, and the event that records who asked and why.

        Refused (SubjectNotFound) for a subject unknown or out of the caller's scope, and
        (SubjectAlreadyErased) for one already erased. The reason is free text: it travels
        encrypted as `erasure.reason`, under the erasure's own id, never in the clear.
        """
        if trigger not in ERASURE_TRIGGERS:
            raise ValueError(f"unknown erasure trigger {trigger!r}")
        if check_scope:
            self.check_scope(caller.agency, subject_id)
        elif not self.is_known(subject_id):
            raise SubjectNotFound(f"no data subject {subject_id} is known")
        if self.vault.is_erased(subject_id):
            raise SubjectAlreadyErased(subject_id)
        destroyed = self.vault.erase(subject_id)  # a racing second request raises here
        return new_event(
            "SubjectErased",
            {
                "subject_id": subject_id,
                "keys_destroyed": destroyed,
                "reason": "",  # v1's clear-text field; the reason travels encrypted below
                "erasure_id": f"er-{uuid.uuid4().hex[:16]}",
                "trigger": trigger,
                "requested_by": requested_by or caller.user,
                "requested_by_agency": requested_by_agency or caller.agency,
                "request_reason": reason,
            },
            aggregate_id=subject_id,
            agency=caller.agency,
            actor=caller.user,
        )
