"""The shipped Thames Valley ISA grants exactly the need-to-know access the partnership agreed.

The expected tables are written out by hand from the sharing rules, not read from the file.
"""

from datetime import date
from pathlib import Path

import pytest

from services.sharing.agreement_model import PURPOSES, Agreement
from services.sharing.agreements import load_agreement, load_agreement_set
from services.sharing.data_classes import DATA_CLASSES

AGREEMENTS_DIR = Path(__file__).resolve().parents[3] / "agreements"
ISA_DIR = AGREEMENTS_DIR / "thames-valley-da-isa"

EXPECTED_PARTIES = {
    "tvp": "police",
    "marac-coord": "coordinator",
    "mappa-coord": "coordinator",
    "idva-oxon": "idva",
    "idva-berks": "idva",
    "idva-bucks": "idva",
    "housing-oxford": "housing",
    "housing-cherwell": "housing",
    "housing-reading": "housing",
    "housing-bucks": "housing",
    "housing-mk": "housing",
    "health-ouh": "health",
    "health-oxhealth": "health",
    "health-rbft": "health",
    "csc-oxon": "csc",
    "csc-bucks": "csc",
    "csc-reading": "csc",
    "probation-tv": "probation",
    "prisons-tv": "prisons",
}

EVERYTHING_MARAC = {
    "victim.identity",
    "victim.contact",
    "victim.address",
    "victim.health",
    "victim.demographics",
    "children",
    "perpetrator.identity",
    "perpetrator.contact",
    "offending.detail",
    "risk.narrative",
    "referrer.contact",
}
EVERYTHING_MATAC = {
    "victim.identity",
    "victim.contact",
    "children",
    "perpetrator.identity",
    "perpetrator.contact",
    "offending.detail",
    "risk.narrative",
}
RESPONSIBLE_AUTHORITY_MAPPA = {
    "mappa.identity",
    "mappa.offence",
    "mappa.address_risk",
    "mappa.minutes",
}

# Per party type; the two coordinators differ only for MAPPA, so they are keyed by agency.
EXPECTED_V1: dict[str, dict[str, set[str]]] = {
    "police": {
        "marac": EVERYTHING_MARAC,
        "matac": EVERYTHING_MATAC,
        "mappa": RESPONSIBLE_AUTHORITY_MAPPA,
    },
    "marac-coord": {"marac": EVERYTHING_MARAC, "matac": EVERYTHING_MATAC, "mappa": set()},
    "mappa-coord": {
        "marac": EVERYTHING_MARAC,
        "matac": EVERYTHING_MATAC,
        "mappa": RESPONSIBLE_AUTHORITY_MAPPA,
    },
    "idva": {
        "marac": {
            "victim.identity",
            "victim.contact",
            "victim.address",
            "victim.health",
            "victim.demographics",
            "children",
            "perpetrator.identity",
            "offending.detail",
            "risk.narrative",
            "referrer.contact",
        },
        "matac": {"victim.identity", "victim.contact", "risk.narrative"},
        "mappa": set(),
    },
    "housing": {
        "marac": {
            "victim.identity",
            "victim.contact",
            "victim.address",
            "children",
            "perpetrator.identity",
            "risk.narrative",
            "referrer.contact",
        },
        "matac": {"risk.narrative"},
        "mappa": {"mappa.address_risk"},
    },
    "health": {
        "marac": {
            "victim.identity",
            "victim.contact",
            "victim.health",
            "victim.demographics",
            "perpetrator.identity",
            "risk.narrative",
            "referrer.contact",
        },
        "matac": {"risk.narrative"},
        "mappa": {"mappa.identity"},
    },
    "csc": {
        "marac": {
            "victim.identity",
            "victim.contact",
            "victim.address",
            "children",
            "perpetrator.identity",
            "perpetrator.contact",
            "offending.detail",
            "risk.narrative",
            "referrer.contact",
        },
        "matac": {"children", "risk.narrative"},
        "mappa": {"mappa.identity", "mappa.address_risk"},
    },
    "probation": {
        "marac": {
            "victim.identity",
            "children",
            "perpetrator.identity",
            "perpetrator.contact",
            "offending.detail",
            "risk.narrative",
            "referrer.contact",
        },
        "matac": {"offending.detail", "risk.narrative"},
        "mappa": RESPONSIBLE_AUTHORITY_MAPPA,
    },
    "prisons": {
        "marac": {
            "victim.identity",
            "victim.contact",
            "perpetrator.identity",
            "risk.narrative",
            "referrer.contact",
        },
        "matac": set(),
        "mappa": RESPONSIBLE_AUTHORITY_MAPPA,
    },
}


def expected_v2(role: str, purpose: str) -> set[str]:
    """Version 2 differs in one place: health trusts gain `children` for MARAC."""
    allowed = set(EXPECTED_V1[role][purpose])
    if role == "health" and purpose == "marac":
        allowed.add("children")
    return allowed


def role_of(agency_id: str) -> str:
    party_type = EXPECTED_PARTIES[agency_id]
    return agency_id if party_type == "coordinator" else party_type


@pytest.fixture(scope="module")
def v1() -> Agreement:
    return load_agreement(ISA_DIR / "v1.yaml")


@pytest.fixture(scope="module")
def v2() -> Agreement:
    return load_agreement(ISA_DIR / "v2.yaml")


def test_the_parties_are_the_partnership(v1: Agreement, v2: Agreement) -> None:
    for agreement in (v1, v2):
        found = {party.agency_id: party.party_type for party in agreement.parties}
        assert found == EXPECTED_PARTIES


def test_header_of_version_1(v1: Agreement) -> None:
    assert (v1.id, v1.version, v1.label) == ("thames-valley-da-isa", 1, "thames-valley-da-isa v1")
    assert v1.classification == "OFFICIAL-SENSITIVE"
    assert (v1.effective_from, v1.effective_to) == (date(2024, 4, 1), date(2025, 3, 31))
    assert v1.review_date == date(2025, 3, 31)
    assert set(v1.purposes) == {"marac", "matac", "mappa"}
    assert {name: terms.retention_months for name, terms in v1.purposes.items()} == {
        "marac": 72,
        "matac": 36,
        "mappa": 120,
    }
    assert "Crime and Disorder Act 1998 s.115" in v1.purposes["marac"].lawful_basis
    assert "Criminal Justice Act 2003 s.325 (MAPPA)" in v1.purposes["mappa"].lawful_basis


@pytest.mark.parametrize("agency_id", sorted(EXPECTED_PARTIES))
def test_version_1_matrix(v1: Agreement, agency_id: str) -> None:
    role = role_of(agency_id)
    for purpose in PURPOSES:
        for data_class in DATA_CLASSES:
            expected = data_class in EXPECTED_V1[role][purpose]
            actual = v1.may_read(agency_id, purpose, data_class)
            assert actual == expected, (agency_id, purpose, data_class)


@pytest.mark.parametrize("agency_id", sorted(EXPECTED_PARTIES))
def test_version_2_matrix(v2: Agreement, agency_id: str) -> None:
    role = role_of(agency_id)
    for purpose in PURPOSES:
        for data_class in DATA_CLASSES:
            expected = data_class in expected_v2(role, purpose)
            assert v2.may_read(agency_id, purpose, data_class) == expected, (
                agency_id,
                purpose,
                data_class,
            )


def test_the_stated_rules_hold_for_every_party(v1: Agreement, v2: Agreement) -> None:
    for agreement in (v1, v2):
        for party in agreement.parties:
            reads = party.reads
            assert "referrer.contact" in reads["marac"], party.agency_id
            if party.party_type == "housing":
                for purpose_reads in reads.values():
                    assert not purpose_reads & {"victim.health", "offending.detail"}
            if party.party_type == "health":
                assert all("offending.detail" not in r for r in reads.values())
            if party.party_type not in ("police", "coordinator"):
                assert "perpetrator.identity" not in reads.get("matac", set())
            if party.party_type not in ("police", "probation", "prisons", "coordinator"):
                assert reads.get("mappa", set()) <= {"mappa.identity", "mappa.address_risk"}


def test_an_unknown_agency_reads_nothing(v1: Agreement) -> None:
    assert v1.party("housing-nowhere") is None
    for purpose in PURPOSES:
        for data_class in DATA_CLASSES:
            assert not v1.may_read("housing-nowhere", purpose, data_class)


def test_a_known_party_is_found(v1: Agreement) -> None:
    party = v1.party("housing-oxford")
    assert party is not None
    assert (party.name, party.party_type) == ("Oxford City Council housing services", "housing")


def test_withheld_reason_names_agreement_party_class_and_purpose(v1: Agreement) -> None:
    assert v1.withheld_reason("housing-oxford", "marac", "victim.health") == (
        "withheld under thames-valley-da-isa v1: housing-oxford may not read victim.health "
        "for marac"
    )


def test_the_directory_holds_both_versions_and_picks_by_date() -> None:
    agreements = load_agreement_set(AGREEMENTS_DIR)
    assert [a.label for a in agreements] == ["thames-valley-da-isa v1", "thames-valley-da-isa v2"]
    assert agreements.in_force(date(2024, 3, 31)) == []
    assert [a.version for a in agreements.in_force(date(2024, 4, 1))] == [1]
    assert [a.version for a in agreements.in_force(date(2025, 3, 31))] == [1]
    assert [a.version for a in agreements.in_force(date(2025, 4, 1))] == [2]
    assert [a.version for a in agreements.in_force(date(2030, 1, 1))] == [2]


def test_health_gains_children_for_marac_only_once_version_2_is_in_force() -> None:
    agreements = load_agreement_set(AGREEMENTS_DIR)
    before = agreements.decide("health-ouh", "marac", "children", date(2025, 3, 31))
    after = agreements.decide("health-ouh", "marac", "children", date(2025, 4, 1))
    assert not before.allowed
    assert before.reason == (
        "withheld under thames-valley-da-isa v1: health-ouh may not read children for marac"
    )
    assert after.allowed
    assert after.reason == "shared under thames-valley-da-isa v2"


def test_version_2_names_a_partnership_wide_dpo_per_purpose(v1: Agreement, v2: Agreement) -> None:
    assert v1.partnership_wide == {}
    assert v2.partnership_wide == {
        "marac": frozenset({"marac-coord"}),
        "matac": frozenset({"tvp"}),
        "mappa": frozenset({"mappa-coord"}),
    }
