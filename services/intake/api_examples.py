"""Examples in the API reference that work as shown, on a demo stack.

The request examples name things by id (a perpetrator, a case, a meeting, a nominal). Those
ids are the placeholders below. ``tandem up --demo`` records which demo record stands for each
placeholder (``<data dir>/demo-examples.json``), and the reference that stack serves names the
demo's own ids instead, with the examples' dates moved by whole weeks to the demo's today
(weekdays kept, dates of birth untouched). So "Try it out" in /docs works verbatim there, and
a test posts every example to a demo stack to keep it so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

PERPETRATOR_ID = "p-3f2a9c1b7e4d"
"""A perpetrator MATAC knows (the demo's Mark Demo)."""
ERASED_SUBJECT_ID = "p-8d41c0e27a95"
"""A victim an IDVA referred, whose data a DPO erases (the demo's Grace Demo)."""
CASE_ID = "c-17aa0469c0"
REFERRAL_ID = "r-5b0e6f1d2c"
MEETING_ID = "m-35c12b812c"
ACTION_ID = "a-9e2d4c7b10"
NOMINAL_ID = "mappa-3f2a9c1b7e4d"
MATCH_PROPOSAL_ID = "pm-0c9b8a7d6e5f"

PLACEHOLDERS = (
    PERPETRATOR_ID,
    ERASED_SUBJECT_ID,
    CASE_ID,
    REFERRAL_ID,
    MEETING_ID,
    ACTION_ID,
    NOMINAL_ID,
    MATCH_PROPOSAL_ID,
)

EXAMPLES_AS_OF = dt.date(2026, 12, 3)
"""The day the examples' dates were written for, a Thursday. The example meeting is five weeks
on, after the demo's own (three weeks on), so it does not take the demo's cases from it."""

EXAMPLE_NOMINAL_REGISTERED_ON = dt.date(2026, 1, 5)
"""When the examples' nominal was registered: before the category, level and review examples."""

DEMO_EXAMPLES_FILE = "demo-examples.json"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def record_demo_ids(data_dir: Path, ids: dict[str, str]) -> None:
    """Which demo record stands for each placeholder; only placeholders are accepted."""
    unknown = set(ids) - set(PLACEHOLDERS)
    if unknown:
        raise ValueError(f"not example placeholders: {sorted(unknown)}")
    (data_dir / DEMO_EXAMPLES_FILE).write_text(json.dumps(ids, indent=2, sort_keys=True) + "\n")


def demo_ids(data_dir: Path) -> dict[str, str]:
    """The recorded demo ids, or nothing when this stack was not seeded with demo data."""
    path = data_dir / DEMO_EXAMPLES_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def whole_weeks_between(start: dt.date, end: dt.date) -> dt.timedelta:
    """The multiple of seven days nearest to end - start: moving by it keeps the weekday."""
    return dt.timedelta(days=7 * round((end - start).days / 7))


def example_date(day: dt.date, today: dt.date) -> dt.date:
    """An example's date as a demo stack running on ``today`` shows it."""
    return day + whole_weeks_between(EXAMPLES_AS_OF, today)


def for_demo(spec: dict[str, Any], ids: dict[str, str], today: dt.date) -> dict[str, Any]:
    """The OpenAPI document with its examples naming the demo's records and dates."""

    def value(item: Any, key: str | None) -> Any:
        if isinstance(item, dict):
            return {k: value(v, k) for k, v in item.items()}
        if isinstance(item, list):
            return [value(v, key) for v in item]
        if isinstance(item, str):
            if item in ids:
                return ids[item]
            if _ISO_DATE.match(item) and not (key and "birth" in key):
                return example_date(dt.date.fromisoformat(item), today).isoformat()
        return item

    def walk(node: Any, field: str | None = None) -> Any:
        """Through the document; ``field`` is the property a schema describes, if any."""
        if isinstance(node, dict):
            return {
                k: value(v, field)
                if k in ("example", "examples")
                else {name: walk(schema, name) for name, schema in v.items()}
                if k == "properties" and isinstance(v, dict)
                else walk(v, field if k in ("anyOf", "allOf", "oneOf", "items") else None)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, field) for v in node]
        return node

    return walk(spec)
