"""An idle projector sleeps instead of polling the broker in a loop, and wakes when rung.

The embedded broker answers an empty fetch at once instead of holding it for
``fetch_max_wait_ms``, so a consumer that keeps polling while idle spins a core (measured on
``tandem up``: 104% of one core with nothing to do). These tests count polls on the real broker.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from projections.marac import marac_referrals
from services.bootstrap import Platform
from services.kernel.doorbell import Doorbell
from tests.factories import referral_event

pytestmark = pytest.mark.integration


class CountingPolls:
    """Counts the consumer's polling rounds: each sends fetches and waits for their answers.

    A round, not a ``poll()`` call: one ``poll(timeout_ms=500)`` can make hundreds of rounds
    against a broker that answers empty fetches at once.
    """

    def __init__(self, projector):
        self.count = 0
        original = projector._open

        def open_counting():
            consumer = original()
            poll_once = consumer._poll_once  # kafka-python's one round of a poll

            def counted(*args, **kwargs):
                self.count += 1
                return poll_once(*args, **kwargs)

            consumer._poll_once = counted
            return consumer

        projector._open = open_counting


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def referrals(platform: Platform) -> int:
    with platform.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(marac_referrals)).scalar_one()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_idle_projector_polls_a_few_times_a_second_at_most(platform: Platform):
    projector = platform.projector("marac")
    polls = CountingPolls(projector)
    stop = threading.Event()
    thread = threading.Thread(target=projector.run, args=(stop, None, 0.5))
    thread.start()
    try:
        assert wait_until(lambda: projector.status.state == "running")
        before = polls.count
        time.sleep(3.0)
        idle_polls = polls.count - before
    finally:
        stop.set()
        thread.join(timeout=10)
    # sleeping 0.5 s between polls gives about 6 rounds; a spinning consumer makes hundreds
    assert idle_polls <= 12, f"{idle_polls} polls in 3 s while idle"
    assert not thread.is_alive()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_doorbell_wakes_an_idle_projector_at_once(platform: Platform):
    doorbell = Doorbell()
    projector = platform.projector("marac")
    polls = CountingPolls(projector)
    stop = threading.Event()
    # without a ring this projector would not poll again for a minute
    thread = threading.Thread(target=projector.run, args=(stop, doorbell, 60.0))
    thread.start()
    try:
        assert wait_until(lambda: projector.status.state == "running")
        assert wait_until(lambda: polls.count >= 1)  # then it settles into its idle sleep
        time.sleep(0.5)
        platform.publisher.publish([referral_event(victim_id="p-v-idle", dash_score=15)])
        doorbell.ring()
        # the first poll after the ring may only send the fetch; the next one applies it
        assert wait_until(lambda: referrals(platform) == 1, timeout=20), (
            "the rung projector did not apply the new event"
        )
    finally:
        stop.set()
        doorbell.ring()
        thread.join(timeout=10)
    assert not thread.is_alive(), "a ring after stop must end the run"
