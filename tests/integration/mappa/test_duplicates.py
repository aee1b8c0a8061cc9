"""Registering a nominal twice: found by keyed blind index, refused with 409 naming the first.

The identity is encrypted, so the check cannot read it back: registration indexes the PNC ID,
the ViSOR reference, and the name with date of birth as keyed digests, and a later
registration with any of them is refused (nothing published) unless the coordinator confirms.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from projections.sharing import person_terms
from tests.integration.mappa.helpers import (
    mappa_topic_end,
    ok,
    register,
    registration,
    set_today,
    writer,
)

pytestmark = pytest.mark.integration

OTHER_PERSON = {
    "name": "Paul Other",
    "date_of_birth": "1990-02-03",
    "pnc_id": "09/0000001A",
    "visor_reference": "VIS-0000001",
}


def _post(api, **overrides):
    return api.client.post(
        "/api/mappa/nominals", json=registration(**overrides), headers=writer(api)
    )


@pytest.mark.parametrize(
    ("same", "matched_on"),
    [
        ({"pnc_id": "02/0431123K"}, ["pnc_id"]),
        ({"pnc_id": " 02/0431123k "}, ["pnc_id"]),  # spacing and case ignored
        ({"visor_reference": "VIS-0042117"}, ["visor_reference"]),
        ({"name": "mark JONES", "date_of_birth": "1984-07-19"}, ["exact"]),
    ],
)
def test_a_second_registration_matching_the_first_is_refused_naming_it(api, same, matched_on):
    set_today(api, dt.date(2026, 2, 1))
    first = register(api)
    before = mappa_topic_end(api)

    refused = _post(api, **(OTHER_PERSON | same))

    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail["rule"] == "possible_duplicate"
    assert detail["existing_nominal_ids"] == [first]
    assert detail["matched_on"] == matched_on
    assert first in detail["message"]
    assert mappa_topic_end(api) == before  # nothing published


def test_confirming_registers_anyway_and_a_different_person_is_no_duplicate(api):
    set_today(api, dt.date(2026, 2, 1))
    first = register(api)

    different = ok(_post(api, **OTHER_PERSON), 201)
    again = ok(_post(api, confirmed_not_duplicate=True), 201)

    assert len({first, different["nominal_id"], again["nominal_id"]}) == 3
    # a third registration now names both earlier records of the same person
    refused = _post(api).json()["detail"]
    assert refused["existing_nominal_ids"] == sorted([first, again["nominal_id"]])


def test_a_near_name_match_is_no_duplicate_and_nothing_is_indexed_in_the_clear(api):
    set_today(api, dt.date(2026, 2, 1))
    first = register(api)

    near = _post(api, **(OTHER_PERSON | {"name": "M. Jones", "date_of_birth": "1984-07-19"}))

    assert near.status_code == 201, near.text
    with api.platform.engine.connect() as conn:
        rows = conn.execute(select(person_terms).where(person_terms.c.person_id == first)).all()
    assert {r.variant for r in rows} >= {"exact", "name", "pnc_id", "visor_reference"}
    assert {r.role for r in rows} == {"nominal"}
    assert all("jones" not in r.digest.lower() and "0431123" not in r.digest for r in rows)


def test_the_nominal_list_filters_and_shows_each_name_under_the_agreement(api):
    set_today(api, dt.date(2026, 2, 1))
    first = register(api, registered_on="2026-01-05")
    second = register(api, **(OTHER_PERSON | {"lead_agency": "tvp"}))

    def listed(who=("probation-tv", "mappa_coordinator"), **params):
        response = api.client.get("/api/mappa/nominals", params=params, headers=api.headers(*who))
        assert response.status_code == 200, response.text
        return response.json()

    everyone = listed()
    assert everyone["total"] == 2
    assert [n["nominal_id"] for n in everyone["nominals"]] == [second, first]  # latest first
    assert [n["name"]["value"] for n in everyone["nominals"]] == ["Paul Other", "Mark Jones"]
    assert [n["nominal_id"] for n in listed(lead_agency="tvp")["nominals"]] == [second]
    assert listed(management="ended")["total"] == 0
    page = listed(limit=1, offset=1)
    assert (page["total"], [n["nominal_id"] for n in page["nominals"]]) == (2, [first])
    housing = listed(("housing-oxford", "agency_contact"))["nominals"][0]["name"]
    assert housing["status"] == "withheld" and housing["value"] is None
    refused = api.client.get(
        "/api/mappa/nominals", headers=api.headers("marac-coord", "mappa_coordinator")
    )
    assert refused.status_code == 403
