"""Every /api/ route needs a valid bearer token naming a party and a role it may hold."""

import pytest

pytestmark = pytest.mark.integration


def test_no_token_is_401(api):
    response = api.client.get("/api/audit/access", params={"subject_id": "p-1"})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_forged_token_is_401(api):
    token = api.platform.tokens.issue("mallory", "tvp", "dpo")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = api.client.get(
        "/api/audit/access",
        params={"subject_id": "p-1"},
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert response.status_code == 401


def test_wrong_role_is_403(api):
    response = api.client.get(
        "/api/audit/access",
        params={"subject_id": "p-1"},
        headers=api.headers("housing-oxford", "referrer"),
    )
    assert response.status_code == 403
    assert "needs dpo or coordinator" in response.json()["detail"]


def test_agency_outside_the_agreement_is_401(api):
    response = api.client.get(
        "/api/audit/access",
        params={"subject_id": "p-1"},
        headers=api.headers("acme-security", "dpo"),
    )
    assert response.status_code == 401
    assert "not a party" in response.json()["detail"]


def test_role_reserved_for_other_party_types_is_refused(api):
    response = api.client.get(
        "/api/persons/matches", headers=api.headers("housing-oxford", "coordinator")
    )
    assert response.status_code == 401
    assert "housing-oxford is a housing party" in response.json()["detail"]


def test_a_dpo_reads_no_trail_of_an_unknown_subject(api):
    response = api.client.get(
        "/api/audit/access", params={"subject_id": "p-1"}, headers=api.headers("tvp", "dpo")
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "no data subject p-1 in tvp's scope"
