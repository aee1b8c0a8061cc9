"""CSV exports of the MATAC ranking, a perpetrator profile and a score history.

Built from the same response models as the JSON, so a CSV never shows more than the JSON
would: a withheld name is an empty cell with its status beside it, never a token.
Text cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from services.intake.models import ProtectedText
from services.matac.models import HistoryOut, ProfileOut, RankingOut

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return _text(";".join(str(item) for item in value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _text(str(value))


def _text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _protected(value: ProtectedText | None) -> tuple[str, str]:
    """(value, status): the value only when shown; status none when nothing is recorded."""
    if value is None:
        return "", "none"
    return ("" if value.value is None else value.value), value.status


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(item) for item in row])
    return out.getvalue()


RANKING_COLUMNS = (
    "area",
    "rank",
    "person_id",
    "name",
    "name_status",
    "score",
    "recency",
    "frequency",
    "gravity",
    "victims",
    "serial",
    "nominated",
    "in_cohort",
    "latest_incident_on",
    "incident_count",
    "total_harm",
    "as_of",
    "policy",
)


def ranking_csv(ranking: RankingOut) -> str:
    def rows():
        for row in ranking.rows:
            name, status = _protected(row.name)
            yield (
                row.area,
                row.rank,
                row.person_id,
                name,
                status,
                row.score,
                row.recency,
                row.frequency,
                row.gravity,
                row.victims,
                row.serial,
                row.nominated,
                row.in_cohort,
                row.latest_incident_on,
                row.incident_count,
                row.total_harm,
                ranking.as_of,
                ranking.policy,
            )

    return _write(RANKING_COLUMNS, rows())


PROFILE_COLUMNS = (
    "person_id",
    "name",
    "name_status",
    "as_of",
    "area",
    "rank",
    "in_population",
    "exclusion",
    "nominated",
    "in_cohort",
    "score",
    "recency",
    "frequency",
    "gravity",
    "victims",
    "serial",
    "incident_id",
    "occurred_on",
    "incident_area",
    "counted",
    "counted_reason",
    "most_serious_offence",
    "harm_points",
    "victim_ids",
)


def profile_csv(profile: ProfileOut) -> str:
    """One row per incident behind the score, the perpetrator's columns repeated on each."""
    name, status = _protected(profile.name)
    score = profile.score
    person = (
        profile.person_id,
        name,
        status,
        profile.as_of,
        profile.area,
        profile.rank,
        profile.in_population,
        profile.exclusion,
        profile.nominated,
        profile.in_cohort,
        score.score,
        score.recency,
        score.frequency,
        score.gravity,
        score.victims,
        score.serial,
    )
    incidents = [
        (
            i.incident_id,
            i.occurred_on,
            i.area,
            i.counted,
            i.reason,
            i.most_serious_offence,
            i.harm_points,
            i.victim_ids,
        )
        for i in score.incidents
    ] or [("",) * 8]
    return _write(PROFILE_COLUMNS, (person + incident for incident in incidents))


def history_csv(history: HistoryOut) -> str:
    return _write(
        ("person_id", "date", "score"),
        ((history.person_id, point.date, point.score) for point in history.points),
    )
