"""The MARAC policy file: every threshold, window, band and ordering, validated on load.

The packaged ``default_policy.yaml`` holds the defaults; a partnership points the
service at its own copy. Validation is strict: a missing key, an unknown key, a key
given twice, a wrong type or an impossible value raises ``PolicyError`` naming the file,
the key path (e.g. ``dash_bands[2].min``) and the problem. A policy that loads is
therefore complete, and the domain rules never need defaults of their own.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from services.marac.domain.agenda import AgendaSortKey
from services.marac.domain.criteria import CriteriaRules
from services.marac.domain.dash import POLICE_QUESTIONS, DashBand, RiskLevel
from services.marac.domain.repeats import RepeatMatch
from services.marac.domain.returns import EthnicityGroup

DEFAULT_POLICY_FILE = "default_policy.yaml"
MAX_WINDOW_MONTHS = 120
MAX_WORKING_DAYS = 60

_E = TypeVar("_E", bound=StrEnum)


class PolicyError(ValueError):
    """A policy file is unreadable or invalid; the message says where and why."""

    def __init__(self, source: str, key_path: str, problem: str) -> None:
        self.source = source
        self.key_path = key_path
        self.problem = problem
        super().__init__(f"{source}: {key_path}: {problem}")


@dataclass(frozen=True)
class MaracPolicy:
    """A validated MARAC policy; ``source`` records which file it came from."""

    name: str
    source: str
    areas: tuple[str, ...]
    """The partnership's MARAC areas (codes such as ``oxford``): the only areas referrals,
    meetings and quarterly returns may name."""
    dash_bands: tuple[DashBand, ...]
    criteria: CriteriaRules
    meeting_capacity: int
    agenda_cutoff_working_days: int
    minutes_due_working_days: int
    agenda_order: tuple[AgendaSortKey, ...]
    extra_closure_dates: frozenset[date]
    racially_minoritised_groups: frozenset[EthnicityGroup]


def load_policy(path: Path | None = None) -> MaracPolicy:
    """Load and validate a policy file; None means the packaged default."""
    if path is None:
        resource = resources.files("services.marac").joinpath(DEFAULT_POLICY_FILE)
        source = str(resource)
        try:
            text = resource.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(source, "(file)", f"cannot be read: {exc}") from exc
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(source, "(file)", f"cannot be read: {exc}") from exc
    return parse_policy(text, source)


def parse_policy(text: str, source: str) -> MaracPolicy:
    """Validate policy YAML already read from ``source`` (used in error messages)."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, ValueError) as exc:
        raise PolicyError(source, "(file)", f"is not valid YAML: {exc}") from exc
    return _Validator(source).policy(document)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice instead of keeping the last one.

    It also leaves dates as text, so that an impossible date such as 2026-02-30 is
    reported against its key by the validator rather than failing inside the parser.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_StrictLoader.yaml_implicit_resolvers = {
    first_char: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP_TAG]
    for first_char, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AREA_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class _Validator:
    """Turns a parsed document into a ``MaracPolicy``, failing at the first bad key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> NoReturn:
        raise PolicyError(self.source, path, problem)

    def policy(self, document: object) -> MaracPolicy:
        top = self.mapping(
            document,
            "(top level)",
            (
                "name",
                "areas",
                "dash_bands",
                "criteria",
                "meetings",
                "extra_closure_dates",
                "data_return",
            ),
        )
        criteria = self.mapping(
            top["criteria"],
            "criteria",
            (
                "visible_high_risk_threshold",
                "escalation_incidents",
                "escalation_window_months",
                "repeat_window_months",
                "repeat_match",
            ),
        )
        meetings = self.mapping(
            top["meetings"],
            "meetings",
            (
                "capacity",
                "agenda_cutoff_working_days",
                "minutes_due_working_days",
                "agenda_order",
            ),
        )
        data_return = self.mapping(
            top["data_return"], "data_return", ("racially_minoritised_groups",)
        )
        return MaracPolicy(
            name=self.text(top["name"], "name"),
            source=self.source,
            areas=self.areas(top["areas"]),
            dash_bands=self.dash_bands(top["dash_bands"]),
            criteria=CriteriaRules(
                visible_high_risk_threshold=self.integer(
                    criteria["visible_high_risk_threshold"],
                    "criteria.visible_high_risk_threshold",
                    1,
                    len(POLICE_QUESTIONS),
                ),
                escalation_incidents=self.integer(
                    criteria["escalation_incidents"], "criteria.escalation_incidents", 1, None
                ),
                escalation_window_months=self.integer(
                    criteria["escalation_window_months"],
                    "criteria.escalation_window_months",
                    1,
                    MAX_WINDOW_MONTHS,
                ),
                repeat_window_months=self.integer(
                    criteria["repeat_window_months"],
                    "criteria.repeat_window_months",
                    1,
                    MAX_WINDOW_MONTHS,
                ),
                repeat_match=self.member(
                    criteria["repeat_match"], "criteria.repeat_match", RepeatMatch
                ),
            ),
            meeting_capacity=self.integer(meetings["capacity"], "meetings.capacity", 1, None),
            agenda_cutoff_working_days=self.integer(
                meetings["agenda_cutoff_working_days"],
                "meetings.agenda_cutoff_working_days",
                1,
                MAX_WORKING_DAYS,
            ),
            minutes_due_working_days=self.integer(
                meetings["minutes_due_working_days"],
                "meetings.minutes_due_working_days",
                1,
                MAX_WORKING_DAYS,
            ),
            agenda_order=self.members(
                meetings["agenda_order"], "meetings.agenda_order", AgendaSortKey, allow_empty=False
            ),
            extra_closure_dates=self.dates(top["extra_closure_dates"], "extra_closure_dates"),
            racially_minoritised_groups=frozenset(
                self.members(
                    data_return["racially_minoritised_groups"],
                    "data_return.racially_minoritised_groups",
                    EthnicityGroup,
                    allow_empty=True,
                )
            ),
        )

    def areas(self, value: object) -> tuple[str, ...]:
        """Area codes: lower-case letters, digits and hyphens, at least one, none twice."""
        items = self.sequence(value, "areas")
        if not items:
            self.fail("areas", "needs at least one MARAC area")
        result: list[str] = []
        for index, item in enumerate(items):
            path = f"areas[{index}]"
            if not isinstance(item, str) or not _AREA_CODE.fullmatch(item) or len(item) > 64:
                self.fail(
                    path,
                    "must be an area code of up to 64 lower-case letters, digits and hyphens "
                    f"(like oxford or milton-keynes), got {_describe(item)}",
                )
            if item in result:
                self.fail(path, f"{item} is listed twice")
            result.append(item)
        return tuple(result)

    def dash_bands(self, value: object) -> tuple[DashBand, ...]:
        """Contiguous bands from 0, rising severity, the last one open-ended."""
        items = self.sequence(value, "dash_bands")
        if not items:
            self.fail("dash_bands", "needs at least one band")
        bands: list[DashBand] = []
        for index, item in enumerate(items):
            path = f"dash_bands[{index}]"
            band = self.mapping(item, path, ("level", "min", "max"))
            level = self.member(band["level"], f"{path}.level", RiskLevel)
            low = self.integer(band["min"], f"{path}.min", 0, None)
            high = (
                None
                if band["max"] is None
                else self.integer(band["max"], f"{path}.max", low, None, "the band's min")
            )
            if not bands and low != 0:
                self.fail(f"{path}.min", f"is {low}; the first band must start at 0")
            if bands:
                self.check_follows(bands[-1], level, low, path)
            if high is None and index != len(items) - 1:
                self.fail(f"{path}.max", "is null; only the last band may be open-ended")
            bands.append(DashBand(level=level, min_score=low, max_score=high))
        if bands[-1].max_score is not None:
            self.fail(
                f"dash_bands[{len(bands) - 1}].max",
                f"is {bands[-1].max_score}; the last band must be open-ended (null) so "
                "every score has a band",
            )
        return tuple(bands)

    def check_follows(self, previous: DashBand, level: RiskLevel, low: int, path: str) -> None:
        assert previous.max_score is not None  # only the last band is open-ended
        if low <= previous.max_score:
            self.fail(
                f"{path}.min",
                f"is {low}, which overlaps the previous band ({previous.min_score} to "
                f"{previous.max_score})",
            )
        if low > previous.max_score + 1:
            self.fail(
                f"{path}.min",
                f"is {low}, which leaves scores {previous.max_score + 1} to {low - 1} in no band",
            )
        if level.severity <= previous.level.severity:
            self.fail(
                f"{path}.level",
                f"is {level.value}; levels must rise in severity and the previous band is "
                f"{previous.level.value}",
            )

    def mapping(self, value: object, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
        """A mapping with exactly ``keys``: unknown and missing keys are both errors."""
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping, got {_describe(value)}")
        prefix = "" if path == "(top level)" else f"{path}."
        unknown = [str(key) for key in value if key not in keys]
        if unknown:
            self.fail(
                f"{prefix}{unknown[0]}",
                f"unknown key (allowed here: {', '.join(keys)})",
            )
        missing = [key for key in keys if key not in value]
        if missing:
            self.fail(f"{prefix}{missing[0]}", "required key is missing")
        return value

    def sequence(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"must be a list, got {_describe(value)}")
        return value

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a non-empty string, got {_describe(value)}")
        return value

    def integer(
        self,
        value: object,
        path: str,
        minimum: int,
        maximum: int | None,
        minimum_name: str | None = None,
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be a whole number, got {_describe(value)}")
        if value < minimum:
            floor = f"{minimum_name} ({minimum})" if minimum_name else str(minimum)
            self.fail(path, f"is {value}; it must be at least {floor}")
        if maximum is not None and value > maximum:
            self.fail(path, f"is {value}; it must be at most {maximum}")
        return value

    def member(self, value: object, path: str, kind: type[_E]) -> _E:
        allowed = ", ".join(member.value for member in kind)
        if not isinstance(value, str):
            self.fail(path, f"must be one of {allowed}, got {_describe(value)}")
        try:
            return kind(value)
        except ValueError:
            self.fail(path, f"is {value!r}; it must be one of {allowed}")

    def members(
        self, value: object, path: str, kind: type[_E], *, allow_empty: bool
    ) -> tuple[_E, ...]:
        items = self.sequence(value, path)
        if not items and not allow_empty:
            self.fail(path, "needs at least one entry")
        result: list[_E] = []
        for index, item in enumerate(items):
            member = self.member(item, f"{path}[{index}]", kind)
            if member in result:
                self.fail(f"{path}[{index}]", f"{member.value} is listed twice")
            result.append(member)
        return tuple(result)

    def dates(self, value: object, path: str) -> frozenset[date]:
        result: list[date] = []
        for index, item in enumerate(self.sequence(value, path)):
            item_path = f"{path}[{index}]"
            day = self.date(item, item_path)
            if day in result:
                self.fail(item_path, f"{day.isoformat()} is listed twice")
            result.append(day)
        return frozenset(result)

    def date(self, value: object, path: str) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f"must be a date written YYYY-MM-DD, got {_describe(value)}")


def _describe(value: object) -> str:
    """A short, readable account of a wrong value for error messages."""
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}"
