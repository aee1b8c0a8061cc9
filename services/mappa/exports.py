"""CSV exports: the reviews-due (or overdue) list and the annual report figures.

Both hold structure only (references, areas, agencies, levels, dates, counts): no identity or
narrative, so nothing is decrypted. Headings and values are in words (areas and agencies by
name, statuses and figures spelt out); the JSON keeps the codes. Cells that a spreadsheet
would read as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) are
prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from services.kernel.spreadsheet import area_name, in_words

REVIEW_COLUMNS = (
    "Nominal",
    "Area",
    "Lead agency",
    "Level",
    "Review due",
    "Status",
    "Days overdue",
)
"""Headings in words; the JSON keeps the field codes."""
STATS_COLUMNS = (
    "Area",
    "Figure",
    "Period start",
    "Period end",
    "As at",
    "Category",
    "Level",
    "Count",
)
FIGURE_LABELS = {
    "as_at": "Managed on the as-at date",
    "managed_during": "Managed during the year",
}
UNASSIGNED = "Not assigned"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell as text, defused if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def reviews_csv(
    rows: Iterable[Mapping[str, Any]], agency_names: Mapping[str, str] | None = None
) -> str:
    """One line per review, in the list's order (overdue first), in words: the nominal by its
    reference (its id if registered before references), the lead agency by name."""
    names = agency_names or {}
    return _write(
        (
            (
                row.get("reference") or row["nominal_id"],
                area_name(row["area"]),
                names.get(row["lead_agency"], row["lead_agency"]),
                row["level"],
                row["due_on"],
                in_words(row["status"]),
                row["days_overdue"],
            )
            for row in rows
        ),
        REVIEW_COLUMNS,
    )


def stats_csv(stats: Mapping[str, Any]) -> str:
    """One line per area, figure and (category, level) cell, zero cells included."""
    lines = []
    for area in stats["areas"]:
        for figure in ("as_at", "managed_during"):
            for cell in area[figure]["cells"]:
                lines.append(
                    (
                        area_name(area["area"]),
                        FIGURE_LABELS[figure],
                        stats["period_start"],
                        stats["period_end"],
                        stats["as_at"],
                        UNASSIGNED if cell["category"] is None else cell["category"],
                        UNASSIGNED if cell["level"] is None else cell["level"],
                        cell["count"],
                    )
                )
    return _write(lines, STATS_COLUMNS)
