"""The pages' security at the HTTP level: sessions, CSRF, headers, roles (no browser needed)."""

from __future__ import annotations

import pytest

from services.intake.accounts import Accounts, hash_password, password_matches
from tests.api_harness import PASSWORD, try_sign_in, with_people
from tests.api_harness import csrf_token as token


@pytest.fixture
def web(api):
    return with_people(api)


def sign_in(client, username: str) -> None:
    response = try_sign_in(client, username)
    assert response.status_code == 303, response.text


def test_passwords_are_salted_scrypt_hashes():
    first, second = hash_password("a long password"), hash_password("a long password")
    assert first != second and first.startswith("scrypt$")
    assert password_matches("a long password", first)
    assert not password_matches("a long passworD", first)


def test_pages_need_a_session_and_the_api_still_needs_a_token(web):
    response = web.client.get("/marac/referrals?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fmarac%2Freferrals%3Fx%3D1"
    assert web.client.get("/api/marac/meetings").status_code == 401


def test_a_form_posted_without_the_csrf_token_is_refused(web):
    sign_in(web.client, "chair")
    response = web.client.post(
        "/marac/meetings/new", data={"marac_area": "oxford"}, follow_redirects=False
    )
    assert response.status_code == 400
    assert "The form has expired" in response.text
    forged = web.client.post(
        "/marac/meetings/new",
        data={"marac_area": "oxford", "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert forged.status_code == 400


def test_a_token_from_another_session_is_refused(web):
    sign_in(web.client, "idva")
    idva_token = token(web.client.get("/marac/referrals/new").text)
    web.client.cookies.clear()
    sign_in(web.client, "chair")
    response = web.client.post("/marac/referrals/new", data={"csrf_token": idva_token})
    assert response.status_code == 400


def test_pages_send_security_headers_and_the_session_cookie_is_httponly_and_lax(web):
    page = web.client.get("/sign-in")
    headers = page.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    response = web.client.post(
        "/sign-in",
        data={"csrf_token": token(page.text), "username": "chair", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "tandem_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_page_for_another_role_is_a_403_page_and_a_bad_next_is_ignored(web):
    sign_in(web.client, "idva")
    response = web.client.get("/marac/actions/overdue")
    assert response.status_code == 403
    assert "You cannot use this page" in response.text
    page = web.client.get("/sign-in")
    response = web.client.post(
        "/sign-in",
        data={
            "csrf_token": token(page.text),
            "username": "idva",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_a_removed_account_is_signed_out(web):
    sign_in(web.client, "idva")
    assert web.client.get("/marac/referrals", follow_redirects=False).status_code == 200
    accounts = Accounts(web.platform.settings.vault_database_url)
    accounts.remove("idva")
    accounts.close()
    assert web.client.get("/marac/referrals", follow_redirects=False).status_code == 303
