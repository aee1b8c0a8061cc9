"""A broken agreement is refused with the file, the line to fix and the reason."""

from pathlib import Path

import pytest

from services.sharing.agreements import (
    AgreementError,
    load_agreement,
    load_agreement_set,
    parse_agreement,
)

# A trimmed copy of the shipped example. Line numbers are on the right.
BASE = """\
id: thames-valley-da-isa
version: 1
effective_from: 2024-04-01
review_date: 2025-03-31
classification: OFFICIAL-SENSITIVE
retention:
  marac: {months: 72}
purposes:
  marac:
    lawful_basis:
      - UK GDPR Art. 6(1)(e) public task
parties:
  - agency: tvp
    name: Thames Valley Police
    type: police
    may_read:
      marac: [victim.identity, risk.narrative, referrer.contact]
  - agency: housing-oxford
    name: Oxford City Council housing services
    type: housing
    may_read:
      marac:
        - victim.address
        - referrer.contact
"""


def broken(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def test_the_base_copy_is_valid() -> None:
    agreement = parse_agreement(BASE, "base.yaml")
    assert agreement.may_read("housing-oxford", "marac", "victim.address")
    assert not agreement.may_read("housing-oxford", "marac", "victim.identity")
    assert agreement.source == "base.yaml"


CASES = [
    pytest.param(
        broken("version: 1", "version: one"),
        2,
        "version must be a whole number, not 'one'",
        id="version-not-a-number",
    ),
    pytest.param(
        broken("version: 1", "version: 0"), 2, "version must be at least 1, not 0", id="version-0"
    ),
    pytest.param(
        broken("effective_from: 2024-04-01", "effective_from: 2024-13-01"),
        3,
        "effective_from must be a date like 2025-04-01, not '2024-13-01'",
        id="impossible-date",
    ),
    pytest.param(
        broken("review_date: 2025-03-31\n", ""),
        1,
        "agreement: missing key 'review_date'",
        id="missing-top-level-key",
    ),
    pytest.param(
        broken("review_date:", "reveiw_date:"),
        4,
        "agreement: unknown key 'reveiw_date'",
        id="misspelt-top-level-key",
    ),
    pytest.param(
        broken("classification: OFFICIAL-SENSITIVE", "classification: SECRET"),
        5,
        "unknown classification 'SECRET'",
        id="classification",
    ),
    pytest.param(
        broken("  marac: {months: 72}\n", "  marac: {months: 72}\n  mappa: {months: 120}\n"),
        8,
        "retention: 'mappa' is not one of the agreement's purposes",
        id="retention-for-undeclared-purpose",
    ),
    pytest.param(
        broken("    type: housing", "    type: housin"),
        20,
        "unknown party type 'housin'",
        id="unknown-party-type",
    ),
    pytest.param(
        broken("        - victim.address", "        - victim.adress"),
        23,
        "unknown data class 'victim.adress' in party 'housing-oxford': may_read for marac",
        id="unknown-data-class",
    ),
    pytest.param(
        broken("        - referrer.contact", "        - victim.address"),
        24,
        "data class 'victim.address' listed twice",
        id="data-class-twice",
    ),
    pytest.param(
        broken("  - agency: housing-oxford", "  - agency: tvp"),
        18,
        "duplicate agency 'tvp' (first at line 13)",
        id="duplicate-agency",
    ),
    pytest.param(
        broken("    name: Oxford City Council housing services\n", ""),
        18,
        "party: missing key 'name'",
        id="party-missing-name",
    ),
    pytest.param(
        broken("    type: police\n", "    type: police\n    colour: blue\n"),
        16,
        "party: unknown key 'colour'",
        id="party-unknown-key",
    ),
    pytest.param(
        broken(
            "      marac: [victim.identity, risk.narrative, referrer.contact]\n",
            "      marac: [victim.identity, risk.narrative, referrer.contact]\n"
            "      matac: [risk.narrative]\n",
        ),
        18,
        "party 'tvp': may_read: 'matac' is not one of the agreement's purposes",
        id="reads-for-undeclared-purpose",
    ),
    pytest.param(
        broken("version: 1\n", "version: 1\nversion: 2\n"),
        3,
        "agreement: key 'version' repeated (first at line 2)",
        id="repeated-key",
    ),
    pytest.param(
        broken(
            "effective_from: 2024-04-01\n", "effective_from: 2024-04-01\neffective_to: 2023-01-01\n"
        ),
        4,
        "effective_to is before effective_from",
        id="ends-before-it-starts",
    ),
    pytest.param(
        broken("  - agency: tvp", "  - agency: TVP"),
        13,
        "agency 'TVP' must be lowercase letters, digits and hyphens",
        id="agency-id-not-a-slug",
    ),
    pytest.param(
        broken(
            "    lawful_basis:\n      - UK GDPR Art. 6(1)(e) public task\n",
            "    lawful_basis: []\n",
        ),
        10,
        "purpose 'marac': lawful_basis must name at least one",
        id="no-lawful-basis",
    ),
    pytest.param(
        broken("classification: OFFICIAL-SENSITIVE", "classification: OFFICIAL: SENSITIVE"),
        5,
        "not valid YAML",
        id="yaml-syntax",
    ),
    pytest.param(
        broken("  marac:\n    lawful_basis:", "  marec:\n    lawful_basis:"),
        9,
        "unknown purpose 'marec' (expected one of: marac, matac, mappa)",
        id="unknown-purpose",
    ),
    pytest.param("", 1, "the file is empty", id="empty"),
]


@pytest.mark.parametrize(("text", "line", "reason"), CASES)
def test_broken_copies_report_the_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(AgreementError) as raised:
        parse_agreement(text, "agreements/broken.yaml")
    error = raised.value
    assert (error.source, error.line) == ("agreements/broken.yaml", line), str(error)
    assert reason in error.reason
    assert str(error).startswith(f"agreements/broken.yaml:{line}: ")


def test_loading_a_directory_names_the_broken_file(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "v1.yaml").write_text(BASE)
    bad = tmp_path / "bad" / "v1.yaml"
    bad.parent.mkdir()
    bad.write_text(broken("    type: housing", "    type: landlord"))
    with pytest.raises(AgreementError) as raised:
        load_agreement_set(tmp_path)
    assert str(raised.value) == f"{bad}:20: unknown party type 'landlord' (expected one of: " + (
        "police, idva, housing, health, csc, probation, prisons, education, coordinator)"
    )


def test_two_files_with_the_same_id_and_version_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yml").write_text(BASE)
    with pytest.raises(AgreementError) as raised:
        load_agreement_set(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path / 'b.yml'}: agreement thames-valley-da-isa v1 is also defined in "
        f"{tmp_path / 'a.yaml'}"
    )


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AgreementError, match="agreements directory not found"):
        load_agreement_set(tmp_path / "nowhere")


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "v1.yaml"
    path.write_bytes(BASE.encode("utf-8").replace(b"Thames Valley Police", b"Thames \xff Police"))
    with pytest.raises(AgreementError, match="not UTF-8 text"):
        load_agreement(path)


def with_data_protection(block: str) -> str:
    return BASE.replace("purposes:\n", block + "purposes:\n", 1)


def test_an_agreement_without_data_protection_names_no_one_partnership_wide() -> None:
    assert parse_agreement(BASE).partnership_wide == {}  # older versions keep loading


def test_data_protection_names_partnership_wide_parties_per_purpose() -> None:
    text = with_data_protection("data_protection:\n  partnership_wide:\n    marac: [tvp]\n")
    agreement = parse_agreement(text)
    assert agreement.partnership_wide == {"marac": frozenset({"tvp"})}


@pytest.mark.parametrize(
    ("block", "line", "reason"),
    [
        (
            "data_protection:\n  partnership_wide:\n    marac: [acme]\n",
            10,
            "data_protection: partnership_wide: 'acme' is not a party to the agreement",
        ),
        (
            "data_protection:\n  partnership_wide:\n    mappa: [tvp]\n",
            10,
            "data_protection: partnership_wide: 'mappa' is not one of the agreement's purposes",
        ),
        (
            "data_protection:\n  everyone: yes\n",
            9,
            "data_protection: unknown key 'everyone' (allowed: partnership_wide)",
        ),
    ],
    ids=["not-a-party", "not-a-purpose", "unknown-key"],
)
def test_a_broken_data_protection_block_names_the_line(block: str, line: int, reason: str) -> None:
    with pytest.raises(AgreementError) as error:
        parse_agreement(with_data_protection(block), "isa.yaml")
    assert (error.value.line, error.value.reason) == (line, reason)


def test_originator_reads_own_is_off_unless_the_agreement_says_so() -> None:
    assert parse_agreement(BASE).originator_reads_own is False
    text = BASE.replace("purposes:\n", "originator_reads_own: true\npurposes:\n", 1)
    assert parse_agreement(text).originator_reads_own is True


def test_originator_reads_own_must_be_true_or_false() -> None:
    text = BASE.replace("purposes:\n", "originator_reads_own: sometimes\npurposes:\n", 1)
    with pytest.raises(AgreementError) as error:
        parse_agreement(text, "isa.yaml")
    assert (error.value.line, error.value.reason) == (
        8,
        "originator_reads_own must be true or false, not 'sometimes'",
    )
