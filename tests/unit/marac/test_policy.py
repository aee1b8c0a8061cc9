"""Policy loading: the packaged default, a partnership's copy, and every kind of bad file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.marac.domain.agenda import AgendaSortKey
from services.marac.domain.criteria import CriteriaRules
from services.marac.domain.dash import DashBand, RiskLevel
from services.marac.domain.repeats import RepeatMatch
from services.marac.domain.returns import EthnicityGroup
from services.marac.policy import PolicyError, load_policy

VALID = """\
name: test-policy
areas: [oxford, milton-keynes]
dash_bands:
  - {level: standard, min: 0, max: 9}
  - {level: medium, min: 10, max: 13}
  - {level: high, min: 14, max: null}
criteria:
  visible_high_risk_threshold: 14
  escalation_incidents: 3
  escalation_window_months: 12
  repeat_window_months: 12
  repeat_match: same_victim_and_perpetrator
meetings:
  capacity: 20
  agenda_cutoff_working_days: 5
  minutes_due_working_days: 3
  agenda_order: [repeat_first, dash_desc, referral_date_asc]
extra_closure_dates: []
data_return:
  racially_minoritised_groups: [mixed, asian, black]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "marac_policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def variant(old: str, new: str) -> str:
    assert VALID.count(old) == 1, f"test setup: {old!r} must occur exactly once"
    return VALID.replace(old, new)


def error_for(tmp_path: Path, text: str) -> PolicyError:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(path) in str(raised.value)
    return raised.value


def test_packaged_default_has_the_documented_values() -> None:
    policy = load_policy()
    assert policy.name == "tandem-default-marac-1"
    assert policy.source.endswith("default_policy.yaml")
    assert policy.areas == (
        "oxford",
        "north-oxfordshire",
        "south-oxfordshire",
        "buckinghamshire",
        "milton-keynes",
        "east-berkshire",
        "reading",
        "west-berkshire",
    )
    assert policy.dash_bands == (
        DashBand(RiskLevel.STANDARD, 0, 9),
        DashBand(RiskLevel.MEDIUM, 10, 13),
        DashBand(RiskLevel.HIGH, 14, None),
    )
    assert policy.criteria == CriteriaRules(
        visible_high_risk_threshold=14,
        escalation_incidents=3,
        escalation_window_months=12,
        repeat_window_months=12,
        repeat_match=RepeatMatch.SAME_VICTIM_AND_PERPETRATOR,
    )
    assert policy.meeting_capacity == 20
    assert policy.agenda_cutoff_working_days == 5
    assert policy.minutes_due_working_days == 3
    assert policy.agenda_order == (
        AgendaSortKey.REPEAT_FIRST,
        AgendaSortKey.DASH_DESC,
        AgendaSortKey.REFERRAL_DATE_ASC,
    )
    assert policy.extra_closure_dates == frozenset()
    assert policy.racially_minoritised_groups == {
        EthnicityGroup.WHITE_GYPSY_OR_IRISH_TRAVELLER,
        EthnicityGroup.WHITE_ROMA,
        EthnicityGroup.MIXED,
        EthnicityGroup.ASIAN,
        EthnicityGroup.BLACK,
        EthnicityGroup.ARAB,
        EthnicityGroup.OTHER,
    }


def test_a_partnership_copy_with_changed_values(tmp_path: Path) -> None:
    text = variant("capacity: 20", "capacity: 16")
    text = text.replace("escalation_incidents: 3", "escalation_incidents: 4")
    text = text.replace("repeat_match: same_victim_and_perpetrator", "repeat_match: same_victim")
    text = text.replace(
        "extra_closure_dates: []", "extra_closure_dates: [2026-12-29, '2026-12-30']"
    )
    text = text.replace(
        "agenda_order: [repeat_first, dash_desc, referral_date_asc]",
        "agenda_order: [dash_desc, received_at_asc]",
    )
    text = text.replace(
        "  - {level: medium, min: 10, max: 13}\n  - {level: high, min: 14, max: null}",
        "  - {level: high, min: 10, max: null}",
    )
    text = text.replace("areas: [oxford, milton-keynes]", "areas: [cherwell]")
    policy = load_policy(write(tmp_path, text))
    assert policy.areas == ("cherwell",)
    assert policy.meeting_capacity == 16
    assert policy.criteria.escalation_incidents == 4
    assert policy.criteria.repeat_match is RepeatMatch.SAME_VICTIM
    assert policy.extra_closure_dates == {date(2026, 12, 29), date(2026, 12, 30)}
    assert policy.agenda_order == (AgendaSortKey.DASH_DESC, AgendaSortKey.RECEIVED_AT_ASC)
    assert policy.dash_bands == (
        DashBand(RiskLevel.STANDARD, 0, 9),
        DashBand(RiskLevel.HIGH, 10, None),
    )


@pytest.mark.parametrize(
    ("old", "new", "key_path", "problem"),
    [
        # unknown and missing keys
        ("capacity: 20", "capacity: 20\n  capacty: 20", "meetings.capacty", "unknown key"),
        ("name: test-policy", "name: test-policy\nrisk_bands: []", "risk_bands", "unknown key"),
        ("  escalation_incidents: 3\n", "", "criteria.escalation_incidents", "missing"),
        ("extra_closure_dates: []\n", "", "extra_closure_dates", "missing"),
        (
            "{level: medium, min: 10, max: 13}",
            "{level: medium, min: 10}",
            "dash_bands[1].max",
            "missing",
        ),
        # DASH bands
        (
            "{level: medium, min: 10, max: 13}",
            "{level: medium, min: 9, max: 13}",
            "dash_bands[1].min",
            "overlaps the previous band (0 to 9)",
        ),
        (
            "{level: medium, min: 10, max: 13}",
            "{level: medium, min: 11, max: 13}",
            "dash_bands[1].min",
            "leaves scores 10 to 10 in no band",
        ),
        (
            "{level: standard, min: 0, max: 9}",
            "{level: standard, min: -1, max: 9}",
            "dash_bands[0].min",
            "at least 0",
        ),
        (
            "{level: standard, min: 0, max: 9}",
            "{level: standard, min: 1, max: 9}",
            "dash_bands[0].min",
            "must start at 0",
        ),
        (
            "{level: medium, min: 10, max: 13}",
            "{level: medium, min: 10, max: 8}",
            "dash_bands[1].max",
            "at least the band's min (10)",
        ),
        (
            "{level: medium, min: 10, max: 13}",
            "{level: medium, min: 10, max: null}",
            "dash_bands[1].max",
            "only the last band may be open-ended",
        ),
        (
            "{level: high, min: 14, max: null}",
            "{level: high, min: 14, max: 27}",
            "dash_bands[2].max",
            "must be open-ended",
        ),
        (
            "{level: medium, min: 10, max: 13}",
            "{level: standard, min: 10, max: 13}",
            "dash_bands[1].level",
            "must rise in severity",
        ),
        (
            "{level: high, min: 14, max: null}",
            "{level: severe, min: 14, max: null}",
            "dash_bands[2].level",
            "must be one of standard, medium, high",
        ),
        (
            "{level: medium, min: 10, max: 13}",
            "{level: medium, min: '10', max: 13}",
            "dash_bands[1].min",
            "whole number",
        ),
        # criteria
        (
            "visible_high_risk_threshold: 14",
            "visible_high_risk_threshold: 0",
            "criteria.visible_high_risk_threshold",
            "at least 1",
        ),
        (
            "visible_high_risk_threshold: 14",
            "visible_high_risk_threshold: 28",
            "criteria.visible_high_risk_threshold",
            "at most 27",
        ),
        (
            "escalation_incidents: 3",
            "escalation_incidents: true",
            "criteria.escalation_incidents",
            "whole number",
        ),
        (
            "escalation_window_months: 12",
            "escalation_window_months: 1.5",
            "criteria.escalation_window_months",
            "whole number",
        ),
        (
            "repeat_window_months: 12",
            "repeat_window_months: -12",
            "criteria.repeat_window_months",
            "at least 1",
        ),
        (
            "repeat_match: same_victim_and_perpetrator",
            "repeat_match: same_perpetrator",
            "criteria.repeat_match",
            "same_victim_and_perpetrator, same_victim",
        ),
        # meetings
        ("capacity: 20", "capacity: 0", "meetings.capacity", "at least 1"),
        (
            "agenda_cutoff_working_days: 5",
            "agenda_cutoff_working_days: 0",
            "meetings.agenda_cutoff_working_days",
            "at least 1",
        ),
        (
            "minutes_due_working_days: 3",
            "minutes_due_working_days: 61",
            "meetings.minutes_due_working_days",
            "at most 60",
        ),
        (
            "[repeat_first, dash_desc, referral_date_asc]",
            "[repeat_first, dash_descending]",
            "meetings.agenda_order[1]",
            "must be one of",
        ),
        (
            "[repeat_first, dash_desc, referral_date_asc]",
            "[dash_desc, dash_desc]",
            "meetings.agenda_order[1]",
            "listed twice",
        ),
        (
            "[repeat_first, dash_desc, referral_date_asc]",
            "[]",
            "meetings.agenda_order",
            "at least one",
        ),
        (
            "agenda_order: [repeat_first, dash_desc, referral_date_asc]",
            "agenda_order: repeat_first",
            "meetings.agenda_order",
            "must be a list",
        ),
        # dates and groups
        (
            "extra_closure_dates: []",
            "extra_closure_dates: [2026-02-30]",
            "extra_closure_dates[0]",
            "YYYY-MM-DD",
        ),
        (
            "extra_closure_dates: []",
            "extra_closure_dates: [2026-12-29 10:00:00]",
            "extra_closure_dates[0]",
            "YYYY-MM-DD",
        ),
        (
            "extra_closure_dates: []",
            "extra_closure_dates: [2026-12-29, 2026-12-29]",
            "extra_closure_dates[1]",
            "listed twice",
        ),
        (
            "[mixed, asian, black]",
            "[mixed, asian, bme]",
            "data_return.racially_minoritised_groups[2]",
            "must be one of",
        ),
        # areas
        ("areas: [oxford, milton-keynes]\n", "", "areas", "missing"),
        ("[oxford, milton-keynes]", "[]", "areas", "at least one MARAC area"),
        ("[oxford, milton-keynes]", "oxford", "areas", "must be a list"),
        ("[oxford, milton-keynes]", "[oxford, Oxford]", "areas[1]", "lower-case"),
        ("[oxford, milton-keynes]", "[oxford, 'milton keynes']", "areas[1]", "hyphens"),
        ("[oxford, milton-keynes]", "[oxford, 12]", "areas[1]", "got int 12"),
        ("[oxford, milton-keynes]", "[oxford, oxford]", "areas[1]", "listed twice"),
        # shapes
        ("name: test-policy", "name: ''", "name", "non-empty string"),
    ],
)
def test_invalid_policy_names_the_key_and_the_problem(
    tmp_path: Path, old: str, new: str, key_path: str, problem: str
) -> None:
    error = error_for(tmp_path, variant(old, new))
    assert error.key_path == key_path
    assert problem in error.problem
    assert f": {error.key_path}: " in str(error)


def test_non_mapping_section(tmp_path: Path) -> None:
    text = variant("meetings:\n  capacity: 20", "meetings: 20\nx:\n  capacity: 20")
    # "x" is reported first: unknown keys are checked before sections are read.
    assert error_for(tmp_path, text).key_path == "x"
    text = variant(
        "data_return:\n  racially_minoritised_groups: [mixed, asian, black]\n",
        "data_return: [mixed]\n",
    )
    error = error_for(tmp_path, text)
    assert (error.key_path, error.problem) == (
        "data_return",
        "must be a mapping, got list ['mixed']",
    )


def test_empty_band_list(tmp_path: Path) -> None:
    text = variant(
        "dash_bands:\n  - {level: standard, min: 0, max: 9}\n"
        "  - {level: medium, min: 10, max: 13}\n  - {level: high, min: 14, max: null}\n",
        "dash_bands: []\n",
    )
    error = error_for(tmp_path, text)
    assert (error.key_path, error.problem) == ("dash_bands", "needs at least one band")


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, variant("capacity: 20", "capacity: 20\n  capacity: 30"))
    assert "given twice" in error.problem


def test_invalid_yaml(tmp_path: Path) -> None:
    error = error_for(tmp_path, "name: [unclosed\n")
    assert "not valid YAML" in error.problem


def test_empty_file_is_not_a_mapping(tmp_path: Path) -> None:
    error = error_for(tmp_path, "")
    assert (error.key_path, error.problem) == (
        "(top level)",
        "must be a mapping, got nothing (null)",
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(PolicyError, match=r"absent\.yaml: \(file\): cannot be read"):
        load_policy(path)


def test_policy_error_is_a_value_error(tmp_path: Path) -> None:
    assert isinstance(error_for(tmp_path, variant("capacity: 20", "capacity: x")), ValueError)
