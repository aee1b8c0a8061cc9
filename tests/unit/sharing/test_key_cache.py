"""The unwrapped-key cache: bounded, expiring, and never outliving an erase."""

from services.sharing.key_cache import KeyCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_entries_go_first() -> None:
    cache = KeyCache(max_entries=2)
    cache.put(("a", "x"), b"1", cache.epoch)
    cache.put(("b", "x"), b"2", cache.epoch)
    assert cache.get(("a", "x")) == b"1"  # a is now the most recent
    cache.put(("c", "x"), b"3", cache.epoch)
    assert cache.get(("b", "x")) is None
    assert cache.get(("a", "x")) == b"1"
    assert cache.get(("c", "x")) == b"3"
    assert len(cache) == 2


def test_entries_expire() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl_seconds=60, clock=clock)
    cache.put(("a", "x"), b"1", cache.epoch)
    clock.now += 59.9
    assert cache.get(("a", "x")) == b"1"
    clock.now += 0.1
    assert cache.get(("a", "x")) is None


def test_evicting_a_subject_removes_only_their_keys() -> None:
    cache = KeyCache()
    cache.put(("a", "x"), b"1", cache.epoch)
    cache.put(("a", "y"), b"2", cache.epoch)
    cache.put(("b", "x"), b"3", cache.epoch)
    cache.evict_subject("a")
    assert cache.get(("a", "x")) is None
    assert cache.get(("a", "y")) is None
    assert cache.get(("b", "x")) == b"3"


def test_a_key_fetched_before_an_erase_is_not_cached_after_it() -> None:
    cache = KeyCache()
    epoch = cache.epoch  # a reader starts fetching from storage
    cache.evict_subject("a")  # meanwhile the subject is erased
    cache.put(("a", "x"), b"stale", epoch)
    assert cache.get(("a", "x")) is None


def test_a_zero_sized_cache_caches_nothing() -> None:
    cache = KeyCache(max_entries=0)
    cache.put(("a", "x"), b"1", cache.epoch)
    assert cache.get(("a", "x")) is None
