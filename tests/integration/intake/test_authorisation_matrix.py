"""Every API route refuses every caller it should, and a refusal shows no personal data.

The table below is the authorisation rule, written out: for each route in the OpenAPI, the
roles that may call it (``ANY_ROLE`` where the agency and the ISA decide instead, checked by
``AGENCY_SCOPED``). A new route fails ``test_the_table_names_every_route`` until someone
decides who may call it. Then every route is called with no token, an expired token, a
revoked token, the token of a removed account and a token of an agency outside the agreement
(all 401); with every role it does not admit (403); and the agency-scoped reads with an
agency that is not entitled (403 or 404). No refusal may carry the seeded names.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from services.intake.tokens import Tokens
from tests.integration.mappa.helpers import register
from tests.integration.marac.referral_data import referral
from tests.integration.matac.scenario import body, record

pytestmark = pytest.mark.integration

ANY_ROLE = None
PARTNERS = {"analyst", "coordinator", "agency_contact", "referrer", "mappa_coordinator"}
MAPPA_WRITER = {"mappa_coordinator"}

ROUTES: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/api/audit/access"): {"dpo", "coordinator"},
    ("POST", "/api/sharing/erasures"): {"dpo"},
    ("GET", "/api/persons/matches"): {"coordinator"},
    ("POST", "/api/persons/matches/{proposal_id}/decision"): {"coordinator"},
    ("POST", "/api/marac/referrals"): {"referrer", "coordinator"},
    ("GET", "/api/marac/referrals/{referral_id}"): ANY_ROLE,
    ("POST", "/api/marac/referrals/{referral_id}/withdraw"): {"referrer", "coordinator"},
    ("POST", "/api/marac/referrals/{referral_id}/correction"): {"referrer", "coordinator"},
    ("GET", "/api/marac/cases/{case_id}"): ANY_ROLE,
    ("POST", "/api/marac/meetings"): {"coordinator"},
    ("GET", "/api/marac/meetings"): ANY_ROLE,
    ("GET", "/api/marac/meetings/{meeting_id}/agenda"): ANY_ROLE,
    ("POST", "/api/marac/meetings/{meeting_id}/agenda/publish"): {"coordinator"},
    ("POST", "/api/marac/actions"): {"coordinator"},
    ("GET", "/api/marac/actions"): ANY_ROLE,
    ("POST", "/api/marac/actions/{action_id}/status"): ANY_ROLE,
    ("GET", "/api/marac/returns"): {"coordinator"},
    ("POST", "/api/mappa/nominals"): MAPPA_WRITER,
    ("POST", "/api/mappa/nominals/{nominal_id}/category"): MAPPA_WRITER,
    ("POST", "/api/mappa/nominals/{nominal_id}/level"): MAPPA_WRITER,
    ("POST", "/api/mappa/nominals/{nominal_id}/reviews"): MAPPA_WRITER,
    ("POST", "/api/mappa/nominals/{nominal_id}/lead-agency"): MAPPA_WRITER,
    ("POST", "/api/mappa/nominals/{nominal_id}/transfer"): MAPPA_WRITER,
    ("POST", "/api/mappa/nominals/{nominal_id}/end"): MAPPA_WRITER,
    ("GET", "/api/mappa/nominals"): ANY_ROLE,
    ("GET", "/api/mappa/nominals/{nominal_id}"): ANY_ROLE,
    ("GET", "/api/mappa/reviews"): ANY_ROLE,
    ("GET", "/api/mappa/stats"): ANY_ROLE,
    ("POST", "/api/matac/incidents"): {"analyst"},
    ("POST", "/api/matac/perpetrators/{person_id}/status"): {"analyst"},
    ("POST", "/api/matac/nominations"): PARTNERS,
    ("GET", "/api/matac/rankings"): {"analyst", "coordinator"},
    ("GET", "/api/matac/perpetrators/{person_id}"): PARTNERS,
    ("GET", "/api/matac/perpetrators/{person_id}/history"): PARTNERS,
    ("POST", "/api/matac/cohort"): {"analyst"},
    ("GET", "/api/matac/cohort"): {"analyst", "coordinator"},
    ("DELETE", "/api/matac/cohort/{person_id}"): {"analyst"},
    ("GET", "/api/search"): {"coordinator", "analyst", "mappa_coordinator"},
}

AGENCY_OF_ROLE = {
    "referrer": "idva-oxon",
    "coordinator": "marac-coord",
    "agency_contact": "housing-oxford",
    "analyst": "tvp",
    "mappa_coordinator": "probation-tv",
    "dpo": "idva-oxon",
}

VICTIM = "Zebedee Quillfeather"
PERPETRATOR = "Barnabas Quillfeather"
NOMINAL = "Octavius Marchbanks"
SUSPECT = "Peregrine Fothergill"
MARKERS = (VICTIM, PERPETRATOR, NOMINAL, SUSPECT, "Quillfeather", "Marchbanks")


@pytest.fixture
def seeded(api):
    """A case, a nominal and a MATAC suspect whose names must never reach a refused caller."""
    case = api.client.post(
        "/api/marac/referrals",
        json=referral(victim=VICTIM, perpetrator=PERPETRATOR),
        headers=api.headers("idva-oxon", "referrer"),
    )
    assert case.status_code == 201, case.text
    nominal = register(api, name=NOMINAL)
    incident = record(
        api,
        body(
            "INC-MATRIX-1",
            "2026-01-05",
            ["common_assault"],
            {"name": SUSPECT, "date_of_birth": "1980-01-01"},
            [{"name": "Rosalind Fothergill", "date_of_birth": "1982-02-02"}],
        ),
    )
    return {
        "referral_id": case.json()["referral_id"],
        "case_id": case.json()["case_id"],
        "nominal_id": nominal,
        "person_id": incident["suspect_person_id"],
        "meeting_id": "m-unknown",
        "action_id": "a-unknown",
        "proposal_id": "p-unknown",
    }


def url(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def call(api, method: str, path: str, headers: dict[str, str]):
    return api.client.request(method, path, headers=headers, json={})


def assert_refused(response, statuses: tuple[int, ...], what: str) -> None:
    assert response.status_code in statuses, f"{what}: {response.status_code} {response.text}"
    for marker in MARKERS:
        assert marker not in response.text, f"{what}: the refusal shows {marker!r}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused_credentials(api) -> dict[str, dict[str, str]]:
    tokens, accounts = api.platform.tokens, api.platform.accounts
    tokens.issue("expired-svc", "marac-coord", "coordinator")
    a_day_ago = Tokens(
        tokens.signer,
        accounts,
        person_lifetime=dt.timedelta(hours=8),
        service_lifetime=dt.timedelta(hours=8),
        clock=lambda: time.time() - 86_400,
    )
    expired = a_day_ago.for_account(accounts.get("expired-svc"))
    revoked = tokens.issue("revoked-svc", "marac-coord", "coordinator")
    tokens.revoke("revoked-svc")
    removed = tokens.issue("removed-svc", "marac-coord", "coordinator")
    accounts.remove("removed-svc")
    outsider = tokens.issue("outsider", "acme-security", "coordinator")
    return {
        "no token": {},
        "expired": bearer(expired),
        "revoked": bearer(revoked),
        "removed account": bearer(removed),
        "agency outside the agreement": bearer(outsider),
    }


def sqlite_only(test):
    """Authorisation does not depend on the database; one backend keeps the suite quick."""
    return pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)(test)


@sqlite_only
def test_the_table_names_every_route(api):
    spec = api.client.get("/openapi.json").json()
    routes = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    assert routes == set(ROUTES), (
        f"routes without a rule: {sorted(routes - set(ROUTES))}; "
        f"rules for no route: {sorted(set(ROUTES) - routes)}"
    )


@sqlite_only
def test_every_route_refuses_a_caller_without_a_good_token(api, seeded):
    for label, headers in refused_credentials(api).items():
        for method, path in ROUTES:
            response = call(api, method, url(path, seeded), headers)
            assert_refused(response, (401,), f"{method} {path} with {label}")


@sqlite_only
def test_every_route_refuses_the_roles_it_does_not_admit(api, seeded):
    checked = 0
    for (method, path), roles in ROUTES.items():
        if roles is ANY_ROLE:
            continue
        for role in sorted(set(AGENCY_OF_ROLE) - roles):
            headers = api.headers(AGENCY_OF_ROLE[role], role)
            response = call(api, method, url(path, seeded), headers)
            assert_refused(response, (403,), f"{method} {path} as {role}")
            checked += 1
    assert checked > 80  # the table really drove the requests


AGENCY_SCOPED = [
    # (method, path, agency, role, statuses): a role that may call the route, from an agency
    # with no right to this record.
    ("GET", "/api/marac/referrals/{referral_id}", "housing-oxford", "referrer", (404,)),
    ("GET", "/api/marac/cases/{case_id}", "housing-oxford", "referrer", (404,)),
    ("GET", "/api/marac/cases/{case_id}", "health-ouh", "agency_contact", (404,)),
    ("GET", "/api/mappa/nominals/{nominal_id}", "idva-oxon", "referrer", (404,)),
    ("GET", "/api/mappa/nominals/{nominal_id}", "idva-oxon", "agency_contact", (404,)),
    ("GET", "/api/mappa/nominals", "idva-oxon", "referrer", (403,)),
    ("GET", "/api/mappa/nominals", "marac-coord", "mappa_coordinator", (403,)),
    ("GET", "/api/mappa/reviews", "idva-oxon", "referrer", (403,)),
    ("GET", "/api/mappa/stats", "idva-oxon", "referrer", (403,)),
    ("GET", "/api/matac/perpetrators/{person_id}", "housing-oxford", "referrer", (403, 404)),
    ("GET", "/api/matac/perpetrators/{person_id}/history", "idva-oxon", "referrer", (403, 404)),
]


@sqlite_only
def test_agency_scoped_records_refuse_other_agencies(api, seeded):
    for method, path, agency, role, statuses in AGENCY_SCOPED:
        response = call(api, method, url(path, seeded), api.headers(agency, role))
        assert_refused(response, statuses, f"{method} {path} as {role} of {agency}")
    # and the entitled reader does see the record, so the refusals above are real
    owner = api.client.get(
        url("/api/marac/referrals/{referral_id}", seeded),
        headers=api.headers("idva-oxon", "referrer"),
    )
    assert owner.status_code == 200
    nominal = api.client.get(
        url("/api/mappa/nominals/{nominal_id}", seeded),
        headers=api.headers("probation-tv", "mappa_coordinator"),
    )
    assert NOMINAL in nominal.text
