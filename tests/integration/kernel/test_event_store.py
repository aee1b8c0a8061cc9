"""Commands store every event in one transaction, decided on current state, idempotently."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from projections.marac import marac_referrals
from projections.sharing import person_terms
from services.bootstrap import Platform
from services.intake.app import create_app
from services.kernel import store
from services.kernel.bus import end_offsets
from services.kernel.settings import Settings
from tests.integration.kernel.helpers import dump, stored_count, stored_types
from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration


def test_a_referral_is_stored_whole_and_readable_before_any_projector_runs(api):
    idva = api.headers("idva-oxon", "referrer")
    response = api.client.post("/api/marac/referrals", json=referral(), headers=idva)
    assert response.status_code == 201, response.text
    # the person index entries and the referral, in one transaction, in order
    assert stored_types(api.platform) == [
        "PersonIndexed",
        "PersonIndexed",
        "PersonIndexed",
        "ReferralSubmitted",
    ]
    # projected in the command's own transaction: no relay or projector has run
    referral_id = response.json()["referral_id"]
    assert api.client.get(f"/api/marac/referrals/{referral_id}", headers=idva).status_code == 200
    topics = [api.platform.topics.topic("marac.cases")]
    assert sum(end_offsets(api.platform.bootstrap, topics).values()) == 0
    api.relay.drain()
    assert sum(end_offsets(api.platform.bootstrap, topics).values()) == 1


def test_a_refused_referral_stores_nothing(api):
    idva = api.headers("idva-oxon", "referrer")
    response = api.client.post("/api/marac/referrals", json=referral(yes=3), headers=idva)
    assert response.status_code == 422
    assert stored_count(api.platform) == 0


def test_an_idempotency_key_returns_the_first_answer_and_records_nothing_new(api):
    headers = {**api.headers("idva-oxon", "referrer"), "Idempotency-Key": "retry-1"}
    first = api.client.post("/api/marac/referrals", json=referral(), headers=headers)
    again = api.client.post("/api/marac/referrals", json=referral(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert stored_count(api.platform, "ReferralSubmitted") == 1

    other = api.client.post("/api/marac/referrals", json=referral(yes=16), headers=headers)
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert stored_count(api.platform, "ReferralSubmitted") == 1

    # the key is the caller's own: another user with the same key makes their own referral
    housing = {**api.headers("housing-oxford", "referrer"), "Idempotency-Key": "retry-1"}
    theirs = api.client.post("/api/marac/referrals", json=referral(), headers=housing)
    assert theirs.status_code == 201
    assert theirs.json()["referral_id"] != first.json()["referral_id"]


def test_a_malformed_idempotency_key_is_refused_by_name(api):
    headers = {**api.headers("idva-oxon", "referrer"), "Idempotency-Key": "x" * 201}
    response = api.client.post("/api/marac/referrals", json=referral(), headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert stored_count(api.platform) == 0


def test_concurrent_referrals_of_one_new_person_make_one_person(api):
    idva = api.headers("idva-oxon", "referrer")
    answers: list[dict] = []
    start = threading.Barrier(3)

    def post(yes: int) -> None:  # other answers each time: not duplicates of each other
        start.wait()
        response = api.client.post(
            "/api/marac/referrals", json=referral(victim="Ada Lovelace", yes=yes), headers=idva
        )
        assert response.status_code == 201, response.text
        answers.append(response.json())

    threads = [threading.Thread(target=post, args=(yes,)) for yes in (15, 16, 17)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    victims = {a["victim"]["person_id"] for a in answers}
    assert len(victims) == 1, answers
    # the second and third saw the first: same case, and marked as repeats
    assert len({a["case_id"] for a in answers}) == 1
    assert sorted(a["repeat"] for a in answers) == [False, True, True]
    with api.platform.engine.connect() as conn:
        indexed = conn.execute(
            select(func.count(func.distinct(person_terms.c.person_id))).where(
                person_terms.c.role == "victim"
            )
        ).scalar_one()
    assert indexed == 1


def test_replay_from_the_store_and_from_kafka_give_the_same_read_model(api):
    idva = api.headers("idva-oxon", "referrer")
    for name in ("Ann One", "Bea Two", "Cat Three"):
        assert (
            api.client.post(
                "/api/marac/referrals", json=referral(victim=name), headers=idva
            ).status_code
            == 201
        )
    api.settle()
    live = dump(api.platform)
    for name in api.platform.projections:
        projector = api.platform.projector(name)
        projector.replay_from_store(api.platform.writer_engine)
        projector.close()
    assert dump(api.platform) == live
    for name in api.platform.projections:
        projector = api.platform.projector(name)
        projector.reset()
        projector.catch_up(timeout=60)
        projector.close()
    assert dump(api.platform) == live
    with api.platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(marac_referrals)).scalar_one() == 3
        assert store.count(conn) > 0  # a replay never touches the store


def test_an_unavailable_store_answers_503_with_retry_after(tmp_path, kafka_bootstrap):
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere",  # nothing listens
        vault_url=f"sqlite:///{tmp_path / 'vault.db'}",
    )
    platform = Platform(settings, kafka_bootstrap)
    try:
        client = TestClient(create_app(platform), raise_server_exceptions=False)
        token = platform.tokens.issue("idva@idva-oxon", "idva-oxon", "referrer")
        response = client.post(
            "/api/marac/referrals",
            json=referral(),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert "event store" in response.json()["detail"]
    finally:
        platform.close()
