"""Whole-event MACs, and events that reach Kafka from outside being archived in the store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from projections.marac import marac_referrals
from services.bootstrap import Platform
from services.kernel import store
from services.kernel.bus import read_dead_letters
from tests.factories import referral_event

pytestmark = pytest.mark.integration


def _catch_up(platform: Platform, name: str = "marac"):
    projector = platform.archiver() if name == "archive" else platform.projector(name)
    try:
        projector.catch_up(timeout=60)
    finally:
        projector.close()
    return projector


def _letters(platform: Platform, stream: str = "marac.cases"):
    return read_dead_letters(platform.bootstrap, platform.topics.dead_letter(stream))


def test_a_changed_plaintext_field_is_dead_lettered_for_integrity(platform: Platform):
    """Changing referring_agency in a correctly encrypted event once gave the referral to
    another agency: every token still decrypted. The MAC covers every byte."""
    event = referral_event(case_id="c-owned", agency="idva-oxon")
    [signed] = platform.publisher.prepare([event])
    decoded = platform.codec.decode(signed.value)
    moved = decoded.__class__(
        decoded.envelope, {**decoded.payload, "referring_agency": "housing-oxford"}
    )
    forged = platform.codec.encode(moved)
    assert forged != signed.value
    platform.publisher.send_raw(
        platform.topics.topic("marac.cases"),
        signed.key,
        forged,
        [("event_id", signed.event_id.encode()), ("tandem_mac", signed.mac)],  # the old MAC
    )

    _catch_up(platform, "marac")
    _catch_up(platform, "archive")

    with platform.engine.connect() as conn:
        assert conn.execute(select(marac_referrals)).first() is None
        assert store.count(conn) == 0  # the archiver refused it too
    reasons = {
        (letter.consumer, letter.reason.split(": ", 1)[1]) for letter, _ in _letters(platform)
    }
    assert (
        "marac",
        "integrity: the event's MAC does not match its bytes (changed after signing)",
    ) in reasons
    assert any(consumer == "archive" for consumer, _ in reasons)


def test_an_unsigned_event_is_dead_lettered_and_a_signed_one_applied(platform: Platform):
    unsigned = referral_event(case_id="c-unsigned")
    value = platform.codec.encode(platform.sharing.encrypt_event(unsigned))
    platform.publisher.send_raw(platform.topics.topic("marac.cases"), b"c-unsigned", value)
    signed = referral_event(case_id="c-signed")
    platform.publisher.publish([signed])

    _catch_up(platform, "marac")

    with platform.engine.connect() as conn:
        cases = set(conn.execute(select(marac_referrals.c.case_id)).scalars())
    assert cases == {"c-signed"}
    [(letter, original)] = _letters(platform)
    assert "integrity: the event carries no MAC" in letter.reason
    assert original == value


def test_events_from_outside_are_archived_once_and_duplicates_counted(platform: Platform):
    first = referral_event(case_id="c-outside")
    platform.publisher.publish([first])
    platform.publisher.publish([first])  # a partner system's retry: the same event id again
    platform.publisher.send_raw(
        platform.topics.topic("marac.cases"), b"c-x", b"\x00\x00\x00\x27\x10" + b"\x02" * 20
    )  # a schema id nobody registered

    archiver = _catch_up(platform, "archive")

    assert archiver.archived == 1
    assert archiver.duplicates == 1
    with platform.engine.connect() as conn:
        rows = store.read_after(conn, 0, 10)
    assert [(r.event_id, r.origin) for r in rows] == [(first.event_id, store.ORIGIN_KAFKA)]
    assert rows[0].kafka_offset is not None
    [(letter, _)] = _letters(platform)
    assert letter.consumer == "archive" and "schema" in letter.reason.lower()

    # what the relay sends (from the store) is not counted as a duplicate
    platform.record([referral_event(case_id="c-mine")])
    platform.relay().drain()
    archiver = _catch_up(platform, "archive")
    assert archiver.duplicates == 0


def test_a_rotated_mac_key_signs_new_events_and_old_ones_still_verify(platform: Platform):
    before = referral_event(case_id="c-before")
    platform.publisher.publish([before])
    old_key = platform.signer.current_key_id
    new_key = platform.signer.rotate()
    assert new_key != old_key
    after = referral_event(case_id="c-after")
    [prepared] = platform.publisher.prepare([after])
    assert prepared.mac.startswith(f"v1:{new_key}:".encode())
    platform.publisher.send([prepared])

    _catch_up(platform, "marac")

    with platform.engine.connect() as conn:
        cases = set(conn.execute(select(marac_referrals.c.case_id)).scalars())
    assert cases == {"c-before", "c-after"}
    assert _letters(platform) == []
