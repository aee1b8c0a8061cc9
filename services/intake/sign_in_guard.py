"""Applies the sign-in throttle (sign_in_throttle.py) to one attempt: counts, locks, records.

The counts live beside the accounts in the vault database. A lockout is recorded as a
``SignInLockedOut`` event on the ``audit.security`` stream, so it reaches the same durable log
and audit consumers as every other event.
"""

from __future__ import annotations

import datetime as dt
import math

from services.bootstrap import Platform
from services.intake.sign_in_throttle import (
    ACCOUNT,
    ADDRESS,
    FailureCount,
    ThrottlePolicy,
    after_failure,
    newly_locked,
)
from services.kernel.events import new_event

SYSTEM_AGENCY = "tandem"
"""The envelope agency of events Tandem records about itself, not on a partner's behalf."""


def throttle_policy(platform: Platform) -> ThrottlePolicy:
    settings = platform.settings
    minutes = dt.timedelta(minutes=settings.sign_in_lockout_minutes)
    return ThrottlePolicy(
        max_failures_per_account=settings.sign_in_max_failures,
        max_failures_per_address=settings.sign_in_max_failures_per_address,
        lockout=minutes,
        window=minutes,
    )


def retry_after_seconds(until: dt.datetime) -> int:
    """Whole seconds until a lockout ends, for the ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil((until - dt.datetime.now(dt.UTC)).total_seconds()))


class SignInGuard:
    def __init__(self, platform: Platform, address: str):
        self._platform = platform
        self._accounts = platform.accounts
        self._address = address[:128]
        self._policy = throttle_policy(platform)

    def _subjects(self, username: str) -> list[tuple[str, str]]:
        return [(ACCOUNT, username[:128]), (ADDRESS, self._address)]

    def locked_until(self, username: str) -> dt.datetime | None:
        """When the lockout on this name or address ends, if one is in force."""
        now = dt.datetime.now(dt.UTC)
        ends = [
            count.locked_until
            for scope, subject in self._subjects(username)
            if (count := self._accounts.failures(scope, subject)).locked_at(now)
        ]
        return max(ends) if ends else None

    def failed(self, username: str) -> None:
        now = dt.datetime.now(dt.UTC)
        events = []
        for scope, subject in self._subjects(username):
            before = self._accounts.failures(scope, subject)
            after = after_failure(before, now, scope, self._policy)
            self._accounts.save_failures(scope, subject, after)
            if newly_locked(before, after, now):
                events.append(self._locked_out_event(scope, username, after))
        if events:
            self._platform.record(events)

    def succeeded(self, username: str) -> None:
        self._accounts.save_failures(ACCOUNT, username[:128], FailureCount())

    def _locked_out_event(self, scope: str, username: str, count: FailureCount):
        return new_event(
            "SignInLockedOut",
            {
                "scope": scope,
                "username": username[:128],
                "address": self._address,
                "failures": count.failures,
                "locked_until": count.locked_until,
            },
            aggregate_id=username[:128] if scope == ACCOUNT else self._address,
            agency=SYSTEM_AGENCY,
            actor="sign-in throttle",
        )
