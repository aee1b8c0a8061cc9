"""CSV cells a spreadsheet would evaluate are defused."""

from __future__ import annotations

import csv
import io

import pytest

from services.kernel.spreadsheet import SafeWriter, defuse


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_starts_a_formula_is_shown_as_text(start):
    assert defuse(f'{start}HYPERLINK("http://x","y")') == f'\'{start}HYPERLINK("http://x","y")'


def test_numbers_and_plain_text_are_left_alone():
    assert defuse(-3) == -3
    assert defuse(2.5) == 2.5
    assert defuse("Jane Smith") == "Jane Smith"
    assert defuse("") == ""
    assert defuse(None) is None


def test_the_writer_defuses_every_text_cell():
    out = io.StringIO()
    SafeWriter(out).writerow(["=cmd|' /C calc'!A0", 4, "ok", "@SUM(A1)"])
    [row] = list(csv.reader(io.StringIO(out.getvalue())))
    assert row == ["'=cmd|' /C calc'!A0", "4", "ok", "'@SUM(A1)"]
