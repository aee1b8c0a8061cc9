"""Police analyst (MATAC) and MAPPA coordinator pages in a real browser.

The data is put in through the same HTTP API partners use, with bearer tokens; the pages are
then driven as the analyst and the MAPPA coordinator would.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from playwright.sync_api import expect

from services.mappa.queries import references_of
from tests.e2e.conftest import check_accessibility, screenshot
from tests.e2e.helpers import fill_date
from tests.integration.matac.scenario import FIRST_BATCH, OLDER, TODAY, ids_in, known_persons


def api_post(site, path: str, body: dict, agency: str, role: str) -> dict:
    token = site.platform.tokens.issue(f"{role}@{agency}", agency, role)
    response = httpx.post(
        f"{site.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def matac_site(site):
    site.platform.today = lambda: TODAY
    for incident in FIRST_BATCH:
        known_persons(site, *ids_in(incident))
        api_post(site, "/api/matac/incidents", incident, "tvp", "analyst")
    return site


def scores(page) -> dict[str, str]:
    rows = page.get_by_test_id("ranking").locator("tbody tr")
    expect(rows.first).to_be_visible()
    return {
        rows.nth(i).get_attribute("data-person"): rows.nth(i).get_by_test_id("score").inner_text()
        for i in range(rows.count())
    }


def test_the_analyst_changes_the_as_of_date_and_the_ranking_changes(matac_site, page):
    site = matac_site
    site.sign_in(page, "analyst")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="MATAC ranking").click()
    page.get_by_label("Policing area").select_option("oxford")
    page.get_by_role("button", name="Show ranking").click()
    expect(page.get_by_test_id("ranking")).to_contain_text("Darren Price")
    today = {}
    expect(page.locator("tr[data-person='p-c']")).to_be_visible()  # waits for the projection
    today = scores(page)
    assert today["p-a"] == "20"
    check_accessibility(page, "ranking")
    screenshot(page, "matac-ranking")

    fill_date(page, "as_of", OLDER)
    page.get_by_role("button", name="Show ranking").click()
    expect(page.get_by_test_id("ranking-heading")).to_contain_text("31 December 2025")
    older = scores(page)
    assert older["p-a"] == "16.25"
    assert "p-c" not in older  # C's only incident is later
    assert older != today

    fill_date(page, "as_of", TODAY + dt.timedelta(days=1))
    page.get_by_role("button", name="Show ranking").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The as-of date must be today or in the past"
    )
    expect(page.locator("#as_of-day")).to_have_value(str((TODAY + dt.timedelta(days=1)).day))


def test_the_perpetrator_page_explains_the_score_with_a_history_chart(matac_site, page):
    site = matac_site
    site.sign_in(page, "analyst")
    page.goto(f"{site.url}/matac/ranking?area=oxford")
    page.get_by_role("link", name="Darren Price").click()
    breakdown = page.get_by_test_id("breakdown")
    expect(breakdown.get_by_test_id("score")).to_contain_text("20")
    expect(breakdown).to_contain_text("Recency (R)")
    expect(breakdown).to_contain_text("2 victims")
    chart = page.locator("svg.tandem-chart")
    expect(chart).to_be_visible()
    assert chart.locator("circle").count() >= 12
    expect(page.get_by_test_id("incidents")).to_contain_text(
        "Assault occasioning actual bodily harm"
    )
    check_accessibility(page, "perpetrator")
    screenshot(page, "matac-perpetrator")


def test_the_cohort_shows_entry_and_exit_scores(matac_site, page):
    site = matac_site
    api_post(
        site, "/api/matac/cohort", {"person_id": "p-a", "joined_on": "2026-03-01"}, "tvp", "analyst"
    )
    site.sign_in(page, "analyst")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="MATAC cohort").click()
    cohort = page.get_by_test_id("cohort")
    expect(cohort).to_contain_text("Darren Price")
    expect(cohort).to_contain_text("Still in the cohort")
    check_accessibility(page, "cohort")
    screenshot(page, "matac-cohort")


def test_the_analyst_nominates_a_perpetrator_from_their_page(matac_site, page):
    site = matac_site
    site.sign_in(page, "analyst")
    page.goto(f"{site.url}/matac/perpetrators/p-e")  # E scores 4, the lowest in Oxford
    page.get_by_role("button", name="Nominate for review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nominate for MATAC review")
    check_accessibility(page, "nominate")

    page.get_by_role("button", name="Nominate").click()
    summary = page.locator(".govuk-error-summary")
    link = summary.get_by_role("link", name="Enter why the MATAC meeting should review this person")
    expect(link).to_be_visible()
    assert link.get_attribute("href") == "#reason"
    assert page.title().startswith("Error: ")
    check_accessibility(page, "nominate, with errors")
    screenshot(page, "matac-nominate")

    page.get_by_label("Why should the meeting review this person?").fill(
        "Housing: threats to neighbours and a new partner since January"
    )
    page.get_by_role("button", name="Nominate").click()
    page.wait_for_url(re.compile(r"/matac/perpetrators/p-e\?done=nominated$"))
    expect(page.get_by_text("Nomination recorded")).to_be_visible()
    expect(page.get_by_text("Threats to neighbours", exact=False)).to_be_visible()
    page.reload()  # a GET: reloading does not nominate again
    expect(page.locator("h2", has_text="Nominations").locator("+ ul li")).to_have_count(1)


def test_the_analyst_adds_to_and_removes_from_the_cohort_with_a_reason(matac_site, page):
    site = matac_site
    site.sign_in(page, "analyst")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="MATAC cohort").click()
    page.get_by_role("button", name="Add a perpetrator to the cohort").click()
    page.get_by_role("button", name="Add to the cohort").click()
    link = page.locator(".govuk-error-summary").get_by_role(
        "link", name="Select the perpetrator to add to the cohort"
    )
    assert link.get_attribute("href") == "#person_id"
    check_accessibility(page, "cohort add, with errors")
    page.get_by_label("Perpetrator").select_option("p-a")
    page.get_by_role("button", name="Add to the cohort").click()
    page.wait_for_url(re.compile(r"/matac/cohort\?done=added$"))
    expect(page.get_by_text("Added to the cohort")).to_be_visible()
    row = page.get_by_test_id("cohort").locator("tbody tr", has_text="Darren Price")
    expect(row).to_contain_text("Still in the cohort")
    expect(row).to_contain_text("20")

    row.get_by_role("link", name="Remove Darren Price from the cohort").click()
    page.get_by_role("button", name="Remove from the cohort").click()
    link = page.locator(".govuk-error-summary").get_by_role(
        "link", name="Select why this person is leaving the cohort"
    )
    assert link.get_attribute("href") == "#reason"
    check_accessibility(page, "cohort remove, with errors")
    screenshot(page, "matac-cohort-remove")
    page.get_by_label("Completed the intervention").check()
    page.get_by_role("button", name="Remove from the cohort").click()
    page.wait_for_url(re.compile(r"/matac/cohort\?done=removed$"))
    expect(page.get_by_text("Removed from the cohort")).to_be_visible()
    row = page.get_by_test_id("cohort").locator("tbody tr", has_text="Darren Price")
    expect(row).to_contain_text("Completed the intervention")
    expect(row.get_by_role("link", name="Remove")).to_have_count(0)


MAPPA = ("mappa-coord", "mappa_coordinator")


@pytest.fixture
def nominal(site):
    today = site.platform.today()
    registered = today - dt.timedelta(weeks=30)
    body = {
        "area": "thames-valley",
        "lead_agency": "probation-tv",
        "registered_on": registered.isoformat(),
        "name": "Mark Jones",
        "date_of_birth": "1984-07-19",
        "index_offence": "Wounding with intent against ex-partner",
        "address": "Approved premises, 1 Example Road, Reading RG1 1AA",
        "address_risk": "Must not live within 1 mile of the victim",
        "rosh_level": "high",
    }
    nominal_id = api_post(site, "/api/mappa/nominals", body, *MAPPA)["nominal_id"]
    category = {"category": 2, "effective_on": registered.isoformat()}
    api_post(site, f"/api/mappa/nominals/{nominal_id}/category", category, *MAPPA)
    level = {
        "level": 2,
        "effective_on": registered.isoformat(),
        "reason": "High risk of serious harm to ex-partner",
    }
    api_post(site, f"/api/mappa/nominals/{nominal_id}/level", level, *MAPPA)
    return nominal_id


def test_the_mappa_coordinator_sees_overdue_reviews_and_records_a_review_and_level(
    site, nominal, page
):
    with site.platform.engine.connect() as conn:
        reference = references_of(conn, [nominal])[nominal]
    assert re.fullmatch(r"TV-M-\d{4}-\d{4}", reference)
    site.sign_in(page, "mappa")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="MAPPA reviews").click()
    row = page.get_by_test_id("reviews").locator("tr", has_text=reference)
    expect(row).to_contain_text("Overdue by")
    expect(row.get_by_test_id("review-name")).to_have_text("Mark Jones")
    assert nominal not in page.locator("main").inner_text()
    check_accessibility(page, "MAPPA reviews")
    screenshot(page, "mappa-reviews")

    row.get_by_role("link", name=reference).click()
    expect(page.get_by_text(f"MAPPA nominal {reference}")).to_be_visible()
    expect(page.get_by_test_id("level")).to_contain_text("Level 2")
    expect(page.get_by_test_id("next-review")).to_contain_text("Overdue")
    check_accessibility(page, "MAPPA nominal")
    screenshot(page, "mappa-nominal")

    page.get_by_role("button", name="Record a review").click()
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the outcome")
    fill_date(page, "held_on", site.platform.today())
    page.get_by_label("Outcome").fill("Compliant with licence; level 2 continues")
    page.get_by_label("The Probation Service, Thames Valley").check()
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_text("Review recorded")).to_be_visible()
    expect(page.get_by_test_id("next-review")).not_to_contain_text("Overdue")
    expect(page.get_by_test_id("review-history")).to_contain_text("Compliant with licence")

    page.get_by_role("button", name="Change the level").click()
    page.get_by_label("Level 3: level 2 with senior oversight").check()
    fill_date(page, "effective_on", site.platform.today())
    page.get_by_label("Why this level?").fill("Threats to the victim's new partner")
    page.get_by_role("button", name="Change level").click()
    summary = page.locator(".govuk-error-summary")
    expect(
        summary.get_by_role("link", name="Enter why level 3 needs senior oversight")
    ).to_be_visible()
    expect(page.get_by_label("Why this level?")).to_have_value(
        "Threats to the victim's new partner"
    )
    check_accessibility(page, "MAPPA level, with errors")
    page.get_by_label("Level 3 only: why is senior oversight needed?").fill(
        "Police resources at short notice for an exclusion zone"
    )
    page.get_by_role("button", name="Change level").click()
    expect(page.get_by_text("Level changed")).to_be_visible()
    expect(page.get_by_test_id("level")).to_contain_text("Level 3")
    expect(page.get_by_test_id("level-history").locator("tbody tr")).to_have_count(2)

    # A rule's refusal is in words and linked to its field, not the API's text.
    page.get_by_role("button", name="Record a review").click()
    fill_date(page, "held_on", site.platform.today() - dt.timedelta(days=1))
    page.get_by_label("Outcome").fill("Late minutes")
    page.get_by_role("button", name="Record review").click()
    link = page.locator(".govuk-error-summary").get_by_role("link")
    expect(link).to_contain_text("The date of the review")
    expect(link).to_contain_text("is before the previous review")
    assert "held_on" not in link.inner_text() and not re.search(r"\d{4}-\d{2}", link.inner_text())
    assert link.get_attribute("href") == "#held_on-day"


def test_a_party_without_mappa_gets_page_not_found_for_a_nominal(site, nominal, page):
    site.sign_in(page, "idva")  # idva-oxon: no MAPPA purpose in the agreement
    expect(page.get_by_role("navigation", name="Menu")).not_to_contain_text("MAPPA")

    response = page.goto(f"{site.url}/mappa/nominals/{nominal}")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("Page not found")
    assert "Mark Jones" not in page.content()
    assert "Level 2" not in page.content()
    response = page.goto(f"{site.url}/mappa/reviews")
    assert response is not None and response.status == 403
    assert nominal not in page.content()
