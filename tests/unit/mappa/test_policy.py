import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.mappa.domain.policy_model import IntervalUnit, ReviewInterval
from services.mappa.policy import PolicyError, load_policy, parse_policy

VALID: dict[str, Any] = {
    "review_intervals": {
        "level_1": {"months": 12},
        "level_2": {"weeks": 16},
        "level_3": {"weeks": 8},
    },
    "category_4_enabled": False,
    "due_soon_horizon_days": 28,
    "responsible_authority_agency_types": ["police", "probation", "prisons"],
    "reporting_year_start_month": 4,
}


def with_change(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def without(path: tuple[str, ...]) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mappa_policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_default_has_the_documented_values() -> None:
    policy = load_policy()
    assert policy.review_intervals.level_1 == ReviewInterval(12, IntervalUnit.MONTHS)
    assert policy.review_intervals.level_2 == ReviewInterval(16, IntervalUnit.WEEKS)
    assert policy.review_intervals.level_3 == ReviewInterval(8, IntervalUnit.WEEKS)
    assert policy.category_4_enabled is False
    assert policy.due_soon_horizon_days == 28
    assert policy.responsible_authority_agency_types == ("police", "probation", "prisons")
    assert policy.reporting_year_start_month == 4


def test_a_partnership_file_overrides_the_defaults(tmp_path: Path) -> None:
    data = with_change(("review_intervals", "level_1"), {"weeks": 52})
    data["category_4_enabled"] = True
    data["due_soon_horizon_days"] = 0
    policy = load_policy(write(tmp_path, yaml.safe_dump(data)))
    assert policy.review_intervals.level_1 == ReviewInterval(52, IntervalUnit.WEEKS)
    assert policy.category_4_enabled is True
    assert policy.due_soon_horizon_days == 0


def test_responsible_authority_membership() -> None:
    policy = parse_policy(VALID, "test")
    assert policy.is_responsible_authority("prisons") is True
    assert policy.is_responsible_authority("housing") is False


@pytest.mark.parametrize(
    ("data", "key_path", "problem"),
    [
        (with_change(("review_interval",), {}), "review_interval", "unknown key"),
        (without(("due_soon_horizon_days",)), "due_soon_horizon_days", "required key is missing"),
        (
            with_change(("review_intervals", "level_4"), {"weeks": 4}),
            "review_intervals.level_4",
            "unknown key",
        ),
        (
            without(("review_intervals", "level_2")),
            "review_intervals.level_2",
            "required key is missing",
        ),
        (with_change(("review_intervals",), [8, 16]), "review_intervals", "expected a mapping"),
        (
            with_change(("review_intervals", "level_2"), {"weeks": 16, "months": 4}),
            "review_intervals.level_2",
            "exactly one of weeks, months",
        ),
        (
            with_change(("review_intervals", "level_2"), {}),
            "review_intervals.level_2",
            "exactly one of weeks, months",
        ),
        (
            with_change(("review_intervals", "level_3"), {"days": 56}),
            "review_intervals.level_3.days",
            "unknown key",
        ),
        (
            with_change(("review_intervals", "level_3"), 8),
            "review_intervals.level_3",
            "expected a mapping",
        ),
        (
            with_change(("review_intervals", "level_3"), {"weeks": 0}),
            "review_intervals.level_3.weeks",
            "must be at least 1",
        ),
        (
            with_change(("review_intervals", "level_3"), {"weeks": "8"}),
            "review_intervals.level_3.weeks",
            "expected a whole number",
        ),
        (
            with_change(("review_intervals", "level_3"), {"weeks": True}),
            "review_intervals.level_3.weeks",
            "expected a whole number",
        ),
        (
            with_change(("review_intervals", "level_1"), {"months": 12.5}),
            "review_intervals.level_1.months",
            "expected a whole number",
        ),
        (with_change(("category_4_enabled",), "no"), "category_4_enabled", "expected true or"),
        (with_change(("category_4_enabled",), 0), "category_4_enabled", "expected true or"),
        (with_change(("due_soon_horizon_days",), -1), "due_soon_horizon_days", "at least 0"),
        (
            with_change(("responsible_authority_agency_types",), "police"),
            "responsible_authority_agency_types",
            "expected a list",
        ),
        (
            with_change(("responsible_authority_agency_types",), []),
            "responsible_authority_agency_types",
            "at least one",
        ),
        (
            with_change(("responsible_authority_agency_types",), ["police", " "]),
            "responsible_authority_agency_types[1]",
            "non-blank",
        ),
        (
            with_change(("responsible_authority_agency_types",), ["police", "probation", "police"]),
            "responsible_authority_agency_types[2]",
            "listed twice",
        ),
        (with_change(("reporting_year_start_month",), 0), "reporting_year_start_month", "1 to 12"),
        (with_change(("reporting_year_start_month",), 13), "reporting_year_start_month", "1 to 12"),
        (["not", "a", "mapping"], "<root>", "expected a mapping"),
        (None, "<root>", "expected a mapping"),
    ],
)
def test_invalid_policy_names_file_key_and_problem(
    tmp_path: Path, data: Any, key_path: str, problem: str
) -> None:
    path = write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.source == str(path)
    assert caught.value.key_path == key_path
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}: {key_path}: ")


@pytest.mark.parametrize("month", [1, 12])
def test_reporting_year_start_month_bounds_are_accepted(month: int) -> None:
    policy = parse_policy(with_change(("reporting_year_start_month",), month), "test")
    assert policy.reporting_year_start_month == month


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


def test_duplicated_key_is_refused_with_its_path(tmp_path: Path) -> None:
    text = """\
review_intervals:
  level_1: {months: 12}
  level_2: {weeks: 16}
  level_2: {weeks: 12}
  level_3: {weeks: 8}
category_4_enabled: false
due_soon_horizon_days: 28
responsible_authority_agency_types: [police, probation, prisons]
reporting_year_start_month: 4
"""
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.key_path == "review_intervals.level_2"
    assert "more than once (line 4)" in caught.value.problem


def test_broken_yaml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "review_intervals: [unclosed\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.key_path == "<root>"
    assert "not valid YAML" in caught.value.problem


def test_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}: <root>: cannot read the file")


def test_recursive_yaml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "review_intervals: &loop [*loop]\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.key_path == "<root>"
