"""The case page in a real browser: housing opens the case of its action from its actions."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from tests.e2e.conftest import check_accessibility, screenshot
from tests.e2e.helpers import assign_action, next_meeting_date, refer, schedule_meeting


def test_housing_opens_the_case_of_its_action_and_sees_what_the_agreement_gives_it(site, page):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    case = refer(site.platform, "idva", victim="Jane Smith", yes=15)
    other = refer(
        site.platform,
        "idva",
        victim="Mary Jones",
        victim_dob="1985-01-01",
        perpetrator="Tom Brown",
        perpetrator_dob="1980-01-01",
        yes=15,
    )
    assign_action(
        site.platform,
        case["case_id"],
        meeting_id,
        "housing-oxford",
        "Fit a lock change and a sanctuary scheme",
        due=site.platform.today() + dt.timedelta(days=14),
    )

    site.sign_in(page, "housing")
    page.goto(f"{site.url}/marac/actions")
    card = page.locator(".govuk-summary-card")
    expect(card.get_by_test_id("case-reference")).to_have_text(case["case_reference"])
    expect(card.get_by_test_id("case-victim")).to_have_text("Jane Smith")
    check_accessibility(page, "actions with their cases")
    screenshot(page, "your-actions")
    card.get_by_role("link", name=f"View the case {case['case_reference']}").click()

    page.wait_for_url(f"**/marac/cases/{case['case_id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case["case_reference"])
    expect(page.get_by_test_id("victim-name")).to_contain_text("Jane Smith")
    expect(page.get_by_test_id("victim-phone")).to_contain_text("07700 900123")
    expect(page.get_by_test_id("victim-address")).to_contain_text("12 Cowley Road")
    expect(page.get_by_test_id("case-actions")).to_contain_text("Fit a lock change")
    health = page.get_by_test_id("victim-health")
    expect(health.locator(".govuk-tag")).to_have_text("Withheld")
    expect(health).to_contain_text(
        "Your agency does not receive the victim's health details for MARAC under the "
        "Thames Valley domestic abuse, MATAC and MAPPA information sharing agreement (version 2)."
    )
    expect(page.get_by_test_id("perpetrator-address").locator(".govuk-tag")).to_have_text(
        "Withheld"
    )
    content = page.content()
    assert "Anxiety" not in content and "4 Iffley Road" not in content
    assert "victim.health" not in page.locator("main").inner_text()
    check_accessibility(page, "case seen by housing")
    screenshot(page, "case-seen-by-housing")

    # a case housing has no action on is not there for it
    response = page.goto(f"{site.url}/marac/cases/{other['case_id']}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert "Mary Jones" not in page.content()
