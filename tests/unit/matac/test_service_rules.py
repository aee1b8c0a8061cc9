"""The service-side pure pieces: ages from recorded ages, intake checks, status sequence, CSV."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from services.intake.models import ProtectedText
from services.matac.commands import FieldProblem, RuleViolation, check_incident, check_status_change
from services.matac.domain.model import Nomination, Status, StatusChange
from services.matac.exports import history_csv, ranking_csv
from services.matac.models import HistoryOut, HistoryPoint, IncidentIn, RankingOut
from services.matac.policy import load_policy
from services.matac.queries import (
    NominationRecord,
    PerpetratorFacts,
    latest_birth_date,
    youngest_age,
)

POLICY = load_policy()
TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("occurred_on", "age", "expected"),
    [
        (date(2026, 2, 20), 34, date(1992, 2, 20)),
        (date(2024, 2, 29), 16, date(2008, 2, 29)),  # leap year to leap year
        (date(2024, 2, 29), 15, date(2009, 2, 28)),  # born 28 Feb: 15 by 29 Feb
        (date(2026, 1, 10), 0, date(2026, 1, 10)),
    ],
)
def test_latest_birth_date(occurred_on, age, expected):
    assert latest_birth_date(occurred_on, age) == expected


def test_latest_birth_date_refuses_negative_age():
    with pytest.raises(ValueError, match="must not be negative"):
        latest_birth_date(date(2026, 1, 1), -1)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2027, 1, 9), 15),  # aged 15 on 10 Jan 2026: sixteen at the latest on 10 Jan 2027
        (date(2027, 1, 10), 16),
        (date(2010, 1, 1), 0),  # before the latest possible birth date
    ],
)
def test_youngest_age_is_never_rounded_up(on, expected):
    assert youngest_age(latest_birth_date(date(2026, 1, 10), 15), on) == expected


def _record(event_id: str, on: date, area: str, agency: str = "housing-oxford"):
    return NominationRecord(
        event_id=event_id,
        person_id="p-1",
        area=area,
        agency=agency,
        nominated_on=on,
        recorded_at=datetime(2026, 1, 1),
        payload={},
    )


def test_facts_use_the_latest_nomination_made_by_the_as_of_date():
    facts = PerpetratorFacts(
        person_id="p-1",
        born_on_or_before=date(1990, 1, 1),
        name_event_id=None,
        nominations=(
            _record("e1", date(2026, 1, 5), "oxford"),
            _record("e2", date(2026, 2, 5), "reading", "idva-oxon"),
        ),
    )
    assert facts.perpetrator(date(2026, 1, 4)).nomination is None
    assert facts.perpetrator(date(2026, 1, 20)).nomination == Nomination(
        date(2026, 1, 5), "housing-oxford", "oxford", ""
    )
    assert facts.perpetrator(date(2026, 3, 1)).nomination.area == "reading"
    assert facts.perpetrator(date(2026, 3, 1)).age == 36


def test_facts_without_any_age_give_no_perpetrator():
    facts = PerpetratorFacts(person_id="p-1", born_on_or_before=None, name_event_id=None)
    assert facts.age_on(TODAY) is None
    assert facts.perpetrator(TODAY) is None


# -- intake checks -----------------------------------------------------------------------------


def _incident(**changes) -> IncidentIn:
    body = {
        "incident_id": "INC-1",
        "occurred_on": "2026-02-20",
        "policing_area": "oxford",
        "is_crime": True,
        "offence_categories": ["abh"],
        "suspect": {"person_id": "p-s", "date_of_birth": "1991-08-14"},
        "victims": [{"person_id": "p-v"}],
    }
    body.update(changes)
    return IncidentIn.model_validate(body)


def test_check_incident_gives_the_age_on_the_incident_date():
    assert check_incident(_incident(), POLICY, TODAY) == 34
    assert check_incident(_incident(suspect={"person_id": "p-s", "age": 40}), POLICY, TODAY) == 40


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"occurred_on": "2026-03-03"}, "occurred_on", "2026-03-03 is after today (2026-03-02)"),
        (
            {"offence_categories": ["abh", "burglary"]},
            "offence_categories[1]",
            "unknown offence category 'burglary'",
        ),
        (
            {"suspect": {"person_id": "p-s", "date_of_birth": "2026-02-21"}},
            "suspect.date_of_birth",
            "after the incident date",
        ),
        (
            {"suspect": {"person_id": "p-s", "date_of_birth": "1991-08-14", "age": 30}},
            "suspect.age",
            "30 disagrees with the date of birth, which gives 34",
        ),
        ({"victims": [{"person_id": "p-s"}]}, "victims[0].person_id", "is the suspect"),
        (
            {"victims": [{"person_id": "p-v"}, {"person_id": "p-v"}]},
            "victims[1].person_id",
            "repeats victims[0]",
        ),
        (
            {
                "victims": [
                    {"name": "Jane Price", "date_of_birth": "1993-02-11"},
                    {"name": "JANE  price", "date_of_birth": "1993-02-11"},
                ]
            },
            "victims[1]",
            "repeats victims[0]",
        ),
    ],
)
def test_check_incident_names_the_bad_field(changes, field, message):
    with pytest.raises(FieldProblem) as refused:
        check_incident(_incident(**changes), POLICY, TODAY)
    assert refused.value.field == field
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("suspect", "message"),
    [
        ({"name": "Darren Price"}, "give the suspect's person_id, or their name and date_of_birth"),
        ({"person_id": "p-s"}, "give the suspect's date_of_birth or age"),
    ],
)
def test_a_suspect_must_be_identified_and_aged(suspect, message):
    with pytest.raises(ValueError, match=message):
        _incident(suspect=suspect)


# -- status sequence ---------------------------------------------------------------------------


def _changes(*pairs: tuple[str, Status]) -> tuple[StatusChange, ...]:
    return tuple(StatusChange(date.fromisoformat(on), status) for on, status in pairs)


@pytest.mark.parametrize(
    ("existing", "status", "on", "rule"),
    [
        ((), Status.RELEASED, "2026-03-01", "not_in_custody"),
        ((), Status.RETURNED, "2026-03-01", "not_left_area"),
        ((("2026-01-01", Status.CUSTODY),), Status.CUSTODY, "2026-03-01", "already_custody"),
        ((("2026-01-01", Status.DECEASED),), Status.RETURNED, "2026-03-01", "deceased_is_final"),
        (
            (("2026-01-01", Status.CUSTODY), ("2026-02-01", Status.RELEASED)),
            Status.RELEASED,
            "2026-03-01",
            "not_in_custody",
        ),
    ],
)
def test_status_changes_that_contradict_the_record_are_refused(existing, status, on, rule):
    with pytest.raises(RuleViolation) as refused:
        check_status_change(_changes(*existing), status, date.fromisoformat(on))
    assert refused.value.rule == rule


@pytest.mark.parametrize(
    ("existing", "status", "on"),
    [
        ((), Status.CUSTODY, "2026-03-01"),
        ((("2026-01-01", Status.CUSTODY),), Status.RELEASED, "2026-03-01"),
        ((("2026-01-01", Status.LEFT_AREA),), Status.RETURNED, "2026-03-01"),
        # in custody and away from the area at once
        ((("2026-01-01", Status.CUSTODY),), Status.LEFT_AREA, "2026-03-01"),
    ],
)
def test_status_changes_that_follow_the_record_are_accepted(existing, status, on):
    check_status_change(_changes(*existing), status, date.fromisoformat(on))


# -- CSV ---------------------------------------------------------------------------------------


def _ranking(name: ProtectedText | None) -> RankingOut:
    explanation = {
        "as_of": "2026-03-02",
        "policy": "p",
        "window_start": "2024-03-02",
        "serial_window_start": "2023-03-02",
        "score": 8,
        "base": 8,
        "recency": 5,
        "frequency": 1,
        "gravity": 1,
        "recency_band": None,
        "frequency_band": None,
        "gravity_band": None,
        "incident_count": 1,
        "total_harm": 1,
        "latest_incident_on": "2026-02-27",
        "area": "oxford",
        "victims": 1,
        "victims_counted": 1,
        "multiplier": 1,
        "serial": False,
        "serial_victims": 1,
        "incidents": [],
    }
    return RankingOut.model_validate(
        {
            "as_of": "2026-03-02",
            "area": "oxford",
            "top": 3,
            "policy": "tandem-default-rfgs-1",
            "unranked": [],
            "rows": [
                {
                    "rank": 1,
                    "person_id": "p-c",
                    "name": name,
                    "area": "oxford",
                    "score": 16.25,
                    "recency": 5,
                    "frequency": 1,
                    "gravity": 1,
                    "victims": 1,
                    "serial": False,
                    "nominated": True,
                    "in_cohort": False,
                    "latest_incident_on": "2026-02-27",
                    "incident_count": 1,
                    "total_harm": 1,
                    "explanation": explanation,
                }
            ],
        }
    )


def test_ranking_csv_keeps_a_withheld_name_out_and_says_so():
    withheld = ProtectedText(
        status="withheld", data_class="perpetrator.identity", reason="withheld under x"
    )
    lines = ranking_csv(_ranking(withheld)).splitlines()
    assert lines[0].startswith("Area,Rank,Person id,Name,Name shown,Score,")
    assert lines[1] == (
        "Oxford,1,p-c,,Withheld,16.25,5,1,1,1,No,Yes,No,2026-02-27,1,1,"
        "2026-03-02,tandem-default-rfgs-1"
    )


def test_csv_text_cells_cannot_run_as_spreadsheet_formulas():
    shown = ProtectedText(
        status="shown", data_class="perpetrator.identity", value='=HYPERLINK("http://x")'
    )
    row = ranking_csv(_ranking(shown)).splitlines()[1]
    assert "'=HYPERLINK" in row


def test_history_csv_numbers():
    history = HistoryOut(
        person_id="p-a",
        start=date(2026, 1, 1),
        end=date(2026, 1, 2),
        step_days=1,
        points=[
            HistoryPoint(date=date(2026, 1, 1), score=float(Decimal("16.25"))),
            HistoryPoint(date=date(2026, 1, 2), score=20.0),
        ],
    )
    assert history_csv(history) == (
        "Person id,Date,Score\r\np-a,2026-01-01,16.25\r\np-a,2026-01-02,20\r\n"
    )
