"""The ISA file format: YAML in, a checked `Agreement` out, or an error naming file and line.

The YAML is composed to nodes rather than loaded to dicts, so every complaint can point at
the line a person must edit; strictness (unknown keys, duplicate keys, unknown classes)
matters because a typo in an agreement silently changes who reads what.

Format (one agreement version per file)::

    id: thames-valley-da-isa          # lowercase slug, stable across versions
    version: 2                        # integer, higher supersedes lower
    title: ...                        # optional
    effective_from: 2025-04-01
    effective_to: 2026-03-31          # optional, last day in force
    review_date: 2026-03-31
    classification: OFFICIAL-SENSITIVE
    retention:                        # one entry per purpose
      marac: {months: 72}
    purposes:
      marac:
        description: ...              # optional
        lawful_basis: [..., ...]
    parties:
      - agency: tvp
        name: Thames Valley Police
        type: police
        may_read:                     # optional; per purpose, data classes
          marac: [victim.identity, ...]
    originator_reads_own: true        # optional (default false): an agency reads back
                                      # every field of an event it recorded itself
    data_protection:                  # optional
      partnership_wide:               # per purpose, parties whose DPO acts partnership-wide
        marac: [marac-coord]
"""

import re
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from services.sharing.agreement_model import (
    CLASSIFICATIONS,
    PARTY_TYPES,
    PURPOSES,
    Agreement,
    AgreementSet,
    Party,
    PurposeTerms,
    ReadDecision,
)
from services.sharing.data_classes import is_data_class
from services.sharing.errors import AgreementError

__all__ = [
    "Agreement",
    "AgreementError",
    "AgreementSet",
    "Party",
    "PurposeTerms",
    "ReadDecision",
    "load_agreement",
    "load_agreement_set",
    "parse_agreement",
]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def parse_agreement(text: str, source: str = "<string>") -> Agreement:
    """Parse and check one agreement; `source` names it in errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise AgreementError(source, line, f"not valid YAML: {error.problem}") from error
    except yaml.YAMLError as error:
        raise AgreementError(source, None, f"not valid YAML: {error}") from error
    if root is None:
        raise AgreementError(source, 1, "the file is empty")
    return _Reader(source).agreement(root)


def load_agreement(path: str | Path) -> Agreement:
    """Read one agreement file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise AgreementError(str(path), None, f"not UTF-8 text: {error}") from error
    return parse_agreement(text, str(path))


def load_agreement_set(root: str | Path) -> AgreementSet:
    """Every `*.yaml`/`*.yml` agreement under a directory tree; (id, version) must be unique."""
    root = Path(root)
    if not root.is_dir():
        raise AgreementError(str(root), None, "agreements directory not found")
    files = sorted(p for p in root.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
    return AgreementSet(load_agreement(path) for path in files)


class _Reader:
    """Walks the node tree of one file, raising AgreementError at the offending line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._constructor = SafeConstructor()

    def fail(self, node: Node, reason: str) -> NoReturn:
        raise AgreementError(self.source, node.start_mark.line + 1, reason)

    # -- structure ---------------------------------------------------------------------

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]]:
        """Keys to (key node, value node); rejects non-text and repeated keys."""
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping")
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                self.fail(key_node, f"{what}: keys must be text")
            key = key_node.value
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                self.fail(key_node, f"{what}: key '{key}' repeated (first at line {first})")
            entries[key] = (key_node, value_node)
        return entries

    def fields(
        self, node: Node, what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Node]:
        """A mapping with exactly these keys allowed; missing ones reported at its first line."""
        entries = self.mapping(node, what)
        for key, (key_node, _) in entries.items():
            if key not in required and key not in optional:
                allowed = ", ".join(required + optional)
                self.fail(key_node, f"{what}: unknown key '{key}' (allowed: {allowed})")
        for key in required:
            if key not in entries:
                self.fail(node, f"{what}: missing key '{key}'")
        return {key: value for key, (_, value) in entries.items()}

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} must be a list")
        return list(node.value)

    # -- scalars -----------------------------------------------------------------------

    def text(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or node.tag != _STR or not node.value.strip():
            self.fail(node, f"{what} must be non-empty text")
        return node.value.strip()

    def slug(self, node: Node, what: str) -> str:
        value = self.text(node, what)
        if not _SLUG.fullmatch(value):
            self.fail(node, f"{what} '{value}' must be lowercase letters, digits and hyphens")
        return value

    def choice(self, node: Node, what: str, allowed: tuple[str, ...]) -> str:
        value = self.text(node, what)
        if value not in allowed:
            self.fail(node, f"unknown {what} '{value}' (expected one of: {', '.join(allowed)})")
        return value

    def boolean(self, node: Node, what: str) -> bool:
        if not isinstance(node, ScalarNode) or node.tag != _BOOL:
            self.fail(node, f"{what} must be true or false, not '{_shown(node)}'")
        return bool(self._constructor.construct_object(node))

    def positive_int(self, node: Node, what: str) -> int:
        if not isinstance(node, ScalarNode) or node.tag != _INT:
            self.fail(node, f"{what} must be a whole number, not '{_shown(node)}'")
        value = self._constructor.construct_object(node)
        if value < 1:
            self.fail(node, f"{what} must be at least 1, not {value}")
        return int(value)

    def date(self, node: Node, what: str) -> date:
        if isinstance(node, ScalarNode) and node.tag in (_TIMESTAMP, _STR):
            try:
                return date.fromisoformat(node.value)
            except ValueError:
                pass
        self.fail(node, f"{what} must be a date like 2025-04-01, not '{_shown(node)}'")

    # -- the agreement -----------------------------------------------------------------

    def agreement(self, root: Node) -> Agreement:
        top = self.fields(
            root,
            "agreement",
            required=(
                "id",
                "version",
                "effective_from",
                "review_date",
                "classification",
                "retention",
                "purposes",
                "parties",
            ),
            optional=("title", "effective_to", "data_protection", "originator_reads_own"),
        )
        agreement_id = self.slug(top["id"], "id")
        effective_from = self.date(top["effective_from"], "effective_from")
        effective_to = None
        if "effective_to" in top:
            effective_to = self.date(top["effective_to"], "effective_to")
            if effective_to < effective_from:
                self.fail(top["effective_to"], "effective_to is before effective_from")
        lawful_bases = self.purposes(top["purposes"])
        retention = self.retention(top["retention"], set(lawful_bases))
        purposes = {
            name: PurposeTerms(name, basis, retention[name], description)
            for name, (basis, description) in lawful_bases.items()
        }
        parties = self.parties(top["parties"], purposes)
        partnership_wide: dict[str, frozenset[str]] = {}
        if "data_protection" in top:
            partnership_wide = self.data_protection(top["data_protection"], parties, purposes)
        return Agreement(
            id=agreement_id,
            version=self.positive_int(top["version"], "version"),
            title=self.text(top["title"], "title") if "title" in top else agreement_id,
            effective_from=effective_from,
            effective_to=effective_to,
            review_date=self.date(top["review_date"], "review_date"),
            classification=self.choice(top["classification"], "classification", CLASSIFICATIONS),
            purposes=purposes,
            parties=parties,
            source=self.source,
            partnership_wide=MappingProxyType(partnership_wide),
            originator_reads_own=(
                self.boolean(top["originator_reads_own"], "originator_reads_own")
                if "originator_reads_own" in top
                else False
            ),
        )

    def data_protection(
        self, node: Node, parties: tuple[Party, ...], purposes: dict[str, PurposeTerms]
    ) -> dict[str, frozenset[str]]:
        """Per purpose, the parties whose DPOs act partnership-wide (parties of the agreement)."""
        entries = self.fields(node, "data_protection", ("partnership_wide",))
        known = {party.agency_id for party in parties}
        found: dict[str, frozenset[str]] = {}
        what = "data_protection: partnership_wide"
        for purpose, (key_node, value_node) in self.mapping(
            entries["partnership_wide"], what
        ).items():
            if purpose not in purposes:
                self.fail(key_node, f"{what}: '{purpose}' is not one of the agreement's purposes")
            agencies: set[str] = set()
            for item in self.sequence(value_node, f"{what} for {purpose}"):
                agency_id = self.slug(item, f"{what} for {purpose}: agency")
                if agency_id not in known:
                    self.fail(item, f"{what}: '{agency_id}' is not a party to the agreement")
                if agency_id in agencies:
                    self.fail(item, f"{what} for {purpose}: '{agency_id}' listed twice")
                agencies.add(agency_id)
            found[purpose] = frozenset(agencies)
        return found

    def purposes(self, node: Node) -> dict[str, tuple[tuple[str, ...], str]]:
        """Purpose name to (lawful bases, description)."""
        found: dict[str, tuple[tuple[str, ...], str]] = {}
        for name, (key_node, value_node) in self.mapping(node, "purposes").items():
            self.choice(key_node, "purpose", PURPOSES)
            what = f"purpose '{name}'"
            terms = self.fields(value_node, what, ("lawful_basis",), ("description",))
            bases = self.sequence(terms["lawful_basis"], f"{what}: lawful_basis")
            if not bases:
                self.fail(terms["lawful_basis"], f"{what}: lawful_basis must name at least one")
            description = ""
            if "description" in terms:
                description = self.text(terms["description"], f"{what}: description")
            found[name] = (
                tuple(self.text(b, f"{what}: lawful basis") for b in bases),
                description,
            )
        if not found:
            self.fail(node, "purposes: at least one purpose is required")
        return found

    def retention(self, node: Node, purposes: set[str]) -> dict[str, int]:
        months: dict[str, int] = {}
        for name, (key_node, value_node) in self.mapping(node, "retention").items():
            if name not in purposes:
                self.fail(key_node, f"retention: '{name}' is not one of the agreement's purposes")
            period = self.fields(value_node, f"retention for '{name}'", ("months",))
            months[name] = self.positive_int(period["months"], f"retention for '{name}': months")
        for name in purposes:
            if name not in months:
                self.fail(node, f"retention: no period for purpose '{name}'")
        return months

    def parties(self, node: Node, purposes: dict[str, PurposeTerms]) -> tuple[Party, ...]:
        parties: list[Party] = []
        first_line: dict[str, int] = {}
        for item in self.sequence(node, "parties"):
            party = self.party(item, purposes)
            if party.agency_id in first_line:
                agency_node = self.mapping(item, "party")["agency"][1]
                self.fail(
                    agency_node,
                    f"duplicate agency '{party.agency_id}' "
                    f"(first at line {first_line[party.agency_id]})",
                )
            first_line[party.agency_id] = item.start_mark.line + 1
            parties.append(party)
        if not parties:
            self.fail(node, "parties: at least one party is required")
        return tuple(parties)

    def party(self, node: Node, purposes: dict[str, PurposeTerms]) -> Party:
        entries = self.fields(node, "party", ("agency", "name", "type"), ("may_read",))
        agency_id = self.slug(entries["agency"], "agency")
        reads: dict[str, frozenset[str]] = {}
        if "may_read" in entries:
            reads = self.reads(entries["may_read"], agency_id, purposes)
        return Party(
            agency_id=agency_id,
            name=self.text(entries["name"], f"party '{agency_id}': name"),
            party_type=self.choice(entries["type"], "party type", PARTY_TYPES),
            reads=reads,
        )

    def reads(
        self, node: Node, agency_id: str, purposes: dict[str, PurposeTerms]
    ) -> dict[str, frozenset[str]]:
        reads: dict[str, frozenset[str]] = {}
        what = f"party '{agency_id}': may_read"
        for purpose, (key_node, value_node) in self.mapping(node, what).items():
            if purpose not in purposes:
                self.fail(key_node, f"{what}: '{purpose}' is not one of the agreement's purposes")
            reads[purpose] = self.data_classes(value_node, f"{what} for {purpose}")
        return reads

    def data_classes(self, node: Node, what: str) -> frozenset[str]:
        seen: set[str] = set()
        for item in self.sequence(node, what):
            name = self.text(item, f"{what}: data class")
            if not is_data_class(name):
                self.fail(item, f"unknown data class '{name}' in {what}")
            if name in seen:
                self.fail(item, f"data class '{name}' listed twice in {what}")
            seen.add(name)
        return frozenset(seen)


def _shown(node: Node) -> str:
    """A node's value for an error message, without dumping whole structures."""
    return node.value if isinstance(node, ScalarNode) else type(node).__name__
