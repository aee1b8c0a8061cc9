"""CSV that a spreadsheet opens safely: no cell starts a formula (OWASP "CSV injection").

A victim named ``=HYPERLINK("http://…","Click")`` in the coordinator's agenda CSV would be a
live formula in Excel. Any *text* cell starting with ``= + - @``, a tab or a carriage return
gets a leading apostrophe, which spreadsheets show as text; numbers are left alone (a negative
score change is a number, not a formula).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> Any:
    """The value, with an apostrophe before text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every text cell is defused."""

    def __init__(self, out: TextIO, **options: Any):
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([defuse(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


# -- cells in words: exports are read by people, the JSON keeps the codes --------------------


def yes_no(flag: bool | None) -> str:
    """``Yes`` / ``No``; empty when not known."""
    return "" if flag is None else ("Yes" if flag else "No")


def in_words(code: str | None) -> str:
    """A code as words: ``visible_high_risk`` → ``Visible high risk``."""
    if not code:
        return ""
    text = str(code).replace("_", " ")
    return text[:1].upper() + text[1:]


def area_name(code: str | None) -> str:
    """An area code as a name: ``thames-valley`` → ``Thames Valley``."""
    if not code:
        return ""
    return " ".join(word[:1].upper() + word[1:] for word in str(code).split("-"))
