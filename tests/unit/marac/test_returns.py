"""Quarterly data return: calendar quarters, ages and the per-meeting counts."""

from __future__ import annotations

from datetime import date

import pytest

from services.marac.domain.returns import (
    AgencyCounts,
    AgencyType,
    EthnicityGroup,
    Gender,
    HeardCase,
    HeldMeeting,
    PerpetratorFacts,
    Quarter,
    ReturnError,
    ReturnRow,
    VictimFacts,
    age_on,
    parse_quarter,
    quarterly_return,
)

MINORITISED = frozenset(
    {
        EthnicityGroup.WHITE_GYPSY_OR_IRISH_TRAVELLER,
        EthnicityGroup.WHITE_ROMA,
        EthnicityGroup.MIXED,
        EthnicityGroup.ASIAN,
        EthnicityGroup.BLACK,
        EthnicityGroup.ARAB,
        EthnicityGroup.OTHER,
    }
)
Q3 = Quarter(2026, 3)
JULY = HeldMeeting("m-jul", date(2026, 7, 9))
AUGUST = HeldMeeting("m-aug", date(2026, 8, 13))
SEPTEMBER = HeldMeeting("m-sep", date(2026, 9, 10))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
        (" 2026q3 ", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_calendar_quarters(text: str, start: date, end: date) -> None:
    quarter = parse_quarter(text)
    assert (quarter.start, quarter.end) == (start, end)


def test_quarter_prints_back_in_the_same_form() -> None:
    assert str(parse_quarter("2026Q3")) == "2026Q3"


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "2026-Q3", "Q3 2026", "26Q3", ""])
def test_bad_quarter_text(text: str) -> None:
    with pytest.raises(ReturnError, match="YYYYQn"):
        parse_quarter(text)


def test_quarter_number_is_checked() -> None:
    with pytest.raises(ReturnError, match="1 to 4"):
        Quarter(2026, 5)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2009, 6, 21), date(2026, 6, 20), 16),
        (date(2009, 6, 21), date(2026, 6, 21), 17),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2024, 2, 29), 16),
        (date(2026, 1, 1), date(2026, 1, 1), 0),
    ],
)
def test_age_on(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_age_before_birth_is_refused() -> None:
    with pytest.raises(ReturnError, match="after"):
        age_on(date(2026, 1, 2), date(2026, 1, 1))


def heard(
    case_id: str,
    meeting: HeldMeeting,
    agency: AgencyType,
    *,
    repeat: bool = False,
    referral_date: date = date(2026, 6, 20),
    gender: Gender = Gender.FEMALE,
    ethnicity: EthnicityGroup = EthnicityGroup.WHITE_BRITISH,
    lgbt: bool | None = False,
    disabled: bool | None = False,
    born: date | None = date(1990, 5, 1),
    perpetrators_born: tuple[date | None, ...] = (date(1988, 1, 1),),
    children: int = 0,
) -> HeardCase:
    return HeardCase(
        case_id=case_id,
        meeting_id=meeting.meeting_id,
        referral_date=referral_date,
        is_repeat=repeat,
        referring_agency=agency,
        victim=VictimFacts(born, gender, ethnicity, lgbt, disabled),
        perpetrators=tuple(PerpetratorFacts(dob) for dob in perpetrators_born),
        children_in_household=children,
    )


def c1(meeting: HeldMeeting) -> HeardCase:
    return heard("c1", meeting, AgencyType.POLICE, repeat=True, disabled=True, children=2)


CASES = (
    c1(JULY),
    heard(
        "c2",
        JULY,
        AgencyType.IDVA,
        gender=Gender.MALE,
        ethnicity=EthnicityGroup.ASIAN,
        lgbt=True,
        disabled=None,
        born=date(2009, 6, 21),  # 16 on the referral date
        perpetrators_born=(date(2009, 1, 1), date(2008, 6, 20)),  # 17, and 18 that day
    ),
    heard(
        "c3",
        JULY,
        AgencyType.HOUSING,
        repeat=True,
        ethnicity=EthnicityGroup.WHITE_OTHER,
        lgbt=None,
        born=date(2010, 6, 21),  # 15
        perpetrators_born=(None,),
        children=3,
    ),
    heard(
        "c4",
        AUGUST,
        AgencyType.HEALTH,
        referral_date=date(2026, 7, 1),
        ethnicity=EthnicityGroup.BLACK,
        disabled=True,
        born=date(2008, 7, 1),  # 18 that day
        perpetrators_born=(date(2009, 7, 2),),  # 16
        children=1,
    ),
    heard(
        "c5",
        AUGUST,
        AgencyType.OTHER,
        gender=Gender.NOT_KNOWN,
        ethnicity=EthnicityGroup.NOT_KNOWN,
        born=None,
        perpetrators_born=(),
    ),
    c1(AUGUST),  # heard again in August: counts at both meetings
)


def test_quarterly_return_rows_and_total() -> None:
    result = quarterly_return(
        "marac-oxford",
        Q3,
        [SEPTEMBER, AUGUST, JULY],
        CASES,
        racially_minoritised=MINORITISED,
    )
    assert result.marac_id == "marac-oxford"
    assert result.quarter == Q3
    assert result.rows == (
        ReturnRow(
            meeting_id="m-jul",
            meeting_date=date(2026, 7, 9),
            cases_discussed=3,
            repeat_cases=2,
            referrals_by_agency=AgencyCounts(police=1, idva=1, housing=1),
            victims_racially_minoritised=1,
            victims_lgbt=1,
            victims_disabled=1,
            victims_male=1,
            victims_aged_16_17=1,
            children_in_households=5,
            perpetrators_aged_17_or_under=1,
        ),
        ReturnRow(
            meeting_id="m-aug",
            meeting_date=date(2026, 8, 13),
            cases_discussed=3,
            repeat_cases=1,
            referrals_by_agency=AgencyCounts(police=1, health=1, other=1),
            victims_racially_minoritised=1,
            victims_lgbt=0,
            victims_disabled=2,
            victims_male=0,
            victims_aged_16_17=0,
            children_in_households=3,
            perpetrators_aged_17_or_under=1,
        ),
        ReturnRow(
            meeting_id="m-sep",
            meeting_date=date(2026, 9, 10),
            cases_discussed=0,
            repeat_cases=0,
            referrals_by_agency=AgencyCounts(),
            victims_racially_minoritised=0,
            victims_lgbt=0,
            victims_disabled=0,
            victims_male=0,
            victims_aged_16_17=0,
            children_in_households=0,
            perpetrators_aged_17_or_under=0,
        ),
    )
    assert result.total == ReturnRow(
        meeting_id=None,
        meeting_date=None,
        cases_discussed=6,
        repeat_cases=3,
        referrals_by_agency=AgencyCounts(police=2, idva=1, housing=1, health=1, other=1),
        victims_racially_minoritised=2,
        victims_lgbt=1,
        victims_disabled=3,
        victims_male=1,
        victims_aged_16_17=1,
        children_in_households=8,
        perpetrators_aged_17_or_under=2,
    )


def test_the_minoritised_groups_come_from_policy() -> None:
    result = quarterly_return(
        "marac-oxford",
        Q3,
        [JULY, AUGUST],
        CASES,
        racially_minoritised={EthnicityGroup.WHITE_OTHER},
    )
    assert result.total.victims_racially_minoritised == 1


def test_meeting_outside_the_quarter_is_refused() -> None:
    june = HeldMeeting("m-jun", date(2026, 6, 30))
    with pytest.raises(ReturnError, match="m-jun are not in 2026Q3"):
        quarterly_return("marac-oxford", Q3, [june], [], racially_minoritised=MINORITISED)


def test_case_at_an_unlisted_meeting_is_refused() -> None:
    with pytest.raises(ReturnError, match="c1 were heard at no listed meeting"):
        quarterly_return("marac-oxford", Q3, [AUGUST], [c1(JULY)], racially_minoritised=MINORITISED)


def test_duplicates_are_refused() -> None:
    with pytest.raises(ReturnError, match="more than once: m-jul"):
        quarterly_return("m", Q3, [JULY, JULY], [], racially_minoritised=MINORITISED)
    with pytest.raises(ReturnError, match="c1 at m-jul"):
        quarterly_return("m", Q3, [JULY], [c1(JULY), c1(JULY)], racially_minoritised=MINORITISED)
