"""Small SVG charts drawn on the server, so they need no JavaScript."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(
    points: Sequence[tuple[dt.date, float]],
    *,
    title: str,
    description: str,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """A line chart of dated values, with axes; the text alternative is the title and desc."""
    left, right, top, bottom = 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg class="tandem-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    if not points:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="16" '
            'fill="#0b0c0c">No scores to show</text></svg>'
        )
        return Markup("".join(parts))
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    ceiling = _nice_ceiling(max(v for _, v in points))

    def x(day: dt.date) -> float:
        return left + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / ceiling)

    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = ceiling * fraction
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{"#0b0c0c" if fraction == 0 else "#cecece"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y(value) + 5:.1f}" text-anchor="end" font-size="14" '
            f'fill="#0b0c0c">{value:g}</text>'
        )
    ticks = [first] if len(points) == 1 else [points[0][0], points[len(points) // 2][0], last]
    for tick in dict.fromkeys(ticks):
        anchor = "start" if tick == first else ("end" if tick == last else "middle")
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - 12}" text-anchor="{anchor}" font-size="14" '
            f'fill="#0b0c0c">{tick.day} {tick:%b %Y}</text>'
        )
    path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
    parts.append(
        f'<polyline points="{path}" fill="none" stroke="#1d70b8" stroke-width="3" '
        'stroke-linejoin="round"/>'
    )
    for day, value in points:
        parts.append(
            f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="4" fill="#1d70b8">'
            f"<title>{day.isoformat()}: {value:g}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
