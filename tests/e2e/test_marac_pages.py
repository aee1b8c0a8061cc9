"""MARAC pages in a real browser: referring, the agenda, publishing, printing, the ISA."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from services.marac import api as marac_api
from services.marac.models import PublishRequest
from tests.e2e.conftest import check_accessibility, new_page, screenshot
from tests.e2e.helpers import (
    assign_action,
    caller,
    choose,
    complete_referral,
    fill_date,
    next_meeting_date,
    refer,
    schedule_meeting,
)


def test_an_idva_referral_appears_on_the_chairs_agenda(site, page, browser):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))

    site.sign_in(page, "idva")
    expect(page.get_by_test_id("header-agency")).to_have_text("Oxfordshire IDVA service")
    expect(page.get_by_test_id("header-role")).to_have_text("Referrer")
    complete_referral(page, site.url, victim="Jane Smith", yes=15, check_pages=True)

    expect(page.get_by_test_id("dash-score")).to_contain_text("15 of 24")
    check_accessibility(page, "check your answers")
    screenshot(page, "referral-8-check-answers")
    page.get_by_role("button", name="Send referral").click()

    expect(page.get_by_role("heading", name="Referral sent")).to_be_visible()
    reference = page.get_by_test_id("case-reference").inner_text()
    assert re.fullmatch(r"OX-\d{4}-\d{4}", reference)
    expect(page.get_by_test_id("criteria-met")).to_contain_text("Visible high risk")
    check_accessibility(page, "confirmation")
    screenshot(page, "referral-9-confirmation")

    page.get_by_role("link", name="your referrals", exact=True).click()
    expect(page.get_by_test_id("referrals")).to_contain_text(reference)
    expect(page.get_by_test_id("referrals")).to_contain_text("Jane Smith")
    check_accessibility(page, "your referrals")
    screenshot(page, "your-referrals")

    chair_context, chair = new_page(browser)
    try:
        site.sign_in(chair, "chair")
        chair.get_by_role("navigation", name="Menu").get_by_role("link", name="Meetings").click()
        check_accessibility(chair, "meetings")
        screenshot(chair, "meetings")
        chair.goto(f"{site.url}/marac/meetings/{meeting_id}")
        case = chair.get_by_test_id("agenda-case").filter(has_text=reference)
        expect(case).to_contain_text("Jane Smith")
        expect(case.get_by_test_id("children")).to_contain_text("Amy Smith")
        expect(case).to_contain_text("John Smith")
        check_accessibility(chair, "agenda")
        screenshot(chair, "agenda")
    finally:
        chair_context.close()


def test_the_chair_publishes_the_agenda_and_prints_one_case_per_page(site, page):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    first = refer(site.platform, "idva", victim="Jane Smith", yes=15)
    second = refer(
        site.platform,
        "idva",
        victim="Mary Jones",
        victim_dob="1985-01-01",
        perpetrator="Tom Brown",
        perpetrator_dob="1980-01-01",
        yes=18,
    )
    repeat = refer(site.platform, "housing", victim="Jane Smith", yes=3)  # repeat of the first
    assert repeat["repeat"] and repeat["case_id"] == first["case_id"]

    site.sign_in(page, "chair")
    page.goto(f"{site.url}/marac/meetings/{meeting_id}")
    cases = page.get_by_test_id("agenda-case")
    expect(cases).to_have_count(2)
    # repeats first, then by DASH score
    expect(cases.nth(0)).to_contain_text(f"1. Case {first['case_reference']}")
    expect(cases.nth(0).locator(".govuk-tag", has_text="Repeat")).to_be_visible()
    expect(cases.nth(1)).to_contain_text(f"2. Case {second['case_reference']}")

    page.get_by_role("button", name="Publish agenda").click()
    expect(page.get_by_text("Agenda version 1 published")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Published, version 1")

    page.get_by_role("button", name="Print agenda").click()
    page.wait_for_url(f"**/marac/meetings/{meeting_id}/print")
    printed = page.get_by_test_id("print-case")
    expect(printed).to_have_count(2)
    expect(printed.nth(0)).to_contain_text("OFFICIAL-SENSITIVE")
    check_accessibility(page, "print view")
    screenshot(page, "agenda-print")
    page.emulate_media(media="print")
    breaks = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=print-case]')]"
        ".map(e => getComputedStyle(e).breakBefore)"
    )
    assert breaks == ["page", "page"]
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 3, f"cover and one page per case expected, the PDF has {pages} page(s)"


def test_late_cases_can_be_added_and_actions_recorded_during_the_meeting(site, page):
    soon = site.platform.today() + dt.timedelta(days=2)
    meeting_id = schedule_meeting(site.platform, soon, area="reading")
    late = refer(site.platform, "idva", area="reading", yes=16)

    site.sign_in(page, "chair")
    page.goto(f"{site.url}/marac/meetings/{meeting_id}")
    expect(page.get_by_test_id("agenda-case")).to_have_count(0)
    page.get_by_label(re.compile(f"Case {late['case_reference']}")).check()
    page.get_by_role("button", name="Publish agenda").click()
    case = page.locator(f"#case-{late['case_id']}")
    expect(case.locator(".govuk-tag", has_text="Late")).to_be_visible()

    case.get_by_role("link", name="Record an action").click()
    page.get_by_role("button", name="Record action").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the agency that owns the action")
    expect(summary).to_contain_text("Enter what the agency will do")
    expect(summary).to_contain_text("Enter the due date")
    check_accessibility(page, "record an action, with errors")
    page.get_by_label("Which agency will do it?").select_option("housing-oxford")
    page.get_by_label("What will they do?").fill("Fit a lock change and a sanctuary scheme")
    fill_date(page, "due_date", site.platform.today() + dt.timedelta(days=14))
    screenshot(page, "record-action")
    page.get_by_role("button", name="Record action").click()
    expect(page.get_by_text(f"Action recorded for case {late['case_reference']}")).to_be_visible()
    expect(case.get_by_test_id("actions")).to_contain_text("Fit a lock change")
    expect(case.get_by_test_id("actions")).to_contain_text("Oxford City Council housing services")


def test_housing_reads_back_its_own_referral_and_another_agencys_referral_is_404(
    site, page, browser
):
    own = refer(site.platform, "housing", victim="Jane Smith", yes=15)
    idvas = refer(
        site.platform,
        "idva",
        victim="Mary Jones",
        victim_dob="1985-01-01",
        perpetrator="Tom Brown",
        perpetrator_dob="1980-01-01",
        yes=15,
    )

    site.sign_in(page, "housing")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your referrals").click()
    page.get_by_role("link", name=own["case_reference"]).click()
    expect(page.get_by_test_id("victim-name")).to_contain_text("Jane Smith")
    expect(page.get_by_test_id("victim-address")).to_contain_text("12 Cowley Road")
    # housing is not granted the victim's health, but reads back what it entered itself
    # (the withheld wording is shown on the case page: see test_marac_case_page.py)
    health = page.get_by_test_id("victim-health")
    expect(health).to_contain_text("Anxiety")
    expect(health.locator(".govuk-tag")).to_have_count(0)
    check_accessibility(page, "referral read back by housing")
    screenshot(page, "referral-read-back")

    response = page.goto(f"{site.url}/marac/referrals/{idvas['referral_id']}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert "Mary Jones" not in page.content()

    idva_context, idva = new_page(browser)
    try:
        site.sign_in(idva, "idva")
        idva.goto(f"{site.url}/marac/referrals/{idvas['referral_id']}")
        expect(idva.get_by_test_id("victim-health")).to_contain_text("Anxiety")
    finally:
        idva_context.close()


def test_a_page_with_a_missing_field_shows_the_error_summary_linked_to_it(site, page):
    schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    site.sign_in(page, "idva")
    page.goto(f"{site.url}/marac/referrals/new")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("MARAC area").select_option("oxford")
    page.get_by_label("Your full name").fill("Sam Patel")
    page.get_by_role("button", name="Continue").click()

    page.locator("#date_of_birth-day").fill("3")
    page.locator("#date_of_birth-month").fill("2")
    page.get_by_label("Address (optional)").fill("12 Cowley Road, Oxford OX4 1AA")
    page.get_by_role("button", name="Continue").click()

    assert page.title().startswith("Error:")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_text("Enter the victim's full name")
    expect(links.nth(1)).to_have_text("The victim's date of birth must include a year")
    expect(page.locator("#name-error")).to_contain_text("Enter the victim's full name")
    # the answers given are kept
    expect(page.get_by_label("Address (optional)")).to_have_value("12 Cowley Road, Oxford OX4 1AA")
    expect(page.locator("#date_of_birth-day")).to_have_value("3")
    check_accessibility(page, "victim page with errors")
    screenshot(page, "error-summary")

    links.nth(0).click()
    expect(page.get_by_label("Full name")).to_be_focused()
    links.nth(1).click()
    expect(page.locator("#date_of_birth-year")).to_be_focused()


def test_sign_in_shows_agency_and_role_and_sign_out_ends_the_session(site, page):
    page.goto(f"{site.url}/marac/meetings")
    page.wait_for_url("**/sign-in?next=%2Fmarac%2Fmeetings")
    check_accessibility(page, "sign in")
    page.get_by_label("Username").fill("chair")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a correct username and password"
    )
    screenshot(page, "sign-in")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/marac/meetings")
    expect(page.get_by_test_id("header-role")).to_have_text("MARAC coordinator")
    expect(page.get_by_test_id("header-agency")).to_have_text(
        "Thames Valley MARAC coordination team"
    )
    page.goto(f"{site.url}/")
    check_accessibility(page, "home")
    screenshot(page, "home-coordinator")
    cookie = next(c for c in page.context.cookies() if c["name"] == "tandem_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "tandem_session"]
    page.goto(f"{site.url}/marac/meetings")
    page.wait_for_url("**/sign-in?next=*")


def test_overdue_actions_by_agency(site, page):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    case = refer(site.platform, "idva", yes=15)
    assign_action(
        site.platform,
        case["case_id"],
        meeting_id,
        "housing-oxford",
        "Check the tenancy file",
        due=site.platform.today() - dt.timedelta(days=3),
    )
    assign_action(
        site.platform,
        case["case_id"],
        meeting_id,
        "health-ouh",
        "Flag the victim's hospital record",
        due=site.platform.today() - dt.timedelta(days=1),
    )
    assign_action(
        site.platform,
        case["case_id"],
        meeting_id,
        "tvp",
        "Not yet due",
        due=site.platform.today() + dt.timedelta(days=7),
    )

    site.sign_in(page, "chair")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Overdue actions").click()
    expect(page.get_by_test_id("overdue-housing-oxford")).to_contain_text("Check the tenancy file")
    expect(page.get_by_test_id("overdue-health-ouh")).to_contain_text("Flag the victim")
    expect(page.locator("main")).not_to_contain_text("Not yet due")
    check_accessibility(page, "overdue actions")
    screenshot(page, "overdue-actions")


def test_saving_an_action_without_a_status_shows_the_error_on_that_action(site, page):
    """It was a dead-end "There is a problem with the request" page."""
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    case = refer(site.platform, "idva", yes=15)
    for description in ("Check the tenancy file", "Offer a sanctuary scheme"):
        assign_action(
            site.platform,
            case["case_id"],
            meeting_id,
            "housing-oxford",
            description,
            due=site.platform.today() + dt.timedelta(days=7),
        )
    site.sign_in(page, "housing")
    page.goto(f"{site.url}/marac/actions")
    second = page.locator(".govuk-summary-card").nth(1)
    second.get_by_role("button", name="Save").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select whether the action was done")
    expect(page).to_have_title(re.compile("^Error: "))
    summary.get_by_role("link").click()
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("status-") and second.locator(f"#{focused}").count() == 1
    expect(second.locator(".govuk-error-message")).to_be_visible()
    expect(
        page.locator(".govuk-summary-card").nth(0).locator(".govuk-error-message")
    ).to_have_count(0)
    check_accessibility(page, "action saved without a status")

    second.get_by_label("Done", exact=True).check()
    second.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Action updated")).to_be_visible()


def test_the_near_match_queue_confirms_a_person_link(site, page):
    refer(site.platform, "idva", victim="Jane Smith", yes=15)
    near = refer(
        site.platform,
        "housing",
        victim="Jane Smyth",
        perpetrator="Tom Brown",
        perpetrator_dob="1980-01-01",
        yes=15,
    )
    assert near["victim"]["match"] == "near"

    site.sign_in(page, "chair")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Person matches").click()
    match = page.get_by_test_id("match")
    expect(match).to_have_count(1)
    expect(match).to_contain_text("Jane Smith")
    expect(match).to_contain_text("Jane Smyth")
    check_accessibility(page, "person matches")
    screenshot(page, "person-matches")
    match.get_by_role("button", name="Same person").click()
    expect(page.get_by_text("Match confirmed")).to_be_visible()
    expect(page.get_by_test_id("match")).to_have_count(0)


def test_the_quarterly_return_downloads_as_csv(site, page):
    held = next_meeting_date(site.platform.today(), days=7)
    meeting_id = schedule_meeting(site.platform, held)
    case = refer(site.platform, "idva", yes=15)
    marac_api.publish_agenda(meeting_id, PublishRequest(), caller("chair"), site.platform)
    today = held + dt.timedelta(days=1)  # the meeting has been held
    site.platform.today = lambda: today
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"

    site.sign_in(page, "chair")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Quarterly return").click()
    page.get_by_role("button", name="Download CSV").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Select the MARAC area")).to_be_visible()
    expect(summary.get_by_role("link", name="Select a quarter")).to_be_visible()
    check_accessibility(page, "quarterly return, with errors")
    page.get_by_label("MARAC area").select_option("oxford")
    page.get_by_label("Quarter").select_option(quarter)
    screenshot(page, "quarterly-return")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == f"marac-return-oxford-{quarter}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    # headings in words; the meeting named by its date, the area and quarter spelt out
    meeting_row = next(r for r in rows if r["Meeting date"] == held.isoformat())
    assert meeting_row["Cases discussed"] == "1"
    assert meeting_row["MARAC"] == "Oxford"
    assert rows[-1]["Meeting date"] == "Total"
    assert meeting_id not in Path(download.value.path()).read_text()
    assert case["case_id"]  # heard at that meeting


def test_referring_works_without_javascript(site, browser):
    schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        site.sign_in(page, "idva")
        complete_referral(page, site.url, victim="Jane Smith", yes=9)
        draft = page.url.removesuffix("/check")
        page.goto(f"{draft}/dash-2")  # the flags are rendered by the server too
        flags = page.get_by_test_id("dash-flags")
        expect(flags.locator("[data-flag-question='stalking_or_harassment']")).to_be_visible()
        expect(flags.locator("[data-flag-question='strangulation']")).to_be_hidden()
        page.goto(f"{draft}/check")
        expect(page.get_by_test_id("stalking-answers")).to_contain_text("very frightened")
        page.get_by_role("link", name="Change why you are referring").click()
        page.get_by_label("Professional judgement (optional)").fill(
            "Threats to kill made to her sister last week."
        )
        page.get_by_role("button", name="Continue to check your answers").click()
        page.get_by_role("button", name="Send referral").click()
        expect(page.get_by_role("heading", name="Referral sent")).to_be_visible()
        expect(page.get_by_test_id("criteria-met")).to_have_text("Professional judgement")
    finally:
        context.close()


def test_a_referral_meeting_no_criterion_is_refused_with_the_reason(site, page):
    schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    site.sign_in(page, "idva")
    complete_referral(page, site.url, victim="Jane Smith", yes=13)
    page.get_by_role("button", name="Send referral").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("DASH score 13 is below 14")
    summary.get_by_role("link").first.click()
    page.wait_for_url("**/criteria#professional_judgement_reason")
    expect(page.get_by_label("Professional judgement (optional)")).to_be_visible()


def test_the_content_security_policy_lets_the_pages_own_scripts_run(site, browser):
    context = browser.new_context()  # the policy enforced, unlike the axe contexts
    try:
        page = context.new_page()
        violations = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
        )
        page.goto(f"{site.url}/sign-in")
        page.get_by_role("button", name="Sign in").click()  # empty: errors
        expect(page.locator("body")).to_have_class(re.compile("govuk-frontend-supported"))
        expect(page.locator(".govuk-error-summary")).to_be_focused()  # GOV.UK Frontend ran
        assert not violations
    finally:
        context.close()


def test_a_meeting_on_a_bank_holiday_needs_confirming_and_areas_come_from_the_policy(site, page):
    from services.marac.domain.bank_holidays import bank_holidays

    today = site.platform.today()
    holiday = min(
        d for year in (today.year, today.year + 1) for d in bank_holidays(year) if d > today
    )
    site.sign_in(page, "chair")
    page.goto(f"{site.url}/marac/meetings/new")
    areas = page.get_by_label("MARAC area").locator("option").all_inner_texts()
    assert "Oxford" in areas and len(areas) >= 2  # the policy's areas, on a new installation
    page.get_by_label("MARAC area").select_option("oxford")
    fill_date(page, "meeting_date", holiday)
    page.get_by_role("button", name="Schedule meeting").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("is a bank holiday: check the date, or confirm")
    check_accessibility(page, "meeting on a bank holiday")
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "closed_day_confirmed"
    page.get_by_label("Yes, the meeting is on a bank holiday").check()
    page.get_by_role("button", name="Schedule meeting").click()
    page.wait_for_url("**/marac/meetings/m-*")


def test_the_referral_form_offers_the_policys_areas_before_any_meeting_exists(site, page):
    site.sign_in(page, "idva")
    page.goto(f"{site.url}/marac/referrals/new")
    page.get_by_role("button", name="Start now").click()
    options = page.get_by_label("MARAC area").locator("option").all_inner_texts()
    assert "Oxford" in options


def test_the_dpo_reads_the_access_trail_of_a_subject_their_agency_holds(site, page):
    """The DPO had no page at all ("There are no pages for your role yet")."""
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    case = refer(site.platform, "idva", yes=15)
    victim = case["victim"]["person_id"]
    site.sign_in(page, "chair")
    page.goto(f"{site.url}/marac/meetings/{meeting_id}")  # the chair is shown the victim
    page.get_by_role("button", name="Sign out").click()

    site.sign_in(page, "dpo")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Access trail").click()
    page.get_by_label("Person, case or nominal id").fill(victim)
    page.get_by_role("button", name="Show the trail").click()
    trail = page.get_by_test_id("access-trail")
    expect(trail).to_contain_text("chair")
    expect(trail).to_contain_text("Thames Valley MARAC coordination team")
    expect(trail).to_contain_text("Victim identity")
    check_accessibility(page, "access trail")
    screenshot(page, "access-trail")

    page.get_by_label("Person, case or nominal id").fill("p-not-ours")
    page.get_by_role("button", name="Show the trail").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "no person, case or nominal with that id in your agency's records"
    )


def test_the_form_says_the_criteria_flags_stalking_and_asks_the_stalking_screen(
    site, page, browser
):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    site.sign_in(page, "idva")
    complete_referral(
        page,
        site.url,
        victim="Jane Smith",
        yes=13,  # stalking yes, threats to kill and strangulation no
        stalking={"very_frightened": "yes", "loitering": "yes", "substance_misuse": "not_known"},
    )
    draft = page.url.removesuffix("/check")

    # the stalking screen's answers are on "check your answers", each with a change link
    answers = page.get_by_test_id("stalking-answers")
    expect(answers).to_contain_text("loitered near the victim's home")
    expect(answers.locator(".govuk-summary-list__row")).to_have_count(11)
    expect(answers.locator(".govuk-summary-list__value").nth(4)).to_have_text("Yes")
    expect(answers.locator(".govuk-summary-list__value").nth(9)).to_have_text("Not known")

    # the DASH pages flag stalking while answering, and the flags follow the answers live
    page.goto(f"{draft}/dash-2")
    flags = page.get_by_test_id("dash-flags")
    expect(flags.locator("[data-flag-question='stalking_or_harassment']")).to_be_visible()
    threats = flags.locator("[data-flag-question='threats_to_kill']")
    expect(threats).to_be_hidden()
    choose(page, "threats_to_kill", "yes")
    expect(threats).to_be_visible()
    expect(threats).to_have_text("Threats to kill")
    choose(page, "threats_to_kill", "no")
    expect(threats).to_be_hidden()
    page.goto(f"{draft}/dash-1")
    stalking = flags.locator("[data-flag-question='stalking_or_harassment']")
    choose(page, "stalking_or_harassment", "no")
    expect(stalking).to_be_hidden()
    expect(flags).to_contain_text("No strangulation, threats to kill or stalking so far")
    choose(page, "stalking_or_harassment", "yes")
    expect(stalking).to_be_visible()

    # the criteria page says, before Send, that no criterion is met and why
    page.goto(f"{draft}/criteria")
    words = page.get_by_test_id("criteria-words")
    expect(words).to_contain_text("This referral meets no MARAC criterion")
    expect(words).to_contain_text("DASH score 13 is under 14")
    expect(words).to_contain_text("there is no professional judgement")
    expect(words).to_contain_text("no earlier MARAC referral for this victim")
    expect(words).to_contain_text("Add your professional judgement")
    expect(words).to_contain_text("stalking or harassment")
    page.get_by_label("Professional judgement (optional)").fill(
        "Stalking: he waits outside her work every day."
    )
    page.get_by_role("button", name="Continue to check your answers").click()
    page.goto(f"{draft}/criteria")
    expect(words).to_contain_text("This referral meets 1 MARAC criterion")
    expect(words).to_contain_text("Professional judgement (you have given your reasons)")
    page.get_by_role("button", name="Continue to check your answers").click()

    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("heading", name="Referral sent")).to_be_visible()
    reference = page.get_by_test_id("case-reference").inner_text()

    # the chair's agenda shows the screen with the case
    chair_context, chair = new_page(browser)
    try:
        site.sign_in(chair, "chair")
        chair.goto(f"{site.url}/marac/meetings/{meeting_id}")
        case = chair.get_by_test_id("agenda-case").filter(has_text=f"Case {reference}")
        screen = case.get_by_test_id("stalking-screen")
        expect(screen).to_contain_text('2 "yes" of 11 answers shown')
        expect(screen).to_contain_text("loitered near the victim's home")
    finally:
        chair_context.close()


def test_the_agenda_as_one_row_per_case_matches_the_csv_and_prints(site, page):
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    first = refer(site.platform, "idva", victim="Jane Smith", yes=15)
    second = refer(
        site.platform,
        "idva",
        victim="Mary Jones",
        victim_dob="1985-01-01",
        perpetrator="Tom Brown",
        perpetrator_dob="1980-01-01",
        yes=18,
    )
    refer(site.platform, "housing", victim="Jane Smith", yes=3)  # a repeat of the first
    assign_action(
        site.platform,
        first["case_id"],
        meeting_id,
        "housing-oxford",
        "Lock change",
        site.platform.today() + dt.timedelta(days=7),
    )

    site.sign_in(page, "chair")
    page.goto(f"{site.url}/marac/meetings/{meeting_id}")
    page.get_by_role("link", name="Show as a table, one row per case").click()
    page.wait_for_url(f"**/marac/meetings/{meeting_id}/agenda/table")
    table = page.get_by_test_id("agenda-table")
    headings = table.locator("thead th").all_inner_texts()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    check_accessibility(page, "agenda table")
    screenshot(page, "agenda-table")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a spreadsheet (CSV)").click()
    lines = Path(download.value.path()).read_text().splitlines()
    spreadsheet = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    assert headings == list(spreadsheet[0].keys())  # the same columns, in the same order
    assert [r["Case"] for r in spreadsheet] == [first["case_reference"], second["case_reference"]]

    def cell(row: int, heading: str) -> str:
        return rows.nth(row).locator("th, td").nth(headings.index(heading)).inner_text().strip()

    for number, expected in enumerate(spreadsheet):
        for heading in ("Position", "Case", "Repeat", "DASH score", "Risk level", "Criteria met"):
            assert cell(number, heading) == expected[heading], heading
        assert cell(number, "Victim") == expected["Victim"]
        assert cell(number, "Open actions") == expected["Open actions"]
    assert cell(0, "Criteria met") == "Repeat"  # the latest referral's, as in the CSV
    assert cell(1, "Criteria met") == "Visible high risk"
    assert cell(0, "Referring agency") == "Oxford City Council housing services"
    assert cell(0, "Open actions") == "1"
    assert cell(1, "Victim") == "Mary Jones"

    page.emulate_media(media="print")
    assert page.get_by_role("navigation", name="Menu").is_hidden()
    assert table.is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)  # the page's own @page size
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1  # marking and table together
    width, height = map(float, re.search(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert width > height  # landscape


HEX_ID = re.compile(r"\b[cr]-[0-9a-f]{10}\b")


def test_references_and_names_stand_where_hex_ids_stood(site, page):
    """The agenda's changes, the print summary and the action lists name cases by reference
    and victim (as the agreement lets the reader see them), never by their hex ids."""
    meeting_id = schedule_meeting(site.platform, next_meeting_date(site.platform.today()))
    first = refer(site.platform, "idva", victim="Jane Smith", yes=15)
    marac_api.publish_agenda(meeting_id, PublishRequest(), caller("chair"), site.platform)
    second = refer(
        site.platform,
        "idva",
        victim="Mary Jones",
        victim_dob="1985-01-01",
        perpetrator="Tom Brown",
        perpetrator_dob="1980-01-01",
        yes=18,
    )
    marac_api.publish_agenda(meeting_id, PublishRequest(), caller("chair"), site.platform)
    assign_action(
        site.platform,
        first["case_id"],
        meeting_id,
        "housing-oxford",
        "Check the tenancy file",
        due=site.platform.today() - dt.timedelta(days=2),
    )

    site.sign_in(page, "chair")
    page.goto(f"{site.url}/marac/meetings/{meeting_id}")
    expect(page.get_by_test_id("change-added")).to_have_text(
        f"Added: {second['case_reference']} (Mary Jones)"
    )
    assert not HEX_ID.search(page.locator("main").inner_text())

    page.goto(f"{site.url}/marac/meetings/{meeting_id}/print")
    summary = page.get_by_test_id("print-summary-victim")
    expect(summary).to_have_count(2)
    expect(page.locator("main")).to_contain_text(first["case_reference"])
    assert sorted(summary.all_inner_texts()) == ["Jane Smith", "Mary Jones"]
    assert not HEX_ID.search(page.locator("main").inner_text())

    page.goto(f"{site.url}/marac/actions/overdue")
    overdue = page.get_by_test_id("overdue-housing-oxford")
    expect(overdue).to_contain_text(first["case_reference"])
    expect(overdue).to_contain_text("Jane Smith")
    assert not HEX_ID.search(page.locator("main").inner_text())

    site.sign_in(page, "housing")
    page.goto(f"{site.url}/marac/actions")
    card = page.locator(".govuk-summary-card")
    expect(card).to_contain_text(f"Case {first['case_reference']}")
    expect(card.get_by_test_id("case-victim")).to_have_text("Jane Smith")
    assert not HEX_ID.search(page.locator("main").inner_text())
    check_accessibility(page, "actions with references and names")
