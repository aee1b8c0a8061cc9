"""Ages: from the recorded date of birth when there is one, the youngest the ages allow if not."""

from datetime import date

import pytest

from services.matac.domain.ages import (
    date_of_birth_decides,
    earliest_birth_date,
    latest_birth_date,
)
from services.matac.domain.model import Incident, Perpetrator
from services.matac.domain.ranking import exclusion_reason, rank
from services.matac.policy import load_policy
from services.matac.queries import BirthRecord, PerpetratorFacts, perpetrators_on

POLICY = load_policy()
BORN = date(2010, 3, 10)  # 16 on 10 March 2026
BIRTHDAY = date(2026, 3, 10)
EVE = date(2026, 3, 9)
# Both incidents record the suspect at 15, computed from the date of birth given with them.
INCIDENTS = (
    Incident("INC-1", date(2025, 11, 1), "oxford", True, ("abh",), ("p-v1",)),
    Incident("INC-2", date(2026, 1, 5), "oxford", True, ("abh",), ("p-v1",)),
)


def _facts(*, with_birth: bool = True) -> PerpetratorFacts:
    bound = min(latest_birth_date(i.occurred_on, 15) for i in INCIDENTS)
    birth = BirthRecord("p-s", "e-2", date(2026, 1, 5), 15, {"suspect_date_of_birth": "enc"})
    return PerpetratorFacts(
        person_id="p-s",
        born_on_or_before=bound,
        name_event_id=None,
        incidents=INCIDENTS,
        birth=birth if with_birth else None,
    )


class Reader:
    """A stand-in for the API's decrypting reader: records what it was asked to read."""

    def __init__(self, answer: date | str = BORN):
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, records):
        self.asked += [r.person_id for r in records]
        return {r.person_id: self.answer for r in records}


def test_earliest_and_latest_birth_dates_bound_one_year():
    assert latest_birth_date(date(2026, 1, 5), 15) == date(2011, 1, 5)
    assert earliest_birth_date(date(2026, 1, 5), 15) == date(2010, 1, 6)


@pytest.mark.parametrize(
    ("as_of", "decides"),
    [
        (
            date(2026, 1, 5),
            False,
        ),  # 15 whatever the date of birth (born 6 Jan 2010 at the earliest)
        (date(2026, 1, 6), True),  # 16 if born on 6 Jan 2010, 15 if later
        (date(2027, 1, 4), True),
        (date(2027, 1, 5), False),  # 16 whatever the date of birth
    ],
)
def test_the_date_of_birth_decides_only_within_the_year_the_recorded_age_allows(as_of, decides):
    assert date_of_birth_decides(date(2026, 1, 5), 15, 16, as_of) is decides


def test_without_a_recorded_age_only_the_date_of_birth_can_decide():
    assert date_of_birth_decides(date(2026, 1, 5), None, 16, date(2040, 1, 1)) is True


@pytest.mark.parametrize(("as_of", "included"), [(EVE, False), (BIRTHDAY, True)])
def test_a_recorded_date_of_birth_decides_at_the_16th_birthday(as_of, included):
    reader = Reader()

    person = perpetrators_on([_facts()], as_of, POLICY.minimum_age, reader)["p-s"]

    assert reader.asked == ["p-s"]  # only the date of birth settles it, so it is read
    assert isinstance(person, Perpetrator) and person.date_of_birth == BORN
    reason = exclusion_reason(person, POLICY, as_of)
    assert reason == (None if included else "aged 15, under the minimum age of 16")
    assert [row.person_id for row in rank([person], POLICY, as_of)] == (["p-s"] if included else [])


def test_the_profile_age_is_exact_with_the_date_of_birth():
    facts = _facts()
    assert facts.age_on(EVE, BORN) == 15
    assert facts.age_on(BIRTHDAY, BORN) == 16
    assert facts.age_on(BIRTHDAY) == 15  # the youngest the recorded age allows, without it


def test_the_date_of_birth_is_not_read_when_the_recorded_age_settles_it():
    reader = Reader()
    settled = date(2027, 1, 5)  # 16 whatever the date of birth

    person = perpetrators_on([_facts()], settled, POLICY.minimum_age, reader)["p-s"]

    assert reader.asked == []
    assert exclusion_reason(person, POLICY, settled) is None


def test_an_unreadable_date_of_birth_leaves_the_person_unranked_with_the_reason():
    withheld = Reader("withheld under isa v2: housing-oxford may not read perpetrator.identity")

    result = perpetrators_on([_facts()], BIRTHDAY, POLICY.minimum_age, withheld)["p-s"]

    assert isinstance(result, str)
    assert "only the recorded date of birth tells whether they are 16" in result
    assert "housing-oxford may not read perpetrator.identity" in result
    unread = perpetrators_on([_facts()], BIRTHDAY, POLICY.minimum_age, None)["p-s"]
    assert isinstance(unread, str) and "not read" in unread


def test_without_a_date_of_birth_the_youngest_consistent_age_still_rules():
    reader = Reader()

    person = perpetrators_on([_facts(with_birth=False)], BIRTHDAY, POLICY.minimum_age, reader)[
        "p-s"
    ]

    assert reader.asked == []
    assert person.date_of_birth is None and person.age == 15
    assert exclusion_reason(person, POLICY, BIRTHDAY) == "aged 15, under the minimum age of 16"
