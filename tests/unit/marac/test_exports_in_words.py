"""The quarterly return CSV in words a partnership reads: no field codes, no ids."""

from __future__ import annotations

import csv
import datetime as dt
import io

from services.kernel.spreadsheet import area_name, in_words, yes_no
from services.marac.domain.returns import (
    AgencyCounts,
    QuarterlyReturn,
    ReturnRow,
    parse_quarter,
)
from services.marac.exports import quarter_in_words, quarterly_return_csv


def _row(meeting_id: str | None, day: dt.date | None) -> ReturnRow:
    return ReturnRow(
        meeting_id=meeting_id,
        meeting_date=day,
        cases_discussed=2,
        repeat_cases=1,
        referrals_by_agency=AgencyCounts(police=1, idva=1),
        victims_racially_minoritised=0,
        victims_lgbt=0,
        victims_disabled=0,
        victims_male=0,
        victims_aged_16_17=0,
        children_in_households=3,
        perpetrators_aged_17_or_under=0,
    )


def test_the_quarterly_return_has_headings_in_words_and_names_meetings_by_date() -> None:
    day = dt.date(2026, 8, 6)
    result = QuarterlyReturn(
        marac_id="north-oxfordshire",
        quarter=parse_quarter("2026Q3"),
        rows=(_row("m-0123456789", day),),
        total=_row(None, None),
    )
    text = quarterly_return_csv(result, "2026Q3")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Meeting date"] for r in rows] == ["2026-08-06", "Total"]
    assert rows[0]["MARAC"] == "North Oxfordshire"
    assert rows[0]["Quarter"] == "July to September 2026"
    assert rows[0]["Referrals from the police"] == "1"
    assert rows[0]["Children in the households"] == "3"
    assert "m-0123456789" not in text
    assert not any("_" in heading for heading in rows[0])


def test_codes_become_words() -> None:
    assert (yes_no(True), yes_no(False), yes_no(None)) == ("Yes", "No", "")
    assert in_words("visible_high_risk") == "Visible high risk"
    assert area_name("milton-keynes") == "Milton Keynes"
    assert quarter_in_words("2026Q1") == "January to March 2026"
    assert quarter_in_words("nonsense") == "nonsense"
