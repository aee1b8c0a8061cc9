"""CSV exports: the reviews-due (or overdue) list and the annual report figures.

Both hold structure only (ids, areas, agency codes, levels, dates, counts): no identity or
narrative, so nothing is decrypted. Cells that a spreadsheet would read as a formula
(starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

REVIEW_COLUMNS = (
    "nominal_id",
    "area",
    "lead_agency",
    "level",
    "due_on",
    "status",
    "days_overdue",
)
STATS_COLUMNS = (
    "area",
    "figure",
    "period_start",
    "period_end",
    "as_at",
    "category",
    "level",
    "count",
)
UNASSIGNED = "unassigned"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell as text, defused if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def reviews_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """One line per review, in the list's order (overdue first)."""
    return _write(REVIEW_COLUMNS, rows)


def stats_csv(stats: Mapping[str, Any]) -> str:
    """One line per area, figure and (category, level) cell, zero cells included."""
    lines = []
    for area in stats["areas"]:
        for figure in ("as_at", "managed_during"):
            for cell in area[figure]["cells"]:
                lines.append(
                    {
                        "area": area["area"],
                        "figure": figure,
                        "period_start": stats["period_start"],
                        "period_end": stats["period_end"],
                        "as_at": stats["as_at"],
                        "category": UNASSIGNED if cell["category"] is None else cell["category"],
                        "level": UNASSIGNED if cell["level"] is None else cell["level"],
                        "count": cell["count"],
                    }
                )
    return _write(STATS_COLUMNS, lines)
