"""The sign-in throttle's rule: count, lock at the limit, forget after the window."""

import datetime as dt

from services.intake.sign_in_throttle import (
    ACCOUNT,
    ADDRESS,
    FailureCount,
    ThrottlePolicy,
    after_failure,
    newly_locked,
)

POLICY = ThrottlePolicy(
    max_failures_per_account=3,
    max_failures_per_address=5,
    lockout=dt.timedelta(minutes=10),
    window=dt.timedelta(minutes=10),
)
T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def fail(times: int, scope: str = ACCOUNT, start: FailureCount = FailureCount(), step=1):
    count = start
    for n in range(times):
        count = after_failure(count, T0 + dt.timedelta(seconds=n * step), scope, POLICY)
    return count


def test_the_account_is_locked_at_its_limit_and_not_before():
    assert not fail(2).locked_at(T0 + dt.timedelta(seconds=2))
    third = fail(3)
    assert third.locked_at(T0 + dt.timedelta(seconds=3))
    assert third.locked_until == T0 + dt.timedelta(seconds=2) + POLICY.lockout


def test_an_address_has_its_own_higher_limit():
    assert not fail(4, ADDRESS).locked_at(T0 + dt.timedelta(seconds=4))
    assert fail(5, ADDRESS).locked_at(T0 + dt.timedelta(seconds=5))


def test_failures_during_a_lockout_do_not_extend_it():
    locked = fail(3)
    later = after_failure(locked, T0 + dt.timedelta(minutes=5), ACCOUNT, POLICY)
    assert later.locked_until == locked.locked_until


def test_the_lockout_ends_and_the_count_starts_again():
    locked = fail(3)
    after = after_failure(locked, locked.locked_until, ACCOUNT, POLICY)
    assert after.failures == 1
    assert not after.locked_at(locked.locked_until)


def test_failures_spread_wider_than_the_window_are_forgotten():
    spread = fail(3, step=int(POLICY.window.total_seconds()) + 1)
    assert spread.failures == 1
    assert spread.locked_until is None


def test_only_the_failure_that_starts_a_lockout_is_reported():
    second, third = fail(2), fail(3)
    now = T0 + dt.timedelta(seconds=3)
    assert newly_locked(second, third, now)
    fourth = after_failure(third, now, ACCOUNT, POLICY)
    assert not newly_locked(third, fourth, now)
