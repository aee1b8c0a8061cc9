"""The per-process memory of published-but-unprojected events."""

from datetime import date

from services.kernel.events import new_event
from services.mappa.intake import RecentWrites


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def event(nominal_id: str = "N1"):
    return new_event(
        "MappaReviewHeld",
        {"nominal_id": nominal_id, "held_on": date(2026, 5, 11), "outcome": "x"},
        aggregate_id=nominal_id,
        agency="tvp",
        actor="t",
    )


def test_unseen_events_are_returned_until_the_read_model_has_them():
    recent = RecentWrites()
    first, second = event(), event()
    recent.add("N1", first)
    recent.add("N1", second)

    assert [p.event_id for p in recent.unseen("N1", set())] == [first.event_id, second.event_id]
    assert [p.event_id for p in recent.unseen("N1", {first.event_id})] == [second.event_id]
    # Once seen, forgotten: a later read without it does not bring it back.
    assert [p.event_id for p in recent.unseen("N1", set())] == [second.event_id]
    assert recent.unseen("N2", set()) == []
    assert recent.unseen("N1", set())[0].payload["held_on"] == "2026-05-11"


def test_pending_events_expire():
    clock = Clock()
    recent = RecentWrites(ttl_seconds=60, clock=clock)
    recent.add("N1", event())
    clock.now += 61
    assert recent.unseen("N1", set()) == []


def test_one_lock_per_nominal():
    recent = RecentWrites()
    assert recent.lock("N1") is recent.lock("N1")
    assert recent.lock("N1") is not recent.lock("N2")
