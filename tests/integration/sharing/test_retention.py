"""ISA retention is enforced: past it, subjects are crypto-shredded and the erasure recorded."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select

from projections.sharing import erasure_log
from services.cli import main as tandem
from services.sharing.retention import RetentionJob, add_months
from services.stack import Stack
from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration

COORDINATOR = ("marac-coord", "coordinator")


def submit(api) -> dict:
    response = api.client.post(
        "/api/marac/referrals", json=referral(yes=16), headers=api.headers("idva-oxon", "referrer")
    )
    assert response.status_code == 201, response.text
    api.settle()
    return response.json()


def cli_env(api, monkeypatch) -> None:
    settings = api.platform.settings
    monkeypatch.setenv("TANDEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANDEM_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TANDEM_VAULT_DATABASE_URL", settings.vault_database_url)
    monkeypatch.setenv("TANDEM_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("TANDEM_KAFKA_BOOTSTRAP", api.platform.bootstrap)


def test_tandem_retention_reports_then_shreds_what_is_past_retention(api, monkeypatch, capsys):
    case = submit(api)
    victim, referral_id = case["victim"]["person_id"], case["referral_id"]
    today = dt.date.today()  # the day the referral was recorded: MARAC's clock starts here
    due = add_months(today, 72)
    cli_env(api, monkeypatch)

    assert (
        tandem(["retention", "--dry-run", "--as-of", (due - dt.timedelta(days=1)).isoformat()]) == 0
    )
    early = capsys.readouterr().out
    assert "0 subject(s) past retention" in early and victim not in early

    assert tandem(["retention", "--dry-run", "--as-of", due.isoformat()]) == 0
    report = capsys.readouterr().out
    header = report.splitlines()[0].split()
    assert header[:2] == ["subject", "purpose"] and "action" in header
    (row,) = [line for line in report.splitlines() if line.startswith(victim)]
    assert row.split() == [
        victim, "marac", today.isoformat(), "72", "months", due.isoformat(), "would", "erase"
    ]  # fmt: skip
    assert case["case_id"] in report and "dry run, nothing erased" in report
    assert not api.platform.vault.is_erased(victim)

    assert tandem(["retention", "--as-of", due.isoformat()]) == 0
    done = capsys.readouterr()
    assert "erased" in done.out.splitlines()[-1]
    assert "retention:" in done.err  # progress
    api.platform.vault._cache.clear()  # another process erased: this one's cache expires
    assert api.platform.vault.is_erased(victim)
    api.settle()
    with api.platform.engine.connect() as conn:
        logged = conn.execute(select(erasure_log).where(erasure_log.c.subject_id == victim)).one()
    assert (logged.trigger, logged.requested_by, logged.requested_by_agency) == (
        "retention",
        "retention job",
        "thames-valley-da-isa",
    )
    view = api.client.get(f"/api/marac/referrals/{referral_id}", headers=api.headers(*COORDINATOR))
    assert view.status_code == 200
    assert view.json()["detail"]["victim"]["name"]["status"] == "erased"

    # run again: nothing left to do, and nothing is erased twice
    assert tandem(["retention", "--as-of", due.isoformat()]) == 0
    assert "0 subject(s) past retention" in capsys.readouterr().out


def test_the_running_stack_applies_retention_on_its_interval(api):
    case = submit(api)
    victim = case["victim"]["person_id"]
    later = add_months(dt.date.today(), 73)
    api.platform.today = lambda: later
    settings = dataclasses.replace(api.platform.settings, retention_interval_seconds=1)
    said: list[str] = []
    stack = Stack(settings, say=said.append, platform=api.platform)
    stop = threading.Event()
    loop = threading.Thread(target=stack._retention_loop, args=(stop,), daemon=True)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while not api.platform.vault.is_erased(victim):
            assert time.monotonic() < deadline, said
            time.sleep(0.2)
    finally:
        stop.set()
        loop.join(timeout=15)
    assert not loop.is_alive()
    assert any("retention" in line and "erased" in line for line in said), said
    assert RetentionJob(api.platform.sharing, api.platform.record).plan(later).due == []


def test_register_subjects_rebuilds_the_register_from_the_event_store(api, monkeypatch, capsys):
    """After an upgrade: subjects recorded before the register existed become known."""
    from services.sharing.vault_tables import subject_sources

    case = submit(api)
    victim = case["victim"]["person_id"]
    with api.platform.vault.engine.begin() as conn:
        before = conn.execute(select(subject_sources)).all()
        conn.execute(subject_sources.delete())  # as on an installation older than the register
    api.platform.sharing.subjects._seen.clear()
    assert api.platform.sharing.subjects.agencies(victim) == set()
    cli_env(api, monkeypatch)

    assert tandem(["register-subjects"]) == 0
    assert "brought up to date" in capsys.readouterr().out
    with api.platform.vault.engine.connect() as conn:
        after = conn.execute(select(subject_sources)).all()
    assert sorted(map(tuple, after)) == sorted(map(tuple, before))
    assert tandem(["register-subjects"]) == 0  # again: nothing changes
    with api.platform.vault.engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(subject_sources)).all())) == sorted(
            map(tuple, before)
        )
