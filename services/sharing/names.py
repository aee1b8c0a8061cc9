"""Name normalisation and phonetic coding for person matching.

Agencies spell the same person differently: case, accents, titles, punctuation,
hyphenated surnames, initials. Normalising first means those differences do not stop
an exact match; Soundex lets a misspelt surname still surface as a near match.
"""

import unicodedata
from typing import NamedTuple

TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "master", "dr", "prof", "professor", "sir", "dame"}
    | {"lady", "lord", "rev", "revd", "reverend"}
)
SURNAME_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "dos", "das"}
    | {"la", "le", "st", "bin", "ibn", "al", "el", "ap"}
)
_APOSTROPHES = frozenset("'\u2019\u2018\u02bc`")  # O'Brien and O\u2019Brien both become obrien
_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


class NameParts(NamedTuple):
    """A name split for indexing; forename may be empty, surname may not."""

    forename: str
    surname: str


def normalise_name(text: str) -> str:
    """Casefolded, accents stripped, apostrophes dropped, other punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    characters = []
    for character in decomposed:
        if unicodedata.combining(character) or character in _APOSTROPHES:
            continue
        is_word_character = unicodedata.category(character)[0] in "LN"
        characters.append(character if is_word_character else " ")
    return " ".join("".join(characters).split())


def normalise_forename(text: str) -> str:
    """A normalised forename without leading titles (`Mrs Jane` -> `jane`)."""
    words = normalise_name(text).split()
    while len(words) > 1 and words[0] in TITLES:
        words.pop(0)
    if len(words) == 1 and words[0] in TITLES:
        return ""
    return " ".join(words)


def split_full_name(full_name: str) -> NameParts:
    """Split `J. Smyth`, `Mrs Jane Anne Smith`, `Anna van der Berg` or `Smith, Jane`.

    Everything before the surname is the forename (middle names included); surname
    particles such as `van der` stay with the surname. Spelling is kept as given.
    """
    if "," in full_name:
        surname, _, forename = full_name.partition(",")
        words = _without_titles(forename.split())
        if not surname.strip():
            raise ValueError(f"no surname in {full_name!r}")
        return NameParts(" ".join(words), " ".join(surname.split()))
    words = _without_titles(full_name.split())
    if not words:
        raise ValueError(f"no name in {full_name!r}")
    start = len(words) - 1
    while start > 1 and normalise_name(words[start - 1]) in SURNAME_PARTICLES:
        start -= 1
    return NameParts(" ".join(words[:start]), " ".join(words[start:]))


def soundex(surname: str) -> str:
    """American Soundex (`Smith` and `Smyth` -> `S530`); empty when there are no letters."""
    letters = [c for c in normalise_name(surname) if "a" <= c <= "z"]
    if not letters:
        return ""
    code = letters[0].upper()
    previous = _SOUNDEX_CODES.get(letters[0], "")
    for letter in letters[1:]:
        if letter in "hw":
            continue  # h and w do not separate letters with the same code
        digit = _SOUNDEX_CODES.get(letter, "")
        if digit and digit != previous:
            code += digit
            if len(code) == 4:
                break
        previous = digit  # a vowel resets, so repeated codes either side both count
    return code.ljust(4, "0")


def _without_titles(words: list[str]) -> list[str]:
    words = list(words)
    while len(words) > 1 and normalise_name(words[0]) in TITLES:
        words.pop(0)
    return words
