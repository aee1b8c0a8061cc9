"""CSV exports: exact text, and cells a spreadsheet would evaluate are defused."""

from datetime import date

from services.mappa.exports import reviews_csv, safe_cell, stats_csv


def test_reviews_csv_is_in_words():
    rows = [
        {
            "nominal_id": "mappa-3f2a9c1b7e4d",
            "reference": "TV-M-2026-0007",
            "area": "thames-valley",
            "lead_agency": "tvp",
            "level": 3,
            "due_on": date(2026, 4, 27),
            "status": "overdue",
            "days_overdue": 15,
        },
        {  # registered before references: its id stands in
            "nominal_id": "N1",
            "area": "hampshire",
            "lead_agency": "unknown-agency",
            "level": None,
            "due_on": date(2026, 5, 1),
            "status": "due",
            "days_overdue": 0,
        },
    ]
    assert reviews_csv(rows, {"tvp": "Thames Valley Police"}) == (
        "Nominal,Area,Lead agency,Level,Review due,Status,Days overdue\r\n"
        "TV-M-2026-0007,Thames Valley,Thames Valley Police,3,2026-04-27,Overdue,15\r\n"
        "N1,Hampshire,unknown-agency,,2026-05-01,Due,0\r\n"
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
        "Area,Figure,Period start,Period end,As at,Category,Level,Count",
        "North,Managed on the as-at date,2025-04-01,2026-03-31,2026-03-31,2,Not assigned,1",
        "North,Managed during the year,2025-04-01,2026-03-31,2026-03-31,Not assigned,1,2",
        "",
    ]
