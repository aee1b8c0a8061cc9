"""The accounts store opens safely under concurrent first use.

A fresh stack's first requests arrive at once. The store used to publish its engine before
creating its tables, so a second thread could query a table not made yet ("no such table:
web_accounts": seen when four clients started together in the broker outage test).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from services.intake.accounts import Accounts

pytestmark = pytest.mark.integration

THREADS = 12


@pytest.mark.parametrize("attempt", range(5))
def test_concurrent_first_use_of_a_new_accounts_store_finds_its_tables(tmp_path: Path, attempt):
    accounts = Accounts(f"sqlite:///{tmp_path / 'vault.db'}")
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def first_use() -> None:
        start.wait()
        try:
            accounts.get("nobody")  # reads web_accounts
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    accounts.close()
    assert errors == [], errors[:3]
