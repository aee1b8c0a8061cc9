import copy
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import services.matac
from services.matac.domain.scoring import score_perpetrator
from services.matac.policy import (
    FrequencyBand,
    GravityBand,
    PolicyError,
    RecencyBand,
    Weights,
    known_offence_categories,
    load_policy,
)
from tests.unit.matac.factories import incident

PACKAGED = Path(services.matac.__file__).parent / "default_policy.yaml"
DEFAULT_DATA = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "partnership_policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error_for(tmp_path: Path, change) -> tuple[Path, str]:
    data = copy.deepcopy(DEFAULT_DATA)
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return path, str(caught.value)


def test_packaged_default_values():
    policy = load_policy()
    assert policy.source.endswith("default_policy.yaml")
    assert (policy.name, policy.minimum_age, policy.lookback_months) == (
        "tandem-default-rfgs-1",
        16,
        24,
    )
    assert (policy.serial_window_months, policy.serial_minimum_victims) == (36, 2)
    assert policy.default_top_n == 10
    assert policy.recency_bands == (
        RecencyBand(1, 5),
        RecencyBand(3, 4),
        RecencyBand(6, 3),
        RecencyBand(12, 2),
        RecencyBand(24, 1),
    )
    assert policy.frequency_bands == (
        FrequencyBand(1, 1, 1),
        FrequencyBand(2, 2, 2),
        FrequencyBand(3, 4, 3),
        FrequencyBand(5, 7, 4),
        FrequencyBand(8, None, 5),
    )
    assert policy.gravity_bands == (
        GravityBand(Decimal(2), 1),
        GravityBand(Decimal(5), 2),
        GravityBand(Decimal(10), 3),
        GravityBand(Decimal(20), 4),
        GravityBand(None, 5),
    )
    assert policy.weights == Weights(
        recency=Decimal(1),
        frequency=Decimal(1),
        gravity=Decimal(2),
        per_extra_victim=Decimal("0.25"),
        victims_cap=5,
    )


def test_known_offence_categories():
    assert known_offence_categories(load_policy()) == frozenset(
        {
            "non_crime",
            "criminal_damage",
            "harassment",
            "common_assault",
            "breach_of_order_or_bail",
            "stalking",
            "coercive_control",
            "threats_to_kill",
            "abh",
            "non_fatal_strangulation",
            "wounding_gbh",
            "sexual_assault",
            "rape",
            "attempted_murder",
        }
    )


def test_harm_table_cannot_be_changed_after_loading():
    with pytest.raises(TypeError):
        load_policy().harm_points["rape"] = Decimal(1)  # type: ignore[index]


def test_a_partnership_file_changes_the_scoring(tmp_path):
    data = copy.deepcopy(DEFAULT_DATA)
    data["weights"]["per_extra_victim"] = 0.1
    data["harm_points"]["cchi_common_assault"] = 0.5
    path = _write(tmp_path, data)
    policy = load_policy(path)
    assert policy.source == str(path)
    assert policy.harm_points["cchi_common_assault"] == Decimal("0.5")
    record = incident("I1", date(2024, 6, 15), victims=("V1", "V2", "V3"))
    score = score_perpetrator([record], policy, date(2024, 6, 15))
    # 5 + 1 + 2*1 = 8; three victims at 0.1 each extra: x1.2 = 9.6 exactly.
    assert score.multiplier == Decimal("1.2")
    assert score.total == Decimal("9.6")


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(data):
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _delete(*keys):
    def change(data):
        target = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _set("frequency_bands", 2, "min_incidents", 2),
            "frequency_bands[2].min_incidents: 2 overlaps the previous band, which ends at 2",
            id="frequency-overlap",
        ),
        pytest.param(
            _set("frequency_bands", 3, "min_incidents", 6),
            "frequency_bands[3].min_incidents: gap: counts 5..5 have no band",
            id="frequency-gap",
        ),
        pytest.param(
            _set("frequency_bands", 0, "min_incidents", 2),
            "frequency_bands[0].min_incidents: must be 1 (the first band starts at one "
            "incident), got 2",
            id="frequency-first-not-one",
        ),
        pytest.param(
            _set("frequency_bands", 2, "max_incidents", 2),
            "frequency_bands[2].max_incidents: 2 is below min_incidents 3 of the same band",
            id="frequency-inverted",
        ),
        pytest.param(
            _set("frequency_bands", 1, "max_incidents", None),
            "frequency_bands[1].max_incidents: only the last band may be open-ended",
            id="frequency-open-in-middle",
        ),
        pytest.param(
            _set("frequency_bands", 4, "max_incidents", 99),
            "frequency_bands[4].max_incidents: the last band must be open-ended (null) so "
            "every incident count has a band",
            id="frequency-closed-end",
        ),
        pytest.param(
            _set("recency_bands", 2, "max_months", 3),
            "recency_bands[2].max_months: 3 must be greater than the previous band's 3 "
            "(thresholds must strictly increase; bands would overlap)",
            id="recency-not-increasing",
        ),
        pytest.param(
            _set("recency_bands", 4, "max_months", 18),
            "recency_bands[4].max_months: the bands end at 18 months but the look-back "
            "window is 24 months; every counted incident needs a band",
            id="recency-short-of-window",
        ),
        pytest.param(
            _set("recency_bands", 2, "points", -3),
            "recency_bands[2].points: must be at least 0, got -3",
            id="negative-band-points",
        ),
        pytest.param(
            _set("gravity_bands", 1, "max_harm", 1),
            "gravity_bands[1].max_harm: 1 must be greater than the previous band's 2 "
            "(thresholds must strictly increase; bands would overlap)",
            id="gravity-decreasing",
        ),
        pytest.param(
            _set("gravity_bands", 4, "max_harm", 40),
            "gravity_bands[4].max_harm: the last band must be open-ended (null) so every "
            "harm total has a band",
            id="gravity-closed-end",
        ),
        pytest.param(
            _set("gravity_bands", []),
            "gravity_bands: must be a non-empty list of bands",
            id="gravity-empty",
        ),
        pytest.param(
            _set("weights", "gravity", -2),
            "weights.gravity: must not be negative, got -2",
            id="negative-weight",
        ),
        pytest.param(
            _set("weights", "recency", "1"),
            "weights.recency: must be a number, got '1'",
            id="weight-as-text",
        ),
        pytest.param(
            _set("weights", "per_extra_victim", float("inf")),
            "weights.per_extra_victim: must be a finite number, got inf",
            id="infinite-weight",
        ),
        pytest.param(
            _set("weights", "victims_cap", 0),
            "weights.victims_cap: must be at least 1, got 0",
            id="victims-cap-zero",
        ),
        pytest.param(
            _set("harm_points", "rape", -10),
            "harm_points.rape: must not be negative, got -10",
            id="negative-harm",
        ),
        pytest.param(
            _set("harm_points", "Rape ", 10),
            "harm_points.Rape : category codes must be lower-case letters, digits and underscores",
            id="bad-category-code",
        ),
        pytest.param(
            _delete("harm_points", "non_crime"),
            "harm_points.non_crime: is required: it scores incidents recorded with no "
            "offence category",
            id="no-non-crime",
        ),
        pytest.param(
            _set("lookback_month", 24),
            "lookback_month: unknown key (allowed here: name, population, serial, "
            "recency_bands, frequency_bands, gravity_bands, harm_points, weights, ranking)",
            id="unknown-top-level-key",
        ),
        pytest.param(
            _set("population", "minimum_agee", 16),
            "population.minimum_agee: unknown key (allowed here: minimum_age, lookback_months)",
            id="unknown-nested-key",
        ),
        pytest.param(
            _set("recency_bands", 0, "max_month", 1),
            "recency_bands[0].max_month: unknown key (allowed here: max_months, points)",
            id="unknown-band-key",
        ),
        pytest.param(
            _delete("weights", "victims_cap"),
            "weights.victims_cap: required key is missing",
            id="missing-key",
        ),
        pytest.param(
            _set("population", "minimum_age", True),
            "population.minimum_age: must be a whole number, got True",
            id="bool-as-integer",
        ),
        pytest.param(
            _set("population", "lookback_months", 24.5),
            "population.lookback_months: must be a whole number, got 24.5",
            id="fractional-months",
        ),
        pytest.param(
            _set("serial", "window_months", 0),
            "serial.window_months: must be at least 1, got 0",
            id="serial-window-zero",
        ),
        pytest.param(
            _set("ranking", "default_top_n", 0),
            "ranking.default_top_n: must be at least 1, got 0",
            id="top-n-zero",
        ),
        pytest.param(_set("name", " "), "name: must be a non-empty string", id="blank-name"),
    ],
)
def test_invalid_policy_names_file_key_and_problem(tmp_path, change, expected):
    path, message = _error_for(tmp_path, change)
    assert message == f"{path}: {expected}"


def test_policy_error_is_a_value_error():
    assert issubclass(PolicyError, ValueError)


def test_top_level_must_be_a_mapping(tmp_path):
    path = _write(tmp_path, [1, 2])
    with pytest.raises(PolicyError, match=r"\(top level\): must be a mapping"):
        load_policy(path)


def test_duplicate_key_is_rejected_rather_than_silently_overwritten(tmp_path):
    path = tmp_path / "dup.yaml"
    text = PACKAGED.read_text(encoding="utf-8").replace(
        "  minimum_age: 16\n", "  minimum_age: 16\n  minimum_age: 12\n"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        PolicyError, match=rf"^{path}: not valid YAML: .*duplicate key 'minimum_age'"
    ):
        load_policy(path)


def test_unparsable_and_missing_files(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"^{broken}: not valid YAML"):
        load_policy(broken)
    missing = tmp_path / "missing.yaml"
    with pytest.raises(PolicyError, match=rf"^{missing}: cannot read policy file"):
        load_policy(missing)
