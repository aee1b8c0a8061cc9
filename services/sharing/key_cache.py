"""A small bounded, expiring, thread-safe cache of unwrapped data keys.

Unwrapping on every field would dominate projection time, so keys are cached; but an
erased subject's keys must stop working at once in this process and within the time to
live in every other, hence expiry and an erase epoch that refuses stale inserts.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

CacheKey = tuple[str, str]  # (subject id, data class)


class KeyCache:
    """Least-recently-used cache of (subject, class) -> data key with a time to live."""

    def __init__(
        self,
        max_entries: int = 200_000,
        ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_entries = max_entries
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[CacheKey, tuple[float, bytes]] = OrderedDict()
        self._epoch = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def epoch(self) -> int:
        """Read before fetching a key from storage; pass to `put` so an erase in between wins."""
        with self._lock:
            return self._epoch

    def get(self, key: CacheKey) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if self._clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: CacheKey, value: bytes, epoch: int) -> None:
        """Cache a key fetched at `epoch`; ignored if an eviction happened since."""
        if self._max_entries <= 0:
            return
        with self._lock:
            if epoch != self._epoch:
                return
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def evict_subject(self, subject_id: str) -> None:
        """Forget every key of the subject and refuse inserts fetched before now."""
        with self._lock:
            self._epoch += 1
            for key in [k for k in self._entries if k[0] == subject_id]:
                del self._entries[key]

    def clear(self) -> None:
        """Forget every key: what a cache expiry does, at once (after a key rotation, say)."""
        with self._lock:
            self._epoch += 1
            self._entries.clear()
