"""Blind indexes: the same person links across agencies, without identities in the clear."""

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from services.sharing.blind_index import (
    BlindIndexKey,
    classify_match,
    index_terms,
    index_terms_for_full_name,
)
from services.sharing.errors import KeyFileError

KEY = BlindIndexKey(bytes(range(32)))
JANE = index_terms(KEY, "Jane", "Smith", "1990-02-03")


def test_the_same_person_from_two_agencies_is_an_exact_match() -> None:
    from_idva = index_terms(KEY, "Jane", "Smith", date(1990, 2, 3))
    from_police = index_terms(KEY, "Jane", "Smith", "1990-02-03")
    assert classify_match(from_police, from_idva) == "exact"


def test_an_initial_and_a_misspelt_surname_is_a_near_match() -> None:
    smyth = index_terms_for_full_name(KEY, "J. Smyth", "1990-02-03")
    assert classify_match(smyth, JANE) == "near"
    assert classify_match(JANE, smyth) == "near"


def test_an_initial_with_the_right_surname_is_a_near_match() -> None:
    assert classify_match(index_terms(KEY, "J", "Smith", "1990-02-03"), JANE) == "near"


def test_a_different_date_of_birth_is_no_match() -> None:
    assert classify_match(index_terms(KEY, "Jane", "Smith", "1990-02-04"), JANE) is None


def test_a_different_person_is_no_match() -> None:
    assert classify_match(index_terms(KEY, "Mary", "Jones", "1990-02-03"), JANE) is None


@pytest.mark.parametrize(
    ("forename", "surname"),
    [
        ("JANE", "SMITH"),
        ("  jane ", "smith"),
        ("Mrs Jane", "Smith"),
        ("Jáne", "Smíth"),
        ("Jane.", "Smith,"),
    ],
)
def test_case_accents_titles_and_punctuation_normalise_equal(forename: str, surname: str) -> None:
    assert index_terms(KEY, forename, surname, "1990-02-03") == JANE


def test_hyphenated_and_spaced_double_barrelled_surnames_are_equal() -> None:
    hyphen = index_terms(KEY, "Zoë", "Smith-Jones", "1985-07-01")
    spaced = index_terms(KEY, "Zoe", "Smith Jones", "1985-07-01")
    assert classify_match(hyphen, spaced) == "exact"


def test_terms_are_hex_hmac_digests_that_depend_on_the_key() -> None:
    assert set(JANE) == {"exact", "initial_surname_dob", "phonetic_dob"}
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in JANE.values())
    assert len(set(JANE.values())) == 3  # each variant is domain-separated
    other_key = BlindIndexKey(bytes(range(1, 33)))
    other = index_terms(other_key, "Jane", "Smith", "1990-02-03")
    assert classify_match(other, JANE) is None


def test_a_known_digest() -> None:
    """HMAC-SHA256(key=00..1f, "tandem/blind/v1|exact|jane|smith|1990-02-03"), worked by hand
    with the standard library's hmac module on the written-out message."""
    assert JANE["exact"] == ("f94d1a3ab007326551606471893b6a26d6e150af3d4d70585d1aab5f9c94bfb0")


def test_a_surname_is_required() -> None:
    with pytest.raises(ValueError):
        index_terms(KEY, "Jane", " - ", "1990-02-03")


def test_the_key_file_is_created_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "blind-index.key"
    first = BlindIndexKey.from_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = BlindIndexKey.from_file(path)
    assert index_terms(first, "Jane", "Smith", "1990-02-03") == index_terms(
        second, "Jane", "Smith", "1990-02-03"
    )
    assert repr(first) == "BlindIndexKey(<secret>)"


def test_a_readable_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blind-index.key"
    BlindIndexKey.from_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match=f"chmod 600 {path}"):
        BlindIndexKey.from_file(path)


def test_keys_must_be_256_bits() -> None:
    with pytest.raises(ValueError):
        BlindIndexKey(b"short")


def test_the_name_term_ignores_case_and_titles_and_never_equals_a_matching_variant() -> None:
    from services.sharing.blind_index import name_term

    assert name_term(KEY, "Mrs JANE smith") == name_term(KEY, "Jane Smith")
    assert name_term(KEY, "Jane Smith") != name_term(KEY, "Jane Smyth")
    assert name_term(KEY, "Jane Smith") not in JANE.values()
    with pytest.raises(ValueError):
        name_term(KEY, "!!!")


def test_a_reference_term_ignores_spacing_and_case_but_not_its_kind() -> None:
    from services.sharing.blind_index import reference_term

    pnc = reference_term(KEY, "pnc_id", "02/0431123K")
    assert reference_term(KEY, "pnc_id", " 02/0431123k ") == pnc
    assert reference_term(KEY, "visor_reference", "02/0431123K") != pnc
    assert "0431123" not in pnc
    with pytest.raises(ValueError):
        reference_term(KEY, "pnc_id", "   ")
