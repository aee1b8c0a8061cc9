"""`tandem up --demo` gives every role something to look at: MARAC, MATAC and MAPPA."""

from __future__ import annotations

import pytest

from services.demo import DEMO_ACCOUNTS, seed

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_seeds_accounts_cases_incidents_and_nominals_once(api):
    said: list[str] = []
    seed(api.platform, said.append)
    text = "\n".join(said)
    assert "refused" not in text and "not created" not in text, text
    for username, *_ in DEMO_ACCOUNTS:
        assert api.platform.accounts.get(username) is not None

    analyst = api.headers("tvp", "analyst")
    ranking = api.client.get("/api/matac/rankings", params={"area": "oxford"}, headers=analyst)
    assert ranking.status_code == 200, ranking.text
    assert len(ranking.json()["rows"]) == 2

    mappa = api.headers("mappa-coord", "mappa_coordinator")
    stats = api.client.get("/api/mappa/stats", params={"area": "thames-valley"}, headers=mappa)
    assert stats.status_code == 200, stats.text
    assert stats.json()["areas"][0]["as_at"]["total"] == 3  # Lee Demo: the examples' nominal

    again: list[str] = []
    seed(api.platform, again.append)
    assert "  (demo cases were added on an earlier start)" in again
