"""Search, and registering and listing MAPPA nominals, in a real browser.

The MARAC chair finds a victim's case by name and date of birth and opens the referral; the
MAPPA coordinator registers a nominal (errors first), is warned when registering the same
person again, confirms, lists and filters the nominals, and finds one by PNC ID. The MARAC
coordination team, even with the MAPPA coordinator role, finds nothing of MAPPA.
"""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, check_accessibility, new_page, screenshot
from tests.e2e.helpers import fill_date, refer


def _menu(page, name: str) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name).click()


def _register(page, today: dt.date, pnc: str, lead: str = "The Probation Service, Thames Valley"):
    page.get_by_label("Lead agency").select_option(label=lead)
    fill_date(page, "registered_on", today - dt.timedelta(days=7))
    page.get_by_label("Full name").fill("Mark Jones")
    fill_date(page, "date_of_birth", "1984-07-19")
    page.get_by_label("PNC ID (optional)").fill(pnc)
    page.get_by_label("Index offence").fill("Wounding with intent against ex-partner")
    page.get_by_label("High", exact=True).check()
    page.get_by_role("button", name="Register nominal").click()


def test_the_mappa_coordinator_registers_is_warned_of_a_duplicate_and_lists_nominals(site, page):
    today = site.platform.today()
    site.sign_in(page, "mappa")
    _menu(page, "MAPPA nominals")
    expect(page.get_by_test_id("nominal-count")).to_contain_text("0 nominals")
    page.get_by_role("button", name="Register a nominal").click()

    page.get_by_role("button", name="Register nominal").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Enter the full name")).to_be_visible()
    expect(summary.get_by_role("link", name="Select the lead agency")).to_have_attribute(
        "href", "#lead_agency"
    )
    check_accessibility(page, "register a nominal, with errors")

    _register(page, today, "02/0431123K")
    expect(page.get_by_text("Nominal registered")).to_be_visible()
    first = page.url.rsplit("/", 1)[-1].split("?")[0]
    expect(page.get_by_role("heading", name="Mark Jones")).to_be_visible()

    page.goto(f"{site.url}/mappa/nominals/new")
    _register(page, today, "02/0431123k", lead="Thames Valley Police")
    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_contain_text(f"MAPPA nominal {first}")
    expect(warning).to_contain_text("the same PNC ID")
    expect(page.get_by_label("Full name")).to_have_value("Mark Jones")  # answers kept
    link = page.locator(".govuk-error-summary").get_by_role("link")
    expect(link).to_contain_text("may already be registered")
    assert link.get_attribute("href") == "#confirmed_not_duplicate"
    check_accessibility(page, "register a nominal, possible duplicate")
    screenshot(page, "mappa-register")

    page.get_by_label("I have checked").check()
    page.get_by_role("button", name="Register nominal").click()
    expect(page.get_by_text("Nominal registered")).to_be_visible()

    _menu(page, "MAPPA nominals")
    rows = page.get_by_test_id("nominals").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Mark Jones")
    check_accessibility(page, "MAPPA nominals")
    screenshot(page, "mappa-nominals")
    page.get_by_label("Lead agency").select_option(label="Thames Valley Police")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Thames Valley Police")
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Mark Jones")).to_be_visible()

    _menu(page, "Search")
    page.get_by_label("Or a reference").fill("02/0431123K")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("results").locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name=f"MAPPA nominal {first}").click()
    expect(page.get_by_role("heading", name="Mark Jones")).to_be_visible()


def test_the_chair_finds_a_case_by_name_and_date_of_birth_and_others_find_nothing(
    site, page, browser
):
    case = refer(site.platform, victim="Jane Smith", victim_dob="1990-02-03")
    site.sign_in(page, "chair")
    _menu(page, "Search")
    page.get_by_role("button", name="Search").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Enter a name, or a reference")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("jane SMITH")
    fill_date(page, "date_of_birth", "1990-02-03")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_test_id("results")
    row = results.locator("tr", has_text=f"MARAC case {case['case_id']}")
    expect(row).to_contain_text("Jane Smith")
    expect(row).to_contain_text("Name and date of birth")
    expect(row).to_contain_text("Victim")
    check_accessibility(page, "search results")
    screenshot(page, "search")
    row.get_by_role("link").click()
    page.wait_for_url(f"{site.url}/marac/cases/{case['case_id']}")
    expect(page.get_by_text("Jane Smith").first).to_be_visible()  # the chair may open it

    # A wrong date of birth finds no one: a name alone is not enough when a date is given.
    page.goto(
        f"{site.url}/search?name=Jane+Smith&date_of_birth-day=1&date_of_birth-month=1"
        "&date_of_birth-year=1991"
    )
    expect(page.get_by_test_id("no-results")).to_be_visible()

    site.platform.accounts.add("team-mappa", "marac-coord", "mappa_coordinator", PASSWORD)
    context, other = new_page(browser)
    try:
        site.sign_in(other, "team-mappa")
        other.goto(f"{site.url}/search?reference=02%2F0431123K")
        expect(other.get_by_test_id("nothing-to-search")).to_be_visible()
        expect(other.get_by_test_id("result-count")).to_contain_text("0 results")
    finally:
        context.close()
