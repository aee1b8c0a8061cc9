"""Sign-in throttling: the rule, free of storage and HTTP.

Failed sign-ins are counted per account name tried and per client address. When either
reaches its limit within the window, that name (or address) is locked out for a while: no
password is checked for it until the lockout ends, so guessing costs the attacker time, not
the server. An unknown name is counted like a known one, so a lockout says nothing about
whether an account exists. A successful sign-in clears the account's count, not the
address's: one good password must not buy another fifty guesses from the same place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_per_account: int = 5
    max_failures_per_address: int = 20
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    window: dt.timedelta = dt.timedelta(minutes=15)
    """Failures older than this (counted from the first) are forgotten."""

    def limit(self, scope: str) -> int:
        return self.max_failures_per_account if scope == ACCOUNT else self.max_failures_per_address


@dataclass(frozen=True)
class FailureCount:
    failures: int = 0
    first_failure_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None

    def locked_at(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def after_failure(
    count: FailureCount, now: dt.datetime, scope: str, policy: ThrottlePolicy
) -> FailureCount:
    """The count after one more failure; locked when it reaches the scope's limit."""
    expired_lock = count.locked_until is not None and now >= count.locked_until
    stale = count.first_failure_at is None or now - count.first_failure_at > policy.window
    if expired_lock or (stale and count.locked_until is None):
        count = FailureCount()
    failures = count.failures + 1
    first = count.first_failure_at or now
    locked_until = count.locked_until
    if failures >= policy.limit(scope) and locked_until is None:
        locked_until = now + policy.lockout
    return FailureCount(failures, first, locked_until)


def newly_locked(before: FailureCount, after: FailureCount, now: dt.datetime) -> bool:
    """Whether this failure is the one that started a lockout (it is logged as an event)."""
    return after.locked_at(now) and not before.locked_at(now)
