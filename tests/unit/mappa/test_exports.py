"""CSV exports: exact text, and cells a spreadsheet would evaluate are defused."""

from datetime import date

from services.mappa.exports import reviews_csv, safe_cell, stats_csv


def test_reviews_csv_is_exact():
    rows = [
        {
            "nominal_id": "N1",
            "area": "thames-valley",
            "lead_agency": "tvp",
            "level": 3,
            "due_on": date(2026, 4, 27),
            "status": "overdue",
            "days_overdue": 15,
        }
    ]
    assert reviews_csv(rows) == (
        "nominal_id,area,lead_agency,level,due_on,status,days_overdue\r\n"
        "N1,thames-valley,tvp,3,2026-04-27,overdue,15\r\n"
    )


def test_formula_cells_are_defused():
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@sum") == "'@sum"
    assert safe_cell(None) == ""
    assert safe_cell(0) == "0"


def test_stats_csv_names_unassigned_cells():
    report = {
        "period_start": date(2025, 4, 1),
        "period_end": date(2026, 3, 31),
        "as_at": date(2026, 3, 31),
        "areas": [
            {
                "area": "north",
                "as_at": {"cells": [{"category": 2, "level": None, "count": 1}]},
                "managed_during": {"cells": [{"category": None, "level": 1, "count": 2}]},
            }
        ],
    }
    assert stats_csv(report).split("\r\n") == [
        "area,figure,period_start,period_end,as_at,category,level,count",
        "north,as_at,2025-04-01,2026-03-31,2026-03-31,2,unassigned,1",
        "north,managed_during,2025-04-01,2026-03-31,2026-03-31,unassigned,1,2",
        "",
    ]
