"""The projector against a real broker and real databases: exactly once, through crashes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from projections.marac import marac_cases, marac_referrals
from projections.tracking import projection_offsets
from services.bootstrap import Platform
from services.kernel.bus import read_dead_letters
from tests.factories import referral_event

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def count(platform: Platform, table) -> int:
    with platform.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def dump(platform: Platform, *tables) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two read models are identical iff dumps are equal."""
    with platform.engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(select(t)).all()) for t in tables}


def catch_up(platform: Platform, name: str = "marac"):
    projector = platform.projector(name, batch_size=50)
    try:
        projector.catch_up(timeout=60)
    finally:
        projector.close()
    return projector


def test_publish_then_project_round_trip(platform: Platform):
    event = referral_event(victim_id="p-v-9", dash_score=16)
    platform.publisher.publish([event])

    catch_up(platform)

    with platform.engine.connect() as conn:
        row = conn.execute(select(marac_referrals)).one()
        case = conn.execute(select(marac_cases)).one()
    assert row.referral_id == event.payload["referral_id"]
    assert row.event_id == event.event_id
    assert row.dash_score == 16
    assert row.children_count == 1
    assert row.perpetrator_ids == ["p-perp-1"]
    assert case.victim_person_id == "p-v-9"
    assert case.referral_count == 1


def test_restart_resumes_without_loss_or_duplicates(platform: Platform):
    first = [referral_event() for _ in range(30)]
    platform.publisher.publish(first)
    catch_up(platform)
    assert count(platform, marac_referrals) == 30

    second = [referral_event() for _ in range(20)]
    platform.publisher.publish(second)
    platform.publisher.publish(first[:5])  # the same events again, e.g. a producer retry

    catch_up(platform)  # a new projector: starts from the stored offsets
    assert count(platform, marac_referrals) == 50


def test_second_referral_for_a_case_updates_the_case(platform: Platform):
    first = referral_event(case_id="c-1", dash_score=12)
    second = referral_event(case_id="c-1", dash_score=18, repeat=True)
    platform.publisher.publish([first, second])
    catch_up(platform)
    with platform.engine.connect() as conn:
        case = conn.execute(select(marac_cases)).one()
    assert (case.referral_count, case.repeat_count, case.latest_dash_score) == (2, 1, 18)


CRASHING_PROJECTOR = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from services.bootstrap import Platform
    from services.kernel.settings import Settings
    from services.marac import handlers

    crash_at = int(sys.argv[1])
    applied = {"n": 0}
    original = handlers.referral_submitted

    def crash_mid_batch(conn, event):
        original(conn, event)
        applied["n"] += 1
        if applied["n"] == crash_at:
            os._exit(17)  # no cleanup, no rollback: like a power cut

    settings = Settings(
        data_dir=Path(os.environ["T_DATA"]), database_url=os.environ["T_DB"],
        vault_url=os.environ["T_VAULT"], topic_prefix=os.environ["T_PREFIX"],
    )
    platform = Platform(settings, os.environ["T_KAFKA"])
    projection = platform.projections["marac"]
    platform.projections["marac"] = type(projection)(
        projection.name, projection.streams,
        {**projection.handlers, "ReferralSubmitted": crash_mid_batch}, projection.tables,
    )
    platform.projector("marac", batch_size=40).catch_up(timeout=60)
    """
)


def test_process_killed_mid_batch_leaves_consistent_state(platform: Platform, tmp_path):
    events = [referral_event(case_id=f"c-{i % 7}") for i in range(100)]
    platform.publisher.publish(events)
    env = {
        **os.environ,
        "T_DATA": str(platform.settings.data_dir),  # same keys as the publisher
        "T_VAULT": platform.settings.vault_database_url,
        "T_DB": platform.settings.resolved_database_url,
        "T_PREFIX": platform.settings.topic_prefix,
        "T_KAFKA": platform.bootstrap,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_PROJECTOR, "55"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == 17, crashed.stderr

    # Whatever landed is whole batches: rows, applied ids and offsets agree.
    landed = count(platform, marac_referrals)
    assert landed < 55 and landed % 40 == 0
    with platform.engine.connect() as conn:
        stored = conn.execute(select(func.sum(projection_offsets.c.next_offset))).scalar() or 0
        referral_total = conn.execute(select(func.sum(marac_cases.c.referral_count))).scalar()
    assert stored == landed
    assert (referral_total or 0) == landed

    catch_up(platform)
    assert count(platform, marac_referrals) == 100
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.sum(marac_cases.c.referral_count))).scalar() == 100


def test_malformed_messages_are_dead_lettered_and_the_rest_applied(platform: Platform):
    topic = platform.topics.topic("marac.cases")
    good_before, good_after = referral_event(case_id="c-a"), referral_event(case_id="c-a")
    platform.publisher.publish([good_before])
    platform.publisher.send_raw(topic, b"c-a", b"not avro at all")
    platform.publisher.send_raw(topic, b"c-a", b"\x00\x00\x00\x27\x10" + b"\x02" * 20)
    platform.publisher.publish([good_after])

    projector = catch_up(platform)

    assert count(platform, marac_referrals) == 2
    assert projector.status.dead_lettered == 2
    letters = read_dead_letters(platform.bootstrap, platform.topics.dead_letter("marac.cases"))
    reasons = sorted(letter.reason for letter, _ in letters)
    assert reasons[0].startswith("magic byte is 110")  # 'n' of "not avro"
    assert reasons[1].startswith("unknown schema id 10000")
    originals = sorted(value for _, value in letters)
    assert b"not avro at all" in originals
    assert all(letter.source_topic == topic for letter, _ in letters)
    assert all(letter.consumer == "marac" for letter, _ in letters)


def test_an_event_the_handler_cannot_apply_is_dead_lettered_alone(platform: Platform):
    clash = referral_event(case_id="c-1", referral_id="r-dup")
    reused_id = referral_event(case_id="c-1", referral_id="r-dup")  # a different event
    others = [referral_event() for _ in range(3)]
    platform.publisher.publish([clash, reused_id, *others])

    projector = catch_up(platform)

    assert count(platform, marac_referrals) == 4
    assert projector.status.dead_lettered == 1
    letters = read_dead_letters(platform.bootstrap, platform.topics.dead_letter("marac.cases"))
    assert len(letters) == 1
    reason = letters[0][0].reason
    assert reason.startswith(f"ReferralSubmitted {reused_id.event_id} not applied: ")
    assert "referral_id" in reason and "INSERT INTO" not in reason


def test_replay_rebuilds_an_identical_read_model(platform: Platform):
    platform.publisher.publish([referral_event(case_id=f"c-{i % 5}") for i in range(40)])
    catch_up(platform)
    before = dump(platform, marac_referrals, marac_cases)
    assert len(before["marac_referrals"]) == 40

    projector = platform.projector("marac")
    projector.reset()
    assert count(platform, marac_referrals) == 0
    projector.catch_up(timeout=60)
    projector.close()

    assert dump(platform, marac_referrals, marac_cases) == before
