"""The quarterly MARAC data return (SafeLives style): meeting-level aggregates only.

Quarters are **calendar** quarters (Q1 = January to March ... Q4 = October to
December), not UK financial quarters, because the national MARAC data return is
collected on calendar quarters. A meeting belongs to the quarter its date falls in.

Counting rules (our reading, documented):

* a case heard at two meetings in the quarter counts once at each, and twice in the
  total, because the return counts cases *discussed*;
* ages are whole years on the referral date, a birthday counting from its start; a
  person born on 29 February has their birthday on 1 March in other years (the usual
  reading in England and Wales). Unknown dates of birth are not counted;
* "perpetrators aged 17 or under" counts perpetrators, not cases, so a case with two
  such perpetrators adds two;
* an unknown LGBT+ or disability flag (None) is not counted;
* which ethnicity groups count as Black, Asian or racially minoritised comes from policy.

The I/O layer decrypts the demographic facts and passes them in as plain data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum


class ReturnError(ValueError):
    """The quarter text or the meeting and case data cannot make a return."""


class AgencyType(StrEnum):
    """Referring agency types as the return groups them."""

    POLICE = "police"
    IDVA = "idva"
    HOUSING = "housing"
    HEALTH = "health"
    CSC = "csc"
    PROBATION = "probation"
    OTHER = "other"


class Gender(StrEnum):
    """Gender as recorded on the referral."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_KNOWN = "not_known"


class EthnicityGroup(StrEnum):
    """Ethnic group, after the 2021 census categories for England and Wales.

    The five high-level groups (white, mixed, asian, black, other) can be used alone when
    the referral records no more detail; the finer white and arab groups are optional.
    """

    WHITE = "white"
    WHITE_BRITISH = "white_british"
    WHITE_IRISH = "white_irish"
    WHITE_GYPSY_OR_IRISH_TRAVELLER = "white_gypsy_or_irish_traveller"
    WHITE_ROMA = "white_roma"
    WHITE_OTHER = "white_other"
    MIXED = "mixed"
    ASIAN = "asian"
    BLACK = "black"
    ARAB = "arab"
    OTHER = "other"
    NOT_KNOWN = "not_known"


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, written like ``2026Q3``."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ReturnError(f"quarter number must be 1 to 4, got {self.number}")

    @property
    def start(self) -> date:
        """First day of the quarter."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter."""
        if self.number == 4:
            return date(self.year, 12, 31)
        return date.fromordinal(date(self.year, 3 * self.number + 1, 1).toordinal() - 1)

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls in the quarter."""
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


_QUARTER_PATTERN = re.compile(r"(\d{4})Q([1-4])")


def parse_quarter(text: str) -> Quarter:
    """Parse ``YYYYQn`` (for example ``2026Q3`` = 1 July to 30 September 2026)."""
    match = _QUARTER_PATTERN.fullmatch(text.strip().upper())
    if match is None:
        raise ReturnError(f"quarter {text!r} is not in the form YYYYQn, e.g. 2026Q3")
    return Quarter(year=int(match.group(1)), number=int(match.group(2)))


@dataclass(frozen=True)
class VictimFacts:
    """Decrypted victim demographics needed for the return."""

    date_of_birth: date | None
    gender: Gender
    ethnicity: EthnicityGroup
    lgbt: bool | None
    disabled: bool | None


@dataclass(frozen=True)
class PerpetratorFacts:
    """Decrypted perpetrator facts needed for the return."""

    date_of_birth: date | None


@dataclass(frozen=True)
class HeldMeeting:
    """A meeting of this MARAC held in the quarter."""

    meeting_id: str
    meeting_date: date


@dataclass(frozen=True)
class HeardCase:
    """One case as discussed at one meeting."""

    case_id: str
    meeting_id: str
    referral_date: date
    is_repeat: bool
    referring_agency: AgencyType
    victim: VictimFacts
    perpetrators: tuple[PerpetratorFacts, ...]
    children_in_household: int


@dataclass(frozen=True)
class AgencyCounts:
    """Referrals by referring agency type."""

    police: int = 0
    idva: int = 0
    housing: int = 0
    health: int = 0
    csc: int = 0
    probation: int = 0
    other: int = 0


@dataclass(frozen=True)
class ReturnRow:
    """The figures for one meeting, or the quarter's total (meeting fields None)."""

    meeting_id: str | None
    meeting_date: date | None
    cases_discussed: int
    repeat_cases: int
    referrals_by_agency: AgencyCounts
    victims_racially_minoritised: int
    victims_lgbt: int
    victims_disabled: int
    victims_male: int
    victims_aged_16_17: int
    children_in_households: int
    perpetrators_aged_17_or_under: int


@dataclass(frozen=True)
class QuarterlyReturn:
    """One MARAC's return for one quarter: a row per meeting, in date order, and a total."""

    marac_id: str
    quarter: Quarter
    rows: tuple[ReturnRow, ...]
    total: ReturnRow


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on ``day``; a 29 February birthday falls on 1 March otherwise."""
    if date_of_birth > day:
        raise ReturnError(f"date of birth {date_of_birth.isoformat()} is after {day.isoformat()}")
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)


def quarterly_return(
    marac_id: str,
    quarter: Quarter,
    meetings: Sequence[HeldMeeting],
    cases: Sequence[HeardCase],
    *,
    racially_minoritised: Collection[EthnicityGroup],
) -> QuarterlyReturn:
    """Aggregate the cases heard at ``meetings`` into the quarter's return.

    Every meeting gets a row, even one that heard no cases.
    """
    _check(quarter, meetings, cases)
    ordered = sorted(meetings, key=lambda m: (m.meeting_date, m.meeting_id))
    rows = tuple(
        _row(
            meeting.meeting_id,
            meeting.meeting_date,
            [case for case in cases if case.meeting_id == meeting.meeting_id],
            racially_minoritised,
        )
        for meeting in ordered
    )
    return QuarterlyReturn(
        marac_id=marac_id,
        quarter=quarter,
        rows=rows,
        total=_row(None, None, cases, racially_minoritised),
    )


def _row(
    meeting_id: str | None,
    meeting_date: date | None,
    cases: Sequence[HeardCase],
    racially_minoritised: Collection[EthnicityGroup],
) -> ReturnRow:
    agencies = Counter(case.referring_agency.value for case in cases)
    return ReturnRow(
        meeting_id=meeting_id,
        meeting_date=meeting_date,
        cases_discussed=len(cases),
        repeat_cases=sum(case.is_repeat for case in cases),
        referrals_by_agency=AgencyCounts(
            **{f.name: agencies[f.name] for f in fields(AgencyCounts)}
        ),
        victims_racially_minoritised=sum(
            case.victim.ethnicity in racially_minoritised for case in cases
        ),
        victims_lgbt=sum(case.victim.lgbt is True for case in cases),
        victims_disabled=sum(case.victim.disabled is True for case in cases),
        victims_male=sum(case.victim.gender is Gender.MALE for case in cases),
        victims_aged_16_17=sum(
            _age_between(case.victim.date_of_birth, case.referral_date, 16, 17) for case in cases
        ),
        children_in_households=sum(case.children_in_household for case in cases),
        perpetrators_aged_17_or_under=sum(
            _age_between(perpetrator.date_of_birth, case.referral_date, 0, 17)
            for case in cases
            for perpetrator in case.perpetrators
        ),
    )


def _age_between(date_of_birth: date | None, day: date, youngest: int, oldest: int) -> bool:
    return date_of_birth is not None and youngest <= age_on(date_of_birth, day) <= oldest


def _check(quarter: Quarter, meetings: Sequence[HeldMeeting], cases: Sequence[HeardCase]) -> None:
    """Refuse data that would make a misleading return rather than quietly drop it."""
    meeting_ids = Counter(meeting.meeting_id for meeting in meetings)
    repeated = sorted(meeting_id for meeting_id, n in meeting_ids.items() if n > 1)
    if repeated:
        raise ReturnError(f"meeting(s) listed more than once: {', '.join(repeated)}")
    outside = sorted(m.meeting_id for m in meetings if not quarter.contains(m.meeting_date))
    if outside:
        raise ReturnError(f"meeting(s) {', '.join(outside)} are not in {quarter}")
    unknown = sorted({case.case_id for case in cases if case.meeting_id not in meeting_ids})
    if unknown:
        raise ReturnError(f"case(s) {', '.join(unknown)} were heard at no listed meeting")
    heard_twice = sorted(
        f"{case_id} at {meeting_id}"
        for (case_id, meeting_id), n in Counter((c.case_id, c.meeting_id) for c in cases).items()
        if n > 1
    )
    if heard_twice:
        raise ReturnError(f"case(s) listed twice at one meeting: {', '.join(heard_twice)}")
    negative = sorted(case.case_id for case in cases if case.children_in_household < 0)
    if negative:
        raise ReturnError(f"case(s) {', '.join(negative)} have a negative number of children")
