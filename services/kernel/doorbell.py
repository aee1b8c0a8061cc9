"""A wake-up call from the relay to the consumers in the same process.

An idle consumer sleeps between polls, so it spends nothing while the log is quiet; the relay
rings after it publishes, so events this process stored are projected at once. Events other
processes publish straight to Kafka are still found by the consumer's next poll.
"""

from __future__ import annotations

import threading


class Doorbell:
    """Many waiters, any number of rings; a ring between two waits is never missed."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rings = 0

    def ring(self) -> None:
        with self._condition:
            self._rings += 1
            self._condition.notify_all()

    @property
    def rings(self) -> int:
        with self._condition:
            return self._rings

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until rung after ``seen`` rings (or ``timeout`` seconds); returns the count."""
        with self._condition:
            self._condition.wait_for(lambda: self._rings != seen, timeout)
            return self._rings
