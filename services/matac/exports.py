"""CSV exports of the MATAC ranking, a perpetrator profile and a score history.

Built from the same response models as the JSON, so a CSV never shows more than the JSON
would: a withheld name is an empty cell with its status beside it, never a token.
Text cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
Headings and values are in words (Yes/No, areas and offences by name, "Withheld"); the JSON
keeps the codes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from services.intake.models import ProtectedText
from services.kernel.spreadsheet import area_name, in_words, yes_no
from services.matac.models import HistoryOut, ProfileOut, RankingOut

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
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


NAME_STATUS = {
    "shown": "Shown",
    "withheld": "Withheld",
    "erased": "Erased",
    "none": "Not recorded",
}
OFFENCE_LABELS = {
    "non_crime": "Non-crime incident",
    "breach_of_order_or_bail": "Breach of an order or bail",
    "coercive_control": "Controlling or coercive behaviour",
    "abh": "Assault occasioning actual bodily harm",
    "non_fatal_strangulation": "Non-fatal strangulation",
    "wounding_gbh": "Wounding or grievous bodily harm",
}
"""Offence categories in words, for the pages and the CSVs alike; others as their code in words."""


def offence_label(code: str | None) -> str:
    return OFFENCE_LABELS.get(code or "", in_words(code or ""))


def _protected(value: ProtectedText | None) -> tuple[str, str]:
    """(value, status in words): the value only when shown."""
    if value is None:
        return "", NAME_STATUS["none"]
    return ("" if value.value is None else value.value), NAME_STATUS.get(
        value.status, in_words(value.status)
    )


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(item) for item in row])
    return out.getvalue()


RANKING_COLUMNS = (
    "Area",
    "Rank",
    "Person id",
    "Name",
    "Name shown",
    "Score",
    "Recency",
    "Frequency",
    "Gravity",
    "Victims",
    "Serial",
    "Nominated",
    "In cohort",
    "Latest incident",
    "Incidents",
    "Total harm",
    "As of",
    "Policy",
)


def ranking_csv(ranking: RankingOut) -> str:
    def rows():
        for row in ranking.rows:
            name, status = _protected(row.name)
            yield (
                area_name(row.area),
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
    "Person id",
    "Name",
    "Name shown",
    "As of",
    "Area",
    "Rank",
    "In population",
    "Not ranked because",
    "Nominated",
    "In cohort",
    "Score",
    "Recency",
    "Frequency",
    "Gravity",
    "Victims",
    "Serial",
    "Incident",
    "Occurred on",
    "Incident area",
    "Counted",
    "Why",
    "Most serious offence",
    "Harm points",
    "Victim ids",
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
        area_name(profile.area),
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
            area_name(i.area),
            i.counted,
            i.reason,
            offence_label(i.most_serious_offence),
            i.harm_points,
            i.victim_ids,
        )
        for i in score.incidents
    ] or [("",) * 8]
    return _write(PROFILE_COLUMNS, (person + incident for incident in incidents))


def history_csv(history: HistoryOut) -> str:
    return _write(
        ("Person id", "Date", "Score"),
        ((history.person_id, point.date, point.score) for point in history.points),
    )
