"""Tokens expire and end with their account; sign-in is throttled and lockouts are events.

Each case was open before: a token dated 1970 for a user with no account worked, tokens
survived sign-out and account changes, and 50 wrong passwords in a row were all answered 400.
"""

from __future__ import annotations

import datetime as dt
import stat
import time

import pytest

from services.intake.sign_in_throttle import ACCOUNT, ADDRESS, FailureCount
from services.intake.tokens import TokenClaims, Tokens
from services.kernel import store
from tests.api_harness import PASSWORD, try_sign_in, with_people
from tests.api_harness import csrf_token as csrf

pytestmark = pytest.mark.integration

READ = "/api/marac/meetings"  # any role may read it: 200 with a good token


@pytest.fixture
def web(api):
    return with_people(api)


def api_read(api, token: str) -> int:
    return api.client.get(READ, headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_valid_token_works_and_an_expired_one_is_refused(api):
    tokens = api.platform.tokens
    fresh = tokens.issue("chair@marac-coord", "marac-coord", "coordinator")
    assert api_read(api, fresh) == 200
    account = api.platform.accounts.get("chair@marac-coord")
    yesterday = Tokens(
        tokens.signer,
        api.platform.accounts,
        person_lifetime=dt.timedelta(hours=8),
        service_lifetime=dt.timedelta(hours=8),
        clock=lambda: time.time() - 86_400,
    )
    expired = yesterday.for_account(account)
    response = api.client.get(READ, headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_token_for_a_user_with_no_account_is_refused_even_if_signed(api):
    forged_in_1970 = api.platform.tokens.signer.sign(
        TokenClaims("ghost", "marac-coord", "coordinator", 0, 2**40, 0)
    )
    assert api_read(api, forged_in_1970) == 401


def test_a_first_format_token_that_never_expires_is_refused(api):
    response = api.client.get(READ, headers={"Authorization": "Bearer tdm1.e30.abc"})
    assert response.status_code == 401
    assert "older format" in response.json()["detail"]


def test_revoking_an_account_ends_its_tokens_and_a_new_one_works(api):
    tokens = api.platform.tokens
    old = tokens.issue("svc-returns", "marac-coord", "coordinator")
    assert tokens.revoke("svc-returns")
    assert api_read(api, old) == 401
    assert api_read(api, tokens.issue("svc-returns", "marac-coord", "coordinator")) == 200


def test_moving_a_service_to_another_role_ends_its_old_tokens(api):
    tokens = api.platform.tokens
    coordinator = tokens.issue("svc", "marac-coord", "coordinator")
    second = tokens.issue("svc", "marac-coord", "coordinator")
    assert api_read(api, coordinator) == api_read(api, second) == 200
    tokens.issue("svc", "marac-coord", "dpo")
    assert api_read(api, coordinator) == 401


def test_changing_or_removing_a_persons_account_ends_their_session_and_tokens(web):
    assert try_sign_in(web.client, "chair", PASSWORD).status_code == 303
    session = web.client.cookies.get("tandem_session")
    assert api_read(web, session) == 200
    accounts = web.platform.accounts
    accounts.add("chair", "marac-coord", "dpo", PASSWORD, replace=True)
    assert api_read(web, session) == 401
    assert web.client.get("/", follow_redirects=False).status_code == 303  # to sign-in
    assert try_sign_in(web.client, "chair", PASSWORD).status_code == 303
    session = web.client.cookies.get("tandem_session")
    assert api_read(web, session) == 200
    accounts.remove("chair")
    assert api_read(web, session) == 401


def test_signing_out_ends_every_copy_of_the_session(web):
    assert try_sign_in(web.client, "chair", PASSWORD).status_code == 303
    copied = web.client.cookies.get("tandem_session")
    home = web.client.get("/")
    response = web.client.post(
        "/sign-out", data={"csrf_token": csrf(home.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert api_read(web, copied) == 401
    web.client.cookies.set("tandem_session", copied)
    assert web.client.get("/", follow_redirects=False).status_code == 303


def test_the_session_cookie_expires_with_its_token(web):
    response = try_sign_in(web.client, "chair", PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "Max-Age=28800" in cookie


def test_tokens_csrf_and_drafts_each_have_their_own_private_key(api):
    settings = api.platform.settings
    api.platform.tokens.issue("chair@marac-coord", "marac-coord", "coordinator")
    files = [
        settings.resolved_token_secret_file,
        settings.csrf_secret_file,
        settings.draft_secret_file,
    ]
    contents = {path.read_bytes() for path in files}
    assert len(contents) == 3
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_five_wrong_passwords_lock_the_account_and_the_lockout_is_an_event(web):
    for _ in range(5):
        assert try_sign_in(web.client, "chair", "wrong-password-1").status_code == 400
    refused = try_sign_in(web.client, "chair", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert "tandem_session" not in refused.headers.get("set-cookie", "")
    # Another account from the same address is not locked by this one's failures.
    assert try_sign_in(web.client, "idva", PASSWORD).status_code == 303

    with web.platform.writer_engine.connect() as conn:
        stored = [e for e in store.read_after(conn, 0, 1000) if e.event_type == "SignInLockedOut"]
    assert len(stored) == 1
    event = web.platform.codec.decode(stored[0].value)
    assert event.payload["scope"] == ACCOUNT
    assert event.payload["username"] == "chair"
    assert event.payload["failures"] == 5

    # When the lockout has ended, the right password works again.
    web.platform.accounts.save_failures(
        ACCOUNT,
        "chair",
        FailureCount(5, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), dt.datetime.now(dt.UTC)),
    )
    assert try_sign_in(web.client, "chair", PASSWORD).status_code == 303


def test_an_unknown_name_is_locked_like_a_known_one(web):
    for _ in range(5):
        try_sign_in(web.client, "nobody", "wrong-password-1")
    assert try_sign_in(web.client, "nobody", "wrong-password-1").status_code == 429


def test_many_names_tried_from_one_address_lock_the_address(web):
    for n in range(20):
        try_sign_in(web.client, f"guess{n}", "wrong-password-1")
    refused = try_sign_in(web.client, "idva", PASSWORD)
    assert refused.status_code == 429
    locked = web.platform.accounts.locked(dt.datetime.now(dt.UTC))
    assert any(scope == ADDRESS for scope, _, _ in locked)


def test_the_sign_in_page_says_how_to_make_the_first_account_until_there_is_one(api):
    api.platform.tokens.issue("svc", "marac-coord", "coordinator")  # a service is not a person
    assert 'data-testid="first-account"' in api.client.get("/sign-in").text
    assert "tandem user add" in api.client.get("/sign-in").text
    api.platform.accounts.add("chair", "marac-coord", "coordinator", PASSWORD)
    assert 'data-testid="first-account"' not in api.client.get("/sign-in").text
