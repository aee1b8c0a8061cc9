"""MATAC API tests run on a fixed 'today' so hand-worked scores stay true."""

from __future__ import annotations

import pytest

from tests.integration.matac.scenario import TODAY


@pytest.fixture
def matac(api):
    """The API harness with the platform's date fixed at the scenario's TODAY."""
    api.platform.today = lambda: TODAY
    return api
