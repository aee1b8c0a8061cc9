"""Name normalisation, splitting and Soundex."""

import pytest

from services.sharing.names import (
    NameParts,
    normalise_forename,
    normalise_name,
    soundex,
    split_full_name,
)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Jane", "jane"),
        ("  JANE   ", "jane"),
        ("Zoë", "zoe"),
        ("Siobhán", "siobhan"),
        ("Łukasz", "łukasz"),  # no decomposition exists: kept, just lower-cased
        ("Straße", "strasse"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("Smith-Jones", "smith jones"),
        ("Smith\u2013Jones", "smith jones"),
        ("Smith  Jones", "smith jones"),
        ("J.", "j"),
        ("J.R.", "j r"),
    ],
)
def test_normalise_name(raw: str, normalised: str) -> None:
    assert normalise_name(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Mrs Jane", "jane"),
        ("MRS. JANE", "jane"),
        ("Dr Jane Anne", "jane anne"),
        ("Ms", ""),
        ("Jane", "jane"),
    ],
)
def test_normalise_forename_drops_titles(raw: str, normalised: str) -> None:
    assert normalise_forename(raw) == normalised


@pytest.mark.parametrize(
    ("full_name", "parts"),
    [
        ("Jane Smith", NameParts("Jane", "Smith")),
        ("J. Smyth", NameParts("J.", "Smyth")),
        ("Jane Anne Smith", NameParts("Jane Anne", "Smith")),
        ("Mrs Jane Smith", NameParts("Jane", "Smith")),
        ("Dr. Jane Smith-Jones", NameParts("Jane", "Smith-Jones")),
        ("Anna van der Berg", NameParts("Anna", "van der Berg")),
        ("Smith, Jane Anne", NameParts("Jane Anne", "Smith")),
        ("Smith", NameParts("", "Smith")),
        ("  Jane   Smith  ", NameParts("Jane", "Smith")),
    ],
)
def test_split_full_name(full_name: str, parts: NameParts) -> None:
    assert split_full_name(full_name) == parts


def test_an_empty_name_cannot_be_split() -> None:
    with pytest.raises(ValueError):
        split_full_name("   ")


@pytest.mark.parametrize(
    ("surname", "code"),
    [
        ("Robert", "R163"),
        ("Rupert", "R163"),
        ("Rubin", "R150"),
        ("Ashcraft", "A261"),  # h does not separate s and c
        ("Ashcroft", "A261"),
        ("Tymczak", "T522"),  # a vowel does separate z and k
        ("Pfister", "P236"),  # f has the first letter's code
        ("Honeyman", "H555"),
        ("Smith", "S530"),
        ("Smyth", "S530"),
        ("Lee", "L000"),
        ("O'Brien", "O165"),
        ("Müller", "M460"),
        ("", ""),
    ],
)
def test_soundex(surname: str, code: str) -> None:
    assert soundex(surname) == code
