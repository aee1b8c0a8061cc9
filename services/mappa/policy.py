"""Load and validate the MAPPA policy file.

The packaged ``default_policy.yaml`` holds the defaults; a partnership supplies its own
copy to change them. Validation is strict so a typo can never fall back to a default
unnoticed: every key is required, unknown and duplicated keys are errors, and each error
names the file, the key path (e.g. ``review_intervals.level_2``) and what is wrong.
"""

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from services.mappa.domain.policy_model import (
    IntervalUnit,
    MappaPolicy,
    ReviewInterval,
    ReviewIntervals,
)

__all__ = ["MappaPolicy", "PolicyError", "load_policy", "parse_policy"]

DEFAULT_POLICY_FILE = "default_policy.yaml"
ROOT = "<root>"

_TOP_LEVEL_KEYS = (
    "review_intervals",
    "category_4_enabled",
    "due_soon_horizon_days",
    "responsible_authority_agency_types",
    "reporting_year_start_month",
)
_LEVEL_KEYS = ("level_1", "level_2", "level_3")


class PolicyError(ValueError):
    """A policy file that cannot be used, with where and why."""

    def __init__(self, source: str, key_path: str, problem: str) -> None:
        super().__init__(f"{source}: {key_path}: {problem}")
        self.source = source
        self.key_path = key_path
        self.problem = problem


def load_policy(path: Path | None = None) -> MappaPolicy:
    """Read and validate a policy file; ``None`` means the packaged default."""
    target = (
        resources.files("services.mappa").joinpath(DEFAULT_POLICY_FILE)
        if path is None
        else Path(path)
    )
    source = str(target)
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(source, ROOT, f"cannot read the file ({error})") from error
    try:
        duplicate = _first_duplicate_key(yaml.compose(text, Loader=yaml.SafeLoader))
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyError(source, ROOT, f"not valid YAML ({error})") from error
    except RecursionError as error:
        raise PolicyError(source, ROOT, "recursive or too deeply nested YAML") from error
    if duplicate is not None:
        raise PolicyError(source, *duplicate)
    return parse_policy(data, source)


def parse_policy(data: object, source: str) -> MappaPolicy:
    """Validate already-parsed YAML data; ``source`` names it in error messages."""
    top = _mapping(data, source, ROOT, _TOP_LEVEL_KEYS)
    return MappaPolicy(
        review_intervals=_review_intervals(top["review_intervals"], source),
        category_4_enabled=_boolean(top["category_4_enabled"], source, "category_4_enabled"),
        due_soon_horizon_days=_integer(
            top["due_soon_horizon_days"], source, "due_soon_horizon_days", minimum=0
        ),
        responsible_authority_agency_types=_agency_types(
            top["responsible_authority_agency_types"], source
        ),
        reporting_year_start_month=_integer(
            top["reporting_year_start_month"],
            source,
            "reporting_year_start_month",
            minimum=1,
            maximum=12,
        ),
    )


def _review_intervals(value: object, source: str) -> ReviewIntervals:
    levels = _mapping(value, source, "review_intervals", _LEVEL_KEYS)
    intervals = {
        key: _interval(levels[key], source, f"review_intervals.{key}") for key in _LEVEL_KEYS
    }
    return ReviewIntervals(**intervals)


def _interval(value: object, source: str, key_path: str) -> ReviewInterval:
    units = tuple(unit.value for unit in IntervalUnit)
    if not isinstance(value, Mapping):
        raise PolicyError(
            source, key_path, f"expected a mapping with one of {_listing(units)}, got {value!r}"
        )
    unknown = sorted(str(key) for key in value if key not in units)
    if unknown:
        raise PolicyError(
            source,
            f"{key_path}.{unknown[0]}",
            f"unknown key (expected one of {_listing(units)})",
        )
    if len(value) != 1:
        raise PolicyError(
            source, key_path, f"give exactly one of {_listing(units)}, not {len(value)}"
        )
    (unit_name, count), *_ = value.items()
    return ReviewInterval(
        count=_integer(count, source, f"{key_path}.{unit_name}", minimum=1),
        unit=IntervalUnit(unit_name),
    )


def _agency_types(value: object, source: str) -> tuple[str, ...]:
    key_path = "responsible_authority_agency_types"
    if not isinstance(value, list):
        raise PolicyError(source, key_path, f"expected a list of agency types, got {value!r}")
    if not value:
        raise PolicyError(source, key_path, "must list at least one agency type")
    seen: list[str] = []
    for index, item in enumerate(value):
        item_path = f"{key_path}[{index}]"
        if not isinstance(item, str) or not item.strip():
            raise PolicyError(source, item_path, f"expected a non-blank text, got {item!r}")
        if item in seen:
            raise PolicyError(source, item_path, f"{item!r} is listed twice")
        seen.append(item)
    return tuple(seen)


def _mapping(
    value: object, source: str, key_path: str, expected: tuple[str, ...]
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(source, key_path, f"expected a mapping, got {value!r}")
    unknown = sorted(str(key) for key in value if key not in expected)
    if unknown:
        raise PolicyError(
            source,
            _child(key_path, unknown[0]),
            f"unknown key (expected one of {_listing(expected)})",
        )
    for key in expected:
        if key not in value:
            raise PolicyError(source, _child(key_path, key), "required key is missing")
    return value


def _boolean(value: object, source: str, key_path: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(source, key_path, f"expected true or false, got {value!r}")
    return value


def _integer(
    value: object,
    source: str,
    key_path: str,
    minimum: int,
    maximum: int | None = None,
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(source, key_path, f"expected a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise PolicyError(source, key_path, f"must be {bounds}, got {value}")
    return value


def _child(key_path: str, key: str) -> str:
    return key if key_path == ROOT else f"{key_path}.{key}"


def _listing(keys: tuple[str, ...]) -> str:
    return ", ".join(keys)


def _first_duplicate_key(node: yaml.Node | None, key_path: str = ROOT) -> tuple[str, str] | None:
    """Find a key given twice in one mapping, which plain YAML loading silently overwrites.

    Returns the key path and the problem, or ``None`` when every key is unique.
    """
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child_path = _child(key_path, key)
            if key in seen:
                line = key_node.start_mark.line + 1
                return child_path, f"key appears more than once (line {line})"
            seen.add(key)
            found = _first_duplicate_key(value_node, child_path)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _first_duplicate_key(item, f"{key_path}[{index}]")
            if found is not None:
                return found
    return None
