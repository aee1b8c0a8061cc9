"""A broker that dies, loses what it acknowledged or stays down: nothing accepted is lost.

These tests run their own embedded broker, so they can kill -9 it, keep it down and start it
again, with the relay, a projector and (for the outage) the real web server running.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from kafka.admin import NewTopic
from sqlalchemy import func, select

from projections.marac import marac_referrals
from projections.runtime import TopicDiverged
from projections.sharing import person_terms
from services.bootstrap import Platform
from services.intake.app import create_app
from services.kernel import store
from services.kernel.bus import RETENTION_FOREVER, admin_client
from services.kernel.embedded_broker import EmbeddedBroker, free_port
from services.kernel.reconcile import read_partition
from services.kernel.relay import CURSOR
from tests.factories import referral_event
from tests.integration.kernel.helpers import dump, own_broker
from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@dataclass
class Running:
    """A platform on its own broker with the relay and the projectors in threads."""

    platform: Platform
    broker: EmbeddedBroker
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.relay = self.platform.relay()
        self.relay.check_interval = 0.5
        self._spawn("relay", self.relay.run, self.stop, self.platform.commands.committed)
        self.projectors = {n: self.platform.projector(n) for n in self.platform.projections}
        for name, projector in self.projectors.items():
            self._spawn(f"projector-{name}", projector.run, self.stop)

    def _spawn(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def backlog(self) -> int:
        with self.platform.engine.connect() as conn:
            return store.backlog(conn, CURSOR)

    def on_topics(self) -> set[str]:
        """Every event id the topics hold now."""
        found: set[str] = set()
        for stream in ("marac.cases", "persons"):
            topic = self.platform.topics.topic(stream)
            for partition in range(self.platform.settings.topic_partitions):
                ids, _end = read_partition(
                    self.platform.bootstrap, self.platform.codec, topic, partition
                )
                found.update(i for i in ids.values() if i)
        return found

    def stored_ids(self, *streams: str) -> set[str]:
        t = store.event_store.c
        with self.platform.engine.connect() as conn:
            return set(conn.execute(select(t.event_id).where(t.stream.in_(streams))).scalars())

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        self.platform.close()


@pytest.fixture
def running(settings, tmp_path) -> Iterator[Running]:
    with own_broker(tmp_path) as broker:
        platform = Platform(settings, broker.bootstrap)
        platform.prepare()
        stack = Running(platform, broker)
        stack.start()
        try:
            yield stack
        finally:
            stack.close()


def _replayed_from_store(platform: Platform, name: str = "marac") -> dict:
    projector = platform.projector(name)
    projector.replay_from_store(platform.writer_engine)
    projector.close()
    return dump(platform, name)


def test_kill_9_right_after_the_answer_loses_no_accepted_referral(running, database_url):
    platform = running.platform
    client = _client(platform)
    token = platform.tokens.issue("idva@idva-oxon", "idva-oxon", "referrer")
    headers = {"Authorization": f"Bearer {token}"}
    trials = 20 if database_url.startswith("sqlite") else 5
    accepted: list[str] = []
    lost_by_broker = 0
    for trial in range(trials):
        response = client.post(
            "/api/marac/referrals", json=referral(victim=f"Kill Trial{trial}"), headers=headers
        )
        assert response.status_code == 201, response.text
        accepted.append(response.json()["referral_id"])
        wait_until(lambda: running.backlog() == 0, 30, "the relay to have the event acknowledged")
        running.broker.kill()  # at once: the acknowledgement is all the broker gave
        running.broker.start()
        on_topic = running.on_topics()
        lost_by_broker += len(running.stored_ids("marac.cases", "persons") - on_topic)
    print(f"the broker lost acknowledged events in the window of {lost_by_broker} check(s)")

    # the relay notices what the broker lost, re-publishes it, and the projectors carry on
    expected = running.stored_ids("marac.cases", "persons")
    wait_until(lambda: expected <= running.on_topics(), 60, "the relay to repair the topics")
    wait_until(
        lambda: all(p.status.state == "running" for p in running.projectors.values()),
        30,
        "projectors running",
    )
    with platform.engine.connect() as conn:
        stored = set(conn.execute(select(marac_referrals.c.referral_id)).scalars())
    assert set(accepted) <= stored
    live = dump(platform, "marac")
    assert _replayed_from_store(platform) == live
    # and the repaired topic rebuilds the same read model
    projector = platform.projector("marac")
    projector.reset()
    projector.catch_up(timeout=120)
    projector.close()
    assert dump(platform, "marac") == live
    client.close()


def _client(platform: Platform):
    from fastapi.testclient import TestClient

    return TestClient(create_app(platform))


@dataclass
class Server:
    url: str
    server: uvicorn.Server
    thread: threading.Thread


def _serve(running: Running) -> Server:
    port = free_port()
    app = create_app(
        running.platform,
        {n: p.status for n, p in running.projectors.items()},
        running.relay.status,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    wait_until(lambda: server.started, 30, "the web app")
    return Server(f"http://127.0.0.1:{port}", server, thread)


OUTAGE_SECONDS = 30


def test_a_30_second_outage_under_four_clients_gives_no_5xx_no_loss_no_duplicates(running):
    platform = running.platform
    web = _serve(running)
    stop_clients = threading.Event()
    answers: list[dict] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client_loop(number: int) -> None:
        token = platform.tokens.issue(f"idva{number}@idva-oxon", "idva-oxon", "referrer")
        with httpx.Client(base_url=web.url, timeout=60) as http:
            sent = 0
            while not stop_clients.is_set():
                sent += 1
                headers = {"Authorization": f"Bearer {token}"}
                retrying = number % 2 == 0  # half the clients retry every post with its key
                if retrying:
                    headers["Idempotency-Key"] = str(uuid.uuid4())
                body = referral(victim=f"Client{number} Referral{sent}")
                response = http.post("/api/marac/referrals", json=body, headers=headers)
                if response.status_code != 201:
                    with lock:
                        failures.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                if retrying:
                    again = http.post("/api/marac/referrals", json=body, headers=headers)
                    if again.status_code != 201 or again.json() != response.json():
                        with lock:
                            failures.append(f"retry gave {again.status_code}: {again.text[:200]}")
                with lock:
                    answers.append(response.json())
                time.sleep(0.05)

    clients = [threading.Thread(target=client_loop, args=(n,), daemon=True) for n in range(4)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(2)
        running.broker.kill()
        down_at = time.monotonic()
        delayed = False
        with httpx.Client(base_url=web.url, timeout=30) as http:
            while time.monotonic() - down_at < OUTAGE_SECONDS:
                time.sleep(2)
                publishing = http.get("/health").json()["publishing"]
                delayed = delayed or publishing["status"] == "delayed"
        during = len(answers)
        running.broker.start()
        time.sleep(2)
    finally:
        stop_clients.set()
        for thread in clients:
            thread.join(timeout=90)
    web.server.should_exit = True
    web.thread.join(timeout=15)

    assert failures == [], failures[:5]
    assert delayed, "/health never said publishing was delayed while the broker was down"
    assert during > 8, f"only {during} referrals were accepted"
    referral_ids = [a["referral_id"] for a in answers]
    assert len(set(referral_ids)) == len(referral_ids)
    wait_until(lambda: running.backlog() == 0, 120, "the relay to publish the backlog")
    expected = running.stored_ids("marac.cases", "persons")
    wait_until(lambda: expected <= running.on_topics(), 60, "every stored event on its topic")
    with platform.engine.connect() as conn:
        rows = conn.execute(select(marac_referrals.c.referral_id)).scalars().all()
        victims = set(conn.execute(select(person_terms.c.person_id)).scalars())
        referral_count = conn.execute(select(func.count()).select_from(marac_referrals))
        assert referral_count.scalar_one() == len(answers)  # no duplicates, none lost
    assert sorted(rows) == sorted(referral_ids)
    assert {a["victim"]["person_id"] for a in answers} <= victims  # person index complete


def test_a_topic_that_lost_its_history_stops_the_projector_until_reconciled(platform):
    case = "c-reused"
    first = [referral_event(case_id=case, victim_id=f"p-{i}") for i in range(3)]
    platform.record(first)
    relay = platform.relay()
    relay.drain()
    projector = platform.projector("marac", batch_size=50)
    projector.catch_up(timeout=60)

    # the broker "forgets" the topic; new events then take the old offsets
    topic = platform.topics.topic("marac.cases")
    admin = admin_client(platform.bootstrap)
    try:
        admin.delete_topics([topic])
        wait_until(lambda: topic not in admin.list_topics(), 30, "the topic to go")
        admin.create_topics(
            [
                NewTopic(
                    topic, platform.settings.topic_partitions, 1, topic_configs=RETENTION_FOREVER
                )
            ]
        )
    finally:
        admin.close()
    # a partner system then puts five events straight on the topic, at offsets 0..4
    later = [referral_event(case_id=case, victim_id=f"p-later-{i}") for i in range(5)]
    platform.publisher.publish(later)
    archiver = platform.archiver()
    archiver.catch_up(timeout=60)
    archiver.close()

    with pytest.raises(TopicDiverged) as stopped:
        projector.catch_up(timeout=30)
    message = str(stopped.value)
    assert topic in message and "partition" in message and "offset" in message
    with platform.engine.connect() as conn:  # it stopped rather than skip the new events
        assert conn.execute(select(func.count()).select_from(marac_referrals)).scalar_one() == 3

    report = platform.reconcile()
    assert report.republished == 3  # the three the topic lost
    projector.catch_up(timeout=60)
    projector.close()
    live = dump(platform, "marac")
    assert _replayed_from_store(platform) == live
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(marac_referrals)).scalar_one() == 8
