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
