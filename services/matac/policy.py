"""The MATAC RFG(S) policy: every threshold, band, weight and harm value, loaded from YAML.

The forces' point tables are not published, so the numbers are a partnership's choice.
They live in a policy file (the packaged `default_policy.yaml` unless a partnership
supplies its own) and are validated strictly: a mistyped key, a gap between bands or a
negative weight is an error naming the file and the key path, never a silent default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

DEFAULT_POLICY_FILE = "default_policy.yaml"
NON_CRIME = "non_crime"
"""Category that scores an incident recorded with no offence category."""

_T = TypeVar("_T")
_CATEGORY_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class PolicyError(ValueError):
    """A policy file is unreadable or breaks a rule; the message names file, key and problem."""


@dataclass(frozen=True)
class RecencyBand:
    """Applies when the months since the latest incident are above the previous band's
    maximum and at most `max_months` (None: no upper limit)."""

    max_months: int | None
    points: int


@dataclass(frozen=True)
class FrequencyBand:
    """Applies when the incident count is in `min_incidents..max_incidents` inclusive
    (max None: no upper limit)."""

    min_incidents: int
    max_incidents: int | None
    points: int


@dataclass(frozen=True)
class GravityBand:
    """Applies when summed harm is above the previous band's maximum and at most
    `max_harm` (None: no upper limit)."""

    max_harm: Decimal | None
    points: int


@dataclass(frozen=True)
class Weights:
    """How R, F and G combine, and how much each extra victim multiplies the score."""

    recency: Decimal
    frequency: Decimal
    gravity: Decimal
    per_extra_victim: Decimal
    victims_cap: int


@dataclass(frozen=True)
class MatacPolicy:
    """A validated RFG(S) policy. `source` is the file it came from, for audit."""

    name: str
    source: str
    minimum_age: int
    lookback_months: int
    serial_window_months: int
    serial_minimum_victims: int
    recency_bands: tuple[RecencyBand, ...]
    frequency_bands: tuple[FrequencyBand, ...]
    gravity_bands: tuple[GravityBand, ...]
    harm_points: Mapping[str, Decimal]
    weights: Weights
    default_top_n: int


def known_offence_categories(policy: MatacPolicy) -> frozenset[str]:
    """The offence category codes the policy can score; any other code is a data error."""
    return frozenset(policy.harm_points)


def load_policy(path: Path | None = None) -> MatacPolicy:
    """Read and validate a policy file; None means the default shipped with the package."""
    if path is None:
        packaged = resources.files(__package__).joinpath(DEFAULT_POLICY_FILE)
        source, text = str(packaged), packaged.read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise PolicyError(f"{source}: cannot read policy file: {error}") from error
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # _StrictLoader is a SafeLoader
    except yaml.YAMLError as error:
        raise PolicyError(f"{source}: not valid YAML: {error}") from error
    return policy_from_mapping(data, source)


def policy_from_mapping(data: Any, source: str) -> MatacPolicy:
    """Validate already-parsed policy data; `source` names it in error messages."""
    read = _Reader(source)
    top = read.mapping(
        data,
        "",
        (
            "name",
            "population",
            "serial",
            "recency_bands",
            "frequency_bands",
            "gravity_bands",
            "harm_points",
            "weights",
            "ranking",
        ),
    )
    name = top["name"]
    if not isinstance(name, str) or not name.strip():
        raise read.error("name", "must be a non-empty string")
    population = read.mapping(top["population"], "population", ("minimum_age", "lookback_months"))
    serial = read.mapping(top["serial"], "serial", ("window_months", "minimum_victims"))
    lookback_months = read.integer(
        population["lookback_months"], "population.lookback_months", minimum=1
    )
    weights = read.mapping(
        top["weights"],
        "weights",
        ("recency", "frequency", "gravity", "per_extra_victim", "victims_cap"),
    )
    ranking = read.mapping(top["ranking"], "ranking", ("default_top_n",))
    return MatacPolicy(
        name=name,
        source=source,
        minimum_age=read.integer(population["minimum_age"], "population.minimum_age", minimum=0),
        lookback_months=lookback_months,
        serial_window_months=read.integer(
            serial["window_months"], "serial.window_months", minimum=1
        ),
        serial_minimum_victims=read.integer(
            serial["minimum_victims"], "serial.minimum_victims", minimum=1
        ),
        recency_bands=_recency_bands(read, top["recency_bands"], lookback_months),
        frequency_bands=_frequency_bands(read, top["frequency_bands"]),
        gravity_bands=_gravity_bands(read, top["gravity_bands"]),
        harm_points=_harm_points(read, top["harm_points"]),
        weights=Weights(
            recency=read.number(weights["recency"], "weights.recency"),
            frequency=read.number(weights["frequency"], "weights.frequency"),
            gravity=read.number(weights["gravity"], "weights.gravity"),
            per_extra_victim=read.number(weights["per_extra_victim"], "weights.per_extra_victim"),
            victims_cap=read.integer(weights["victims_cap"], "weights.victims_cap", minimum=1),
        ),
        default_top_n=read.integer(ranking["default_top_n"], "ranking.default_top_n", minimum=1),
    )


def _recency_bands(read: _Reader, data: Any, lookback_months: int) -> tuple[RecencyBand, ...]:
    """Upper limits strictly increasing; together they must cover the look-back window."""
    bands = tuple(
        RecencyBand(
            max_months=read.optional(
                row["max_months"],
                f"{path}.max_months",
                lambda value, where: read.integer(value, where, minimum=0),
            ),
            points=read.integer(row["points"], f"{path}.points", minimum=0),
        )
        for path, row in read.band_rows(data, "recency_bands", ("max_months", "points"))
    )
    limits = [band.max_months for band in bands]
    _check_upper_limits(read, "recency_bands", "max_months", limits)
    last = limits[-1]
    if last is not None and last < lookback_months:
        raise read.error(
            f"recency_bands[{len(bands) - 1}].max_months",
            f"the bands end at {last} months but the look-back window is "
            f"{lookback_months} months; every counted incident needs a band",
        )
    return bands


def _frequency_bands(read: _Reader, data: Any) -> tuple[FrequencyBand, ...]:
    """Inclusive ranges from 1 with no gap or overlap, ending open so every count has a band."""
    bands: list[FrequencyBand] = []
    rows = read.band_rows(data, "frequency_bands", ("min_incidents", "max_incidents", "points"))
    for index, (path, row) in enumerate(rows):
        low = read.integer(row["min_incidents"], f"{path}.min_incidents", minimum=1)
        high = read.optional(
            row["max_incidents"],
            f"{path}.max_incidents",
            lambda value, where: read.integer(value, where, minimum=1),
        )
        points = read.integer(row["points"], f"{path}.points", minimum=0)
        previous_high = bands[-1].max_incidents if bands else 0
        assert previous_high is not None  # an open band before this one was rejected below
        if not bands and low != 1:
            raise read.error(
                f"{path}.min_incidents",
                f"must be 1 (the first band starts at one incident), got {low}",
            )
        if low <= previous_high:
            raise read.error(
                f"{path}.min_incidents",
                f"{low} overlaps the previous band, which ends at {previous_high}",
            )
        if low > previous_high + 1:
            raise read.error(
                f"{path}.min_incidents", f"gap: counts {previous_high + 1}..{low - 1} have no band"
            )
        if high is not None and high < low:
            raise read.error(
                f"{path}.max_incidents", f"{high} is below min_incidents {low} of the same band"
            )
        if high is None and index != len(rows) - 1:
            raise read.error(f"{path}.max_incidents", "only the last band may be open-ended")
        bands.append(FrequencyBand(min_incidents=low, max_incidents=high, points=points))
    if bands[-1].max_incidents is not None:
        raise read.error(
            f"frequency_bands[{len(bands) - 1}].max_incidents",
            "the last band must be open-ended (null) so every incident count has a band",
        )
    return tuple(bands)


def _gravity_bands(read: _Reader, data: Any) -> tuple[GravityBand, ...]:
    """Upper limits strictly increasing, ending open so every harm total has a band."""
    bands = tuple(
        GravityBand(
            max_harm=read.optional(row["max_harm"], f"{path}.max_harm", read.number),
            points=read.integer(row["points"], f"{path}.points", minimum=0),
        )
        for path, row in read.band_rows(data, "gravity_bands", ("max_harm", "points"))
    )
    _check_upper_limits(read, "gravity_bands", "max_harm", [band.max_harm for band in bands])
    if bands[-1].max_harm is not None:
        raise read.error(
            f"gravity_bands[{len(bands) - 1}].max_harm",
            "the last band must be open-ended (null) so every harm total has a band",
        )
    return bands


def _check_upper_limits(
    read: _Reader, key: str, field: str, limits: list[int | None] | list[Decimal | None]
) -> None:
    """Upper-limit bands are contiguous by construction; they overlap if a limit fails to rise."""
    for index, limit in enumerate(limits):
        if limit is None and index != len(limits) - 1:
            raise read.error(f"{key}[{index}].{field}", "only the last band may be open-ended")
        if index == 0 or limit is None:
            continue
        previous = limits[index - 1]
        assert previous is not None  # an open band before this one was rejected above
        if limit <= previous:
            raise read.error(
                f"{key}[{index}].{field}",
                f"{limit} must be greater than the previous band's {previous} "
                "(thresholds must strictly increase; bands would overlap)",
            )


def _harm_points(read: _Reader, data: Any) -> Mapping[str, Decimal]:
    if not isinstance(data, Mapping) or not data:
        raise read.error("harm_points", "must be a non-empty mapping of category code to points")
    table: dict[str, Decimal] = {}
    for code, points in data.items():
        if not isinstance(code, str) or not _CATEGORY_CODE.match(code):
            raise read.error(
                f"harm_points.{code}",
                "category codes must be lower-case letters, digits and underscores",
            )
        table[code] = read.number(points, f"harm_points.{code}")
    if NON_CRIME not in table:
        raise read.error(
            f"harm_points.{NON_CRIME}",
            "is required: it scores incidents recorded with no offence category",
        )
    return MappingProxyType(table)


class _Reader:
    """Typed access to parsed YAML that reports problems with the file and key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, path: str, problem: str) -> PolicyError:
        return PolicyError(f"{self.source}: {path or '(top level)'}: {problem}")

    def mapping(self, data: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
        """A mapping with exactly `keys`: missing ones and unknown ones are both errors."""
        if not isinstance(data, Mapping):
            raise self.error(path, f"must be a mapping with keys {', '.join(keys)}")
        prefix = f"{path}." if path else ""
        unknown = [str(key) for key in data if key not in keys]
        if unknown:
            raise self.error(
                f"{prefix}{unknown[0]}", f"unknown key (allowed here: {', '.join(keys)})"
            )
        missing = [key for key in keys if key not in data]
        if missing:
            raise self.error(f"{prefix}{missing[0]}", "required key is missing")
        return data

    def band_rows(
        self, data: Any, key: str, fields: tuple[str, ...]
    ) -> list[tuple[str, Mapping[str, Any]]]:
        if not isinstance(data, list) or not data:
            raise self.error(key, "must be a non-empty list of bands")
        return [
            (f"{key}[{index}]", self.mapping(row, f"{key}[{index}]", fields))
            for index, row in enumerate(data)
        ]

    def integer(self, value: Any, path: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"must be a whole number, got {value!r}")
        if value < minimum:
            raise self.error(path, f"must be at least {minimum}, got {value}")
        return value

    def number(self, value: Any, path: str) -> Decimal:
        """A non-negative finite number, held as an exact Decimal of what the file says."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(path, f"must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(path, f"must be a finite number, got {value!r}")
        if value < 0:
            raise self.error(path, f"must not be negative, got {value}")
        return Decimal(str(value))

    def optional(self, value: Any, path: str, read: Callable[[Any, str], _T]) -> _T | None:
        """None stands for an open-ended limit; anything else must pass `read`."""
        return None if value is None else read(value, path)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loading that rejects duplicate keys, which would otherwise win silently."""


def _construct_mapping_without_duplicates(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, str | int | float | bool | None) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        if isinstance(key, str | int | float | bool | None):
            seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)
