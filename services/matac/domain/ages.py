"""A perpetrator's age on a date, from what the incident records say.

An incident can record two things about the suspect's age: the exact date of birth, which
is identity (``perpetrator.identity``) and is published encrypted, and the age in whole
years on the incident date, which travels in the clear. The rule:

* when a date of birth is recorded, the age on any date is computed from it, so someone is
  16 on their 16th birthday and not a day later;
* only when no date of birth is recorded, the age is the *youngest* consistent with every
  recorded age (see `youngest_age`), so nobody under 16 is ranked because an age was
  rounded up.

The date of birth is encrypted, so it is read (decrypted for the caller, audited) only when
it changes the answer: the age recorded on the incident that carries it, computed from it,
places the person within one year, and only on the dates of that year when they may or may
not have reached the minimum age does the exact date decide (`date_of_birth_decides`).
A clear field that decided the boundary without decrypting (the date they turn 16, say)
would be the date of birth itself in the clear.
"""

from __future__ import annotations

from datetime import date, timedelta

from services.matac.domain.dates import age_on


def latest_birth_date(occurred_on: date, age: int) -> date:
    """The latest date of birth at which someone is `age` on `occurred_on`.

    That is the same day `age` years earlier; 29 February becomes 28 February in a year
    without one (someone born on 28 February has had their birthday by 29 February).
    """
    if age < 0:
        raise ValueError(f"age must not be negative, got {age}")
    year = occurred_on.year - age
    try:
        return occurred_on.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def earliest_birth_date(occurred_on: date, age: int) -> date:
    """The earliest date of birth at which someone is still `age` on `occurred_on`."""
    return latest_birth_date(occurred_on, age + 1) + timedelta(days=1)


def youngest_age(born_on_or_before: date, on: date) -> int:
    """The youngest age on `on` of someone born on or before `born_on_or_before`."""
    return 0 if on < born_on_or_before else age_on(born_on_or_before, on)


def date_of_birth_decides(
    occurred_on: date, age: int | None, minimum_age: int, as_of: date
) -> bool:
    """Whether only the exact date of birth tells if the person is `minimum_age` on `as_of`.

    `age` is the age recorded (from that date of birth) on the incident of `occurred_on`
    that carries it; None when the incident carries no age, so nothing but the date of birth
    can tell. Otherwise the date of birth is somewhere in the year of birth dates consistent
    with that age, and it decides only when some of them give `minimum_age` or more on
    `as_of` and others less.
    """
    if age is None:
        return True
    youngest = youngest_age(latest_birth_date(occurred_on, age), as_of)
    oldest = youngest_age(earliest_birth_date(occurred_on, age), as_of)
    return youngest < minimum_age <= oldest
