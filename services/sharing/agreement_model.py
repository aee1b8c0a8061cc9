"""The information sharing agreement as plain data, and the questions asked of it.

Pure: no YAML, no files. The loader in `agreements.py` builds these objects and checks them;
everything here assumes a valid agreement.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Final

from services.sharing.errors import AgreementError

PURPOSES: Final[tuple[str, ...]] = ("marac", "matac", "mappa")

PARTY_TYPES: Final[tuple[str, ...]] = (
    "police",
    "idva",
    "housing",
    "health",
    "csc",
    "probation",
    "prisons",
    "education",
    "coordinator",
)

CLASSIFICATIONS: Final[tuple[str, ...]] = ("OFFICIAL", "OFFICIAL-SENSITIVE")


@dataclass(frozen=True)
class PurposeTerms:
    """Why the partnership shares for one purpose, and on what legal footing."""

    name: str
    lawful_basis: tuple[str, ...]
    retention_months: int
    description: str = ""


@dataclass(frozen=True)
class Party:
    """One agency signed up to the agreement, and what it may read for each purpose."""

    agency_id: str
    name: str
    party_type: str
    reads: Mapping[str, frozenset[str]]

    def may_read(self, purpose: str, data_class: str) -> bool:
        """True when this party may read `data_class` for `purpose`."""
        return data_class in self.reads.get(purpose, frozenset())


@dataclass(frozen=True)
class Agreement:
    """One version of an ISA. `effective_to`, when set, is the last day it is in force."""

    id: str
    version: int
    title: str
    effective_from: date
    effective_to: date | None
    review_date: date
    classification: str
    purposes: Mapping[str, PurposeTerms]
    parties: tuple[Party, ...]
    source: str = "<memory>"
    partnership_wide: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Purpose -> parties whose data protection officer acts for the whole partnership for it
    (erasure and the audit trail of any subject held for the purpose); every other DPO acts
    on what their own agency recorded."""
    originator_reads_own: bool = False
    """An agency that recorded an event may always read that event's fields back, whatever
    classes it is granted: what it submitted is its own record (DOMAIN: a referrer can read
    back what it submitted). Scoped to the event: later data in the same class is not."""

    @property
    def label(self) -> str:
        """How reasons and audit records name this agreement, e.g. `tv-isa v2`."""
        return f"{self.id} v{self.version}"

    @cached_property
    def _parties_by_agency(self) -> dict[str, Party]:
        return {party.agency_id: party for party in self.parties}

    def party(self, agency_id: str) -> Party | None:
        """The party with this agency id, or None when the agency is not a signatory."""
        return self._parties_by_agency.get(agency_id)

    def may_read(self, agency_id: str, purpose: str, data_class: str) -> bool:
        """True when the agency may read the data class for the purpose; strangers read nothing."""
        party = self.party(agency_id)
        return (
            party is not None and purpose in self.purposes and party.may_read(purpose, data_class)
        )

    def reads_own_record(self, agency_id: str, purpose: str, recorded_by: str | None) -> bool:
        """True when the agreement lets a party read back an event it recorded itself."""
        return (
            self.originator_reads_own
            and recorded_by is not None
            and recorded_by == agency_id
            and purpose in self.purposes
            and self.party(agency_id) is not None
        )

    def withheld_reason(self, agency_id: str, purpose: str, data_class: str) -> str:
        """Explain a refusal, naming this agreement, so nothing is ever a silent gap."""
        prefix = f"withheld under {self.label}"
        if self.party(agency_id) is None:
            return f"{prefix}: {agency_id} is not a party to the agreement"
        if purpose not in self.purposes:
            return f"{prefix}: {purpose} is not a purpose of the agreement"
        return f"{prefix}: {agency_id} may not read {data_class} for {purpose}"

    def is_effective_on(self, on: date) -> bool:
        """True from `effective_from` up to and including `effective_to`."""
        started = self.effective_from <= on
        ended = self.effective_to is not None and on > self.effective_to
        return started and not ended

    def review_overdue(self, on: date) -> bool:
        """True once the review date has passed; partnerships must re-sign on schedule."""
        return on > self.review_date


@dataclass(frozen=True)
class ReadDecision:
    """Whether a read is allowed, and the agreement (and words) that say so."""

    allowed: bool
    reason: str
    agreement: Agreement | None


class AgreementSet:
    """Every version of every agreement the partnership holds, and which is in force when.

    A new version takes effect on its `effective_from` without republishing any event,
    because readers ask this set on the day they read.
    """

    def __init__(self, agreements: Iterable[Agreement]) -> None:
        self._versions: dict[str, dict[int, Agreement]] = {}
        for agreement in agreements:
            versions = self._versions.setdefault(agreement.id, {})
            earlier = versions.get(agreement.version)
            if earlier is not None:
                raise AgreementError(
                    agreement.source,
                    None,
                    f"agreement {agreement.label} is also defined in {earlier.source}",
                )
            versions[agreement.version] = agreement

    def __iter__(self) -> Iterator[Agreement]:
        for agreement_id in sorted(self._versions):
            yield from self.versions(agreement_id)

    def __len__(self) -> int:
        return sum(len(versions) for versions in self._versions.values())

    @property
    def ids(self) -> list[str]:
        """Agreement ids, sorted."""
        return sorted(self._versions)

    def versions(self, agreement_id: str) -> list[Agreement]:
        """Every version of one agreement, oldest first."""
        versions = self._versions.get(agreement_id, {})
        return [versions[number] for number in sorted(versions)]

    def get(self, agreement_id: str, version: int) -> Agreement:
        """One exact version; raises KeyError when absent."""
        return self._versions[agreement_id][version]

    def current(self, agreement_id: str, on: date) -> Agreement | None:
        """The highest version of one agreement that is in force on the date, if any."""
        effective = [a for a in self.versions(agreement_id) if a.is_effective_on(on)]
        return max(effective, key=lambda a: a.version, default=None)

    def in_force(self, on: date) -> list[Agreement]:
        """For each agreement id, the highest version in force on the date (sorted by id)."""
        found = (self.current(agreement_id, on) for agreement_id in self.ids)
        return [agreement for agreement in found if agreement is not None]

    def partnership_wide_purposes(self, agency_id: str, on: date) -> set[str]:
        """The purposes for which an agreement in force names the agency's DPO partnership-wide."""
        return {
            purpose
            for agreement in self.in_force(on)
            for purpose, agencies in agreement.partnership_wide.items()
            if agency_id in agencies
        }

    def decide(
        self,
        agency_id: str,
        purpose: str,
        data_class: str,
        on: date,
        recorded_by: str | None = None,
    ) -> ReadDecision:
        """May the agency read the class for the purpose on the date, under any agreement?

        `recorded_by` is the agency that recorded the event the value belongs to: under an
        agreement with `originator_reads_own`, that agency reads its own event in full.
        """
        in_force = self.in_force(on)
        for agreement in in_force:
            if agreement.may_read(agency_id, purpose, data_class):
                return ReadDecision(True, f"shared under {agreement.label}", agreement)
        for agreement in in_force:
            if agreement.reads_own_record(agency_id, purpose, recorded_by):
                reason = f"shown under {agreement.label}: {agency_id} recorded it"
                return ReadDecision(True, reason, agreement)
        covering = [a for a in in_force if purpose in a.purposes] or in_force
        if not covering:
            reason = f"withheld: no information sharing agreement is in force on {on.isoformat()}"
            return ReadDecision(False, reason, None)
        agreement = covering[0]
        return ReadDecision(
            False, agreement.withheld_reason(agency_id, purpose, data_class), agreement
        )
