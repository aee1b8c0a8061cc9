"""One person is one person: concurrent posts of the same person, and confirmed matches.

Three incidents for the same suspect posted at once made three person ids (and no near-match
proposal), so MATAC ranked one perpetrator twice. Matching decides inside the command's
transaction, under the append lock, against the person terms the other commands projected.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from services.bootstrap import Platform
from services.kernel.embedded_broker import free_port
from tests.integration.marac.referral_data import referral
from tests.integration.matac.scenario import TODAY, body

pytestmark = pytest.mark.integration

SUSPECT = {"name": "Lee Carter", "date_of_birth": "1985-04-09"}


@pytest.fixture
def served(platform: Platform) -> Iterator[str]:
    """The real app served by uvicorn on a free loopback port: requests really overlap."""
    from services.intake.app import create_app

    platform.today = lambda: TODAY
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(platform), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    web = threading.Thread(target=server.run, name="web", daemon=True)
    web.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert web.is_alive(), "the web app did not start"
        assert time.monotonic() < deadline, "the web app did not start in time"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        web.join(timeout=15)


def post_at_once(base: str, path: str, headers: dict, bodies: list[dict]) -> list[dict]:
    """Post every body at the same moment (a barrier lines the threads up)."""
    barrier = threading.Barrier(len(bodies))

    def post(payload: dict) -> dict:
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            response = client.post(path, json=payload, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def headers(platform: Platform, agency: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.tokens.issue(f'{role}@{agency}', agency, role)}"}


def test_three_concurrent_incidents_for_one_suspect_make_one_person(platform, served):
    incidents = [
        body(f"INC-C{n}", f"2026-02-0{n}", ["abh"], dict(SUSPECT), [{"name": f"Victim {n}",
             "date_of_birth": "1990-01-01"}])
        for n in (1, 2, 3)
    ]  # fmt: skip
    answers = post_at_once(
        served, "/api/matac/incidents", headers(platform, "tvp", "analyst"), incidents
    )

    assert len({a["suspect_person_id"] for a in answers}) == 1, answers
    assert sorted(a["suspect_match"] for a in answers) == ["exact", "exact", "new"]
    with httpx.Client(base_url=served, timeout=60) as client:
        ranked = client.get(
            "/api/matac/rankings",
            params={"area": "oxford"},
            headers=headers(platform, "tvp", "analyst"),
        ).json()
    rows = [r for r in ranked["rows"] if r["person_id"] == answers[0]["suspect_person_id"]]
    assert len(ranked["rows"]) == 1 and rows[0]["frequency"] == 3, ranked


def test_three_concurrent_referrals_for_one_victim_make_one_person(platform, served):
    # different DASH answers: three referrals of one victim, not one referral sent three times
    referrals = [referral(referral_date="2026-02-02", yes=14 + i) for i in range(3)]
    answers = post_at_once(
        served, "/api/marac/referrals", headers(platform, "idva-oxon", "referrer"), referrals
    )

    assert len({a["victim"]["person_id"] for a in answers}) == 1, answers
    assert sorted(a["victim"]["match"] or "new" for a in answers) == ["exact", "exact", "new"]
    perpetrators = {p["person_id"] for a in answers for p in a["perpetrators"]}
    assert len(perpetrators) == 1, answers
    # each later referral sees the earlier one of the same victim: a repeat of one case
    assert sorted(a["repeat"] for a in answers) == [False, True, True]
    assert len({a["case_id"] for a in answers}) == 1, answers
