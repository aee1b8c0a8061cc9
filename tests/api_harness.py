"""Drive the HTTP API against a real broker and database, with projections kept in step.

Commands project their own events in their transaction, so reads see them at once. ``settle()``
also relays everything stored to Kafka and applies everything on the topics to every read
model (events partners put straight on a topic, dead letters), deterministically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from projections.runtime import Projector
from services.bootstrap import Platform
from services.kernel.relay import Relay


@dataclass
class ApiHarness:
    platform: Platform
    client: TestClient
    projectors: dict[str, Projector] = field(default_factory=dict)
    relay: Relay = field(init=False)

    def __post_init__(self) -> None:
        self.relay = self.platform.relay()

    def headers(self, agency: str, role: str, user: str | None = None) -> dict[str, str]:
        token = self.platform.tokens.issue(user or f"{role}@{agency}", agency, role)
        return {"Authorization": f"Bearer {token}"}

    def settle(self, timeout: float = 60.0) -> None:
        self.relay.drain(timeout)
        for name in self.platform.projections:
            if name not in self.projectors:
                self.projectors[name] = self.platform.projector(name, batch_size=200)
            self.projectors[name].catch_up(timeout=timeout)

    def close(self) -> None:
        for projector in self.projectors.values():
            projector.close()
        self.client.close()


PASSWORD = "correct-horse-battery"
"""The password of the people ``with_people`` adds."""


def with_people(api: ApiHarness) -> ApiHarness:
    """The harness with two people who can sign in to the pages: a chair and an IDVA."""
    api.platform.accounts.add("chair", "marac-coord", "coordinator", PASSWORD)
    api.platform.accounts.add("idva", "idva-oxon", "referrer", PASSWORD)
    return api


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def try_sign_in(client: TestClient, username: str, password: str = PASSWORD):
    """Post the sign-in form as a browser would (CSRF token from the page first)."""
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"csrf_token": csrf_token(page.text), "username": username, "password": password},
        follow_redirects=False,
    )
