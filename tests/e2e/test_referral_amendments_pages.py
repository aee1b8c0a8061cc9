"""A referral sent twice, withdrawn or corrected, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import check_accessibility, new_page
from tests.e2e.helpers import complete_referral, next_meeting_date, refer, schedule_meeting


def test_sending_the_same_referral_twice_warns_and_needs_confirming(site, page):
    first = refer(site.platform, "idva", victim="Jane Smith", yes=15)

    site.sign_in(page, "idva")
    complete_referral(page, site.url, victim="Jane Smith", yes=15)
    page.get_by_role("button", name="Send referral").click()

    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_contain_text("Your agency already referred this victim")
    expect(warning.get_by_role("link", name=f"case {first['case_reference']}")).to_be_visible()
    check_accessibility(page, "duplicate warning")

    page.get_by_role("button", name="Send referral").click()  # without confirming
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select yes if you mean to send a second referral")
    check_accessibility(page, "duplicate not confirmed")
    summary.get_by_role("link").click()
    expect(page.locator("#confirm_duplicate")).to_be_focused()

    page.get_by_label("Yes, send this as a second referral for the same case").check()
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("heading", name="Referral sent")).to_be_visible()
    expect(page.get_by_test_id("case-reference")).to_have_text(first["case_reference"])
    assert "Repeat" not in page.get_by_test_id("criteria-met").inner_text()


def test_the_referrer_withdraws_a_referral_and_it_leaves_the_agenda(site, page, browser):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    sent = refer(site.platform, "idva", victim="Jane Smith", yes=15)

    site.sign_in(page, "idva")
    page.goto(f"{site.url}/marac/referrals/{sent['referral_id']}")
    expect(page.get_by_test_id("amend")).to_contain_text("until the agenda cut-off")
    page.get_by_role("button", name="Withdraw referral").click()
    expect(page.get_by_role("heading", name="withdraw this referral")).to_be_visible()
    check_accessibility(page, "withdraw referral")

    page.get_by_role("button", name="Withdraw referral").click()  # no reason
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why you are withdrawing the referral"
    )
    page.get_by_label("Why are you withdrawing the referral?").fill("Sent for the wrong case")
    page.get_by_role("button", name="Withdraw referral").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Referral withdrawn")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Withdrawn")
    expect(page.get_by_test_id("withdrawal-reason")).to_contain_text("Sent for the wrong case")
    expect(page.get_by_test_id("amend")).to_have_count(0)
    check_accessibility(page, "withdrawn referral")

    chair_context, chair = new_page(browser)
    try:
        site.sign_in(chair, "chair")
        chair.goto(f"{site.url}/marac/meetings/{meeting_id}")
        expect(chair.get_by_role("heading", name="Agenda", exact=False).first).to_be_visible()
        expect(chair.locator(f"#case-{sent['case_id']}")).to_have_count(0)
    finally:
        chair_context.close()


def test_the_referrer_corrects_the_answers_and_the_agenda_shows_it_corrected(site, page, browser):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    sent = refer(site.platform, "idva", victim="Jane Smith", yes=15)

    site.sign_in(page, "idva")
    page.goto(f"{site.url}/marac/referrals/{sent['referral_id']}")
    page.get_by_role("button", name="Correct referral").click()
    expect(page.locator("input[name='injury'][value='yes']")).to_be_checked()
    check_accessibility(page, "correct referral")
    page.locator("input[name='criminal_history'][value='yes']").check()
    page.get_by_label("What did you correct?").fill("Criminal history was ticked no by mistake")
    page.get_by_role("button", name="Send the correction").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Correction sent")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Corrected")
    expect(page.get_by_test_id("correction-note")).to_contain_text("Criminal history")
    expect(page.locator("body")).to_contain_text("16 (high risk)")

    chair_context, chair = new_page(browser)
    try:
        site.sign_in(chair, "chair")
        chair.goto(f"{site.url}/marac/meetings/{meeting_id}")
        case = chair.locator(f"#case-{sent['case_id']}")
        expect(case).to_contain_text("Corrected")
        expect(case).to_contain_text("16")
    finally:
        chair_context.close()
