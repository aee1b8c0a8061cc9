"""Only MAPPA parties reach MAPPA data, on the API and the /mappa pages.

thames-valley-da-isa v2 gives the ``mappa`` purpose to the Responsible Authority, the MAPPA
coordination unit and the duty-to-co-operate agencies (housing, health, CSC). An IDVA service
(idva-oxon) has none, nor has the MARAC coordination team (marac-coord), though its
coordinator party type may hold the MAPPA coordinator role. Such a caller gets 404 for a
nominal (the same answer as for an id that does not exist, so ids cannot be probed) and 403
for the reviews lists and the figures, and never a nominal's category, level, risk level,
dates or id.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from tests.integration.mappa.helpers import category, level, read, register, review, set_today

pytestmark = pytest.mark.integration

PASSWORD = "correct-horse-battery"
OUTSIDERS = [
    ("idva-oxon", "referrer"),
    ("idva-oxon", "agency_contact"),
    ("idva-oxon", "dpo"),
    ("marac-coord", "coordinator"),
    ("marac-coord", "mappa_coordinator"),
]
# What a nominal's record holds (structure in the clear, and the registration's identity).
NOMINAL_DATA = [
    "thames-valley",
    "probation-tv",
    "Mark Jones",
    "VIS-0042117",
    "2021-03-04",  # sentence date
    "2026-01-09",  # release date
    "2027-03-03",  # licence end
    "2026-01-12",  # registered on
    "2026-01-19",  # level set on
    "very_high",
    "level",
    "category",
]


@pytest.fixture
def nominal(api) -> str:
    set_today(api, dt.date(2026, 5, 20))
    nominal_id = register(api, rosh_level="very_high")
    category(api, nominal_id, 2, "2026-01-12")
    level(api, nominal_id, 2, "2026-01-19")
    review(api, nominal_id, "2026-05-11", attended_agencies=["tvp"])
    return nominal_id


def assert_no_nominal_data(text: str, nominal_id: str | None = None) -> None:
    for value in NOMINAL_DATA:
        assert value not in text, value
    if nominal_id is not None:
        assert nominal_id not in text


def access_log(api, nominal_id: str) -> list[dict]:
    api.settle()
    response = api.client.get(
        "/api/audit/access",
        params={"subject_id": nominal_id},
        headers=api.headers("mappa-coord", "dpo"),
    )
    assert response.status_code == 200, response.text
    return response.json()["accesses"]


@pytest.mark.parametrize(("agency", "role"), OUTSIDERS)
def test_a_nominal_is_404_to_a_party_without_mappa_exactly_as_an_unknown_id(
    api, nominal, agency, role
):
    headers = api.headers(agency, role)

    found = api.client.get(f"/api/mappa/nominals/{nominal}", headers=headers)
    unknown = api.client.get("/api/mappa/nominals/mappa-000000000000", headers=headers)

    assert found.status_code == unknown.status_code == 404
    assert found.json() == {"detail": f"no MAPPA nominal {nominal}"}
    assert unknown.json() == {"detail": "no MAPPA nominal mappa-000000000000"}
    assert_no_nominal_data(found.text)
    # Nothing was decrypted for them, so nothing was audited.
    assert all(a["agency"] != agency for a in access_log(api, nominal))


def test_a_mappa_party_with_little_access_still_reads_the_structure(api, nominal):
    housing = read(api, nominal, "housing-oxford", "referrer")
    assert (housing["category"], housing["level"], housing["rosh_level"]) == (2, 2, "very_high")


@pytest.mark.parametrize(("agency", "role"), OUTSIDERS)
@pytest.mark.parametrize(
    "params",
    [{}, {"overdue": "true"}, {"due_within_days": 365}, {"format": "csv"}],
)
def test_the_reviews_lists_are_403_to_a_party_without_mappa(api, nominal, agency, role, params):
    set_today(api, dt.date(2026, 12, 1))  # the nominal's review is overdue by now

    response = api.client.get(
        "/api/mappa/reviews", params=params, headers=api.headers(agency, role)
    )

    assert response.status_code == 403, response.text
    assert response.json() == {
        "detail": f"{agency} is not a party to MAPPA under the information sharing agreement "
        "in force"
    }
    assert_no_nominal_data(response.text, nominal)


@pytest.mark.parametrize(("agency", "role"), OUTSIDERS)
@pytest.mark.parametrize(
    "params", [{}, {"year": 2026}, {"area": "thames-valley"}, {"format": "csv"}]
)
def test_the_figures_are_403_to_a_party_without_mappa(api, nominal, agency, role, params):
    response = api.client.get("/api/mappa/stats", params=params, headers=api.headers(agency, role))

    assert response.status_code == 403, response.text
    assert "is not a party to MAPPA" in response.json()["detail"]
    assert_no_nominal_data(response.text.replace(agency, ""), nominal)
    assert "total" not in response.text and "count" not in response.text


def test_mappa_parties_still_read_the_lists_and_figures(api, nominal):
    set_today(api, dt.date(2026, 12, 1))
    for agency, role in [("housing-oxford", "referrer"), ("health-ouh", "agency_contact")]:
        reviews = api.client.get("/api/mappa/reviews", headers=api.headers(agency, role))
        figures = api.client.get("/api/mappa/stats", headers=api.headers(agency, role))
        assert reviews.status_code == 200, reviews.text
        assert [r["nominal_id"] for r in reviews.json()["reviews"]] == [nominal]
        assert figures.status_code == 200, figures.text


# -- the web pages ------------------------------------------------------------------------------


class Browser:
    """A signed-in web session for one account (its own cookies), through the app itself."""

    def __init__(self, api, agency: str, role: str):
        username = f"{role.replace('_', '-')}.{agency}"
        api.client.app.state.web.accounts.add(username, agency, role, PASSWORD)
        self.client = TestClient(api.client.app, follow_redirects=False)
        token = api.platform.tokens.issue(username, agency, role)
        self.client.cookies.set("tandem_session", token)

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, form: dict):
        home = self.client.get("/")
        assert home.status_code == 200, home.text
        match = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
        assert match, "no CSRF token on the home page"
        return self.client.post(path, data={"csrf_token": match.group(1), **form})

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def browser(api):
    opened: list[Browser] = []

    def open_as(agency: str, role: str) -> Browser:
        opened.append(Browser(api, agency, role))
        return opened[-1]

    yield open_as
    for b in opened:
        b.close()


REVIEW_FORM = {
    "held_on-day": "20",
    "held_on-month": "5",
    "held_on-year": "2026",
    "outcome": "Compliant with licence",
    "attended_agencies": "tvp",
}
LEVEL_FORM = {
    "level": "1",
    "effective_on-day": "20",
    "effective_on-month": "5",
    "effective_on-year": "2026",
    "reason": "Risk has reduced",
}


def nominal_pages(nominal_id: str) -> list[tuple[str, str, dict | None]]:
    base = f"/mappa/nominals/{nominal_id}"
    return [
        ("GET", base, None),
        ("GET", f"{base}/review", None),
        ("GET", f"{base}/level", None),
        ("POST", f"{base}/review", REVIEW_FORM),
        ("POST", f"{base}/level", LEVEL_FORM),
    ]


def visit(b: Browser, method: str, path: str, form: dict | None):
    return b.get(path) if method == "GET" else b.post(path, form or {})


@pytest.mark.parametrize(("agency", "role"), [("idva-oxon", "referrer"), *OUTSIDERS[3:]])
def test_nominal_pages_are_404_to_a_party_without_mappa(api, nominal, browser, agency, role):
    b = browser(agency, role)
    for (method, path, form), (_, unknown_path, _) in zip(
        nominal_pages(nominal), nominal_pages("mappa-000000000000"), strict=True
    ):
        response = visit(b, method, path, form)
        unknown = visit(b, method, unknown_path, form)
        assert response.status_code == unknown.status_code == 404, (method, path)
        assert "Page not found" in response.text
        assert_no_nominal_data(response.text.replace(agency, ""), nominal)

    # Nothing was recorded on the nominal: its record is as the fixture left it.
    record = read(api, nominal, "probation-tv", "mappa_coordinator")
    assert (record["level"], len(record["reviews"])) == (2, 1)


@pytest.mark.parametrize(("agency", "role"), [("idva-oxon", "referrer"), *OUTSIDERS[3:]])
def test_the_reviews_page_is_403_to_a_party_without_mappa(api, nominal, browser, agency, role):
    set_today(api, dt.date(2026, 12, 1))
    b = browser(agency, role)

    response = b.get("/mappa/reviews")

    assert response.status_code == 403
    assert "You cannot use this page" in response.text
    assert_no_nominal_data(response.text.replace(agency, ""), nominal)


def test_the_mappa_coordinator_still_uses_the_pages(api, nominal, browser):
    set_today(api, dt.date(2026, 12, 1))
    b = browser("mappa-coord", "mappa_coordinator")

    listing = b.get("/mappa/reviews")
    page = b.get(f"/mappa/nominals/{nominal}")

    assert listing.status_code == 200 and nominal in listing.text
    assert page.status_code == 200 and "Mark Jones" in page.text
