"""Every request example in the API reference works verbatim on a demo stack.

The incident example once named an id nobody had issued and made a phantom victim. Here the
demo is seeded, the reference is read the way /docs reads it, and each operation's first
example (the one "Try it out" fills in) is sent exactly as shown, path parameters included,
by a caller the operation admits. Each must be accepted.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from services.demo import seed
from services.intake import api_examples

pytestmark = pytest.mark.integration

CALLER_OF_PATH = [
    ("/api/sharing/", ("idva-oxon", "dpo")),
    ("/api/persons/", ("marac-coord", "coordinator")),
    ("/api/marac/referrals", ("idva-oxon", "referrer")),
    ("/api/marac/actions/{action_id}/", ("housing-oxford", "referrer")),
    ("/api/marac/", ("marac-coord", "coordinator")),
    ("/api/mappa/", ("mappa-coord", "mappa_coordinator")),
    ("/api/matac/", ("tvp", "analyst")),
]
"""Who sends each example: the first prefix that matches. The owner of the demo action
(Oxford City Council housing) marks it done."""

LAST = ("/api/sharing/erasures", "/api/marac/referrals/{referral_id}/withdraw")
"""Sent after the rest: erasing a subject, or withdrawing the referral the others act on, is
the end of that story."""


def caller_for(path: str) -> tuple[str, str]:
    return next(caller for prefix, caller in CALLER_OF_PATH if path.startswith(prefix))


def first_example(parameter_or_schema: dict) -> object:
    if "example" in parameter_or_schema:
        return parameter_or_schema["example"]
    examples = parameter_or_schema.get("examples") or parameter_or_schema.get("schema", {}).get(
        "examples"
    )
    assert examples, f"no example for {parameter_or_schema.get('name', parameter_or_schema)}"
    return examples[0]


def operations_with_bodies(spec: dict):
    components = spec["components"]["schemas"]
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            path_values = {
                p["name"]: first_example(p)
                for p in operation.get("parameters", [])
                if p["in"] == "path"
            }
            url = re.sub(r"\{(\w+)\}", lambda m, values=path_values: str(values[m.group(1)]), path)
            found.append((method.upper(), path, url, first_example(components[name])))
    return sorted(found, key=lambda op: op[1].startswith(LAST))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "today",
    [api_examples.EXAMPLES_AS_OF, dt.date(2027, 8, 19)],
    ids=["on-the-examples-day", "months-later"],
)
def test_every_first_example_is_accepted_as_shown_on_a_demo_stack(api, today):
    api.platform.today = lambda: today
    said: list[str] = []
    seed(api.platform, said.append)
    recorded = api_examples.demo_ids(api.platform.settings.data_dir)
    assert set(recorded) == set(api_examples.PLACEHOLDERS), "\n".join(said)

    spec = api.client.get("/openapi.json").json()
    text = str(spec)
    assert not [p for p in api_examples.PLACEHOLDERS if p in text], "placeholders left"

    operations = operations_with_bodies(spec)
    assert len(operations) >= 18
    refused = []
    for method, path, url, example in operations:
        agency, role = caller_for(path)
        answer = api.client.request(method, url, json=example, headers=api.headers(agency, role))
        if answer.status_code >= 300:
            refused.append(
                f"{method} {path} as {role}@{agency}: {answer.status_code} {answer.text}"
            )
        api.settle()
    assert not refused, "\n".join(refused)
