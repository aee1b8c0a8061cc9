"""Fuzz every API operation from its OpenAPI, as each role: no 5xx, answers match the schema.

Schemathesis (pinned in the test extra) generates requests from the published OpenAPI, valid
and invalid, and sends them to the app in process, on a real broker and database. Each role
gets ``TANDEM_FUZZ_EXAMPLES`` examples per operation (default 6: bounded so the suite stays
inside CI's time; raise it locally to dig). The runs are derandomized, so CI is repeatable;
set ``TANDEM_FUZZ_SEED`` to explore other inputs.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("TANDEM_FUZZ_EXAMPLES", "6"))
SEED = os.environ.get("TANDEM_FUZZ_SEED")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

CALLERS = {
    "referrer": "idva-oxon",
    "coordinator": "marac-coord",
    "analyst": "tvp",
    "mappa_coordinator": "probation-tv",
    "dpo": "idva-oxon",
}


def fuzz(operation, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", sorted(CALLERS))
def test_no_operation_fails_or_breaks_its_schema(api, role):
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = api.headers(CALLERS[role], role)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        if not operation.path.startswith("/api/"):
            continue
        fuzz(operation, headers)
