"""Shared steps for the MAPPA API tests: register nominals, send commands, watch the topic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.kernel.bus import end_offsets

COORDINATOR = ("probation-tv", "mappa_coordinator")
AREA = "thames-valley"

LEVEL_2_REASON = "High RoSH to ex-partner; multi-agency meetings add value"
LEVEL_3_NEED = "Police resources at short notice for an exclusion zone; local media interest"


def set_today(api, day: dt.date) -> None:
    api.platform.today = lambda: day


def writer(api, agency: str = "probation-tv") -> dict[str, str]:
    return api.headers(agency, "mappa_coordinator")


def registration(**overrides: Any) -> dict[str, Any]:
    body = {
        "area": AREA,
        "lead_agency": "probation-tv",
        "registered_on": "2026-01-12",
        "name": "Mark Jones",
        "aliases": ["Marky Jones"],
        "date_of_birth": "1984-07-19",
        "visor_reference": "VIS-0042117",
        "pnc_id": "02/0431123K",
        "probation_reference": "TV-2026-00871",
        "index_offence": "Wounding with intent against ex-partner",
        "sentence": "6 years' imprisonment",
        "sentence_date": "2021-03-04",
        "release_date": "2026-01-09",
        "licence_end_date": "2027-03-03",
        "address": "Approved premises, 1 Example Road, Reading RG1 1AA",
        "address_risk": "Must not live within 1 mile of the victim in Caversham",
        "rosh_level": "high",
        "risk_management_plan": "Exclusion zone; weekly probation appointments",
    }
    return body | overrides


def register(api, agency: str = "probation-tv", **overrides: Any) -> str:
    """Register a nominal; the tests register the same person many times, so each is
    confirmed not to be a duplicate unless the caller says otherwise."""
    overrides.setdefault("confirmed_not_duplicate", True)
    response = api.client.post(
        "/api/mappa/nominals", json=registration(**overrides), headers=writer(api, agency)
    )
    assert response.status_code == 201, response.text
    return response.json()["nominal_id"]


def post(api, nominal_id: str, what: str, body: dict, agency: str = "probation-tv"):
    return api.client.post(
        f"/api/mappa/nominals/{nominal_id}/{what}", json=body, headers=writer(api, agency)
    )


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def category(api, nominal_id: str, number: int, on: str, **extra: Any) -> dict:
    return ok(post(api, nominal_id, "category", {"category": number, "effective_on": on, **extra}))


def level(
    api, nominal_id: str, number: int, on: str, agency: str = "probation-tv", **extra: Any
) -> dict:
    body = {"level": number, "effective_on": on, "reason": LEVEL_2_REASON}
    if number == 3:
        body["senior_oversight_need"] = LEVEL_3_NEED
    return ok(post(api, nominal_id, "level", body | extra, agency=agency))


def review(api, nominal_id: str, held_on: str, **extra: Any) -> dict:
    body = {"held_on": held_on, "outcome": "Compliant with licence; level continues"}
    return ok(post(api, nominal_id, "reviews", body | extra), 201)


def read(api, nominal_id: str, agency: str, role: str = "agency_contact") -> dict:
    response = api.client.get(
        f"/api/mappa/nominals/{nominal_id}", headers=api.headers(agency, role)
    )
    return ok(response)


def mappa_topic_end(api) -> dict:
    """The mappa.nominals topic's end offsets once the relay has published everything stored:
    unchanged means nothing was recorded."""
    api.relay.drain()
    topic = api.platform.topics.topic("mappa.nominals")
    return end_offsets(api.platform.bootstrap, [topic])


def shown(data_class: str, value: str) -> dict:
    return {"status": "shown", "data_class": data_class, "value": value, "reason": None}


def withheld(data_class: str, reason: str) -> dict:
    return {"status": "withheld", "data_class": data_class, "value": None, "reason": reason}
