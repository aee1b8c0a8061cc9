"""A coordinator confirms two records are one victim; the agenda lists one case, linked."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import check_accessibility, screenshot
from tests.e2e.helpers import next_meeting_date, refer, schedule_meeting


def test_confirming_a_match_lists_one_case_marked_linked_on_the_agenda(site, page):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    first = refer(site.platform, "idva", victim="Jane Smith", yes=15)
    second = refer(site.platform, "housing", victim="J. Smyth", yes=16)  # a near match
    assert second["victim"]["match"] == "near" and second["case_id"] != first["case_id"]

    site.sign_in(page, "chair")
    page.goto(f"{site.url}/marac/meetings/{meeting_id}")
    expect(page.get_by_test_id("agenda-case")).to_have_count(2)

    page.goto(f"{site.url}/persons/matches")
    page.get_by_test_id("match").get_by_role("button", name="Same person").click()
    expect(page.get_by_text("Match confirmed")).to_be_visible()

    page.goto(f"{site.url}/marac/meetings/{meeting_id}")
    cases = page.get_by_test_id("agenda-case")
    expect(cases).to_have_count(1)
    expect(cases.nth(0)).to_contain_text(f"1. Case {first['case_reference']}")
    expect(cases.nth(0).locator(".govuk-tag", has_text="Repeat")).to_be_visible()
    expect(cases.nth(0).get_by_test_id("linked-cases")).to_contain_text(
        f"case {second['case_reference']} is part of this case"
    )
    check_accessibility(page, "agenda with a linked case")
    screenshot(page, "agenda-linked-case")
