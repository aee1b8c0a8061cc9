"""Every page with a data table reads at 375 px without scrolling the page sideways
(WCAG 1.4.10 Reflow): a table wider than the screen scrolls in its own region, which is
labelled and takes keyboard focus so it can be scrolled without a mouse."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from services.intake.web.core import PAGE_TEMPLATE_DIRS, SERVICES_DIR
from tests.e2e.conftest import PASSWORD, check_accessibility
from tests.e2e.helpers import assign_action, next_meeting_date, refer, schedule_meeting
from tests.e2e.test_matac_mappa_pages import api_post, matac_site, nominal  # noqa: F401

NARROW = {"width": 375, "height": 800}

LAYOUT = """() => {
  const root = document.documentElement;
  const tables = [...document.querySelectorAll('table')].map(table => {
    const region = table.closest('.tandem-table-region');
    return {
      caption: table.caption ? table.caption.textContent.trim() : '',
      inRegion: region !== null,
      role: region && region.getAttribute('role'),
      tabindex: region && region.getAttribute('tabindex'),
      label: region && region.getAttribute('aria-label'),
      overflows: region ? region.scrollWidth > region.clientWidth : false,
    };
  });
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
    .filter(e => !e.closest('.tandem-table-region'))
    .slice(-5)
    .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, tables, wide};
}"""


def _narrow_page(browser, site, who: str):
    context = browser.new_context(viewport=NARROW, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site.url}/sign-in")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/")
    return context, page


def _assert_reflows(page, url: str, expect_table: bool = True) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    layout = page.evaluate(LAYOUT)
    assert layout["scrollWidth"] <= layout["clientWidth"], (
        f"{url} scrolls sideways at 375 px: {layout['scrollWidth']} > {layout['clientWidth']}, "
        f"past the edge: {layout['wide']}"
    )
    if expect_table:
        assert layout["tables"], f"{url} shows no table to check"
    for table in layout["tables"]:
        assert table["inRegion"], f"{url}: table {table['caption']!r} is not in a scroll region"
        assert table["role"] == "region" and table["tabindex"] == "0", (url, table)
        assert table["label"] and table["label"] == table["caption"], (url, table)


@pytest.fixture
def marac_site(site, nominal):  # noqa: F811 - the MAPPA nominal fixture
    """Data behind the MARAC, MAPPA and audit tables: a meeting with cases and an overdue
    action, a MAPPA nominal."""
    platform = site.platform
    meeting_id = schedule_meeting(platform, next_meeting_date(platform.today()))
    case = refer(platform, "idva", victim="Jane Smith", yes=15)
    refer(
        platform,
        "idva",
        victim="Mary Jones",
        victim_dob="1985-01-01",
        perpetrator="Tom Brown",
        perpetrator_dob="1980-01-01",
        yes=18,
    )
    assign_action(
        platform,
        case["case_id"],
        meeting_id,
        "idva-oxon",
        "Safety planning with the victim and a referral to the refuge in Banbury",
        due=platform.today() - dt.timedelta(days=2),
    )
    site.meeting_id = meeting_id
    site.case = case
    site.nominal_id = nominal
    return site


def _check_pages(browser, site, pages: dict[str, list[tuple[str, bool]]]) -> None:
    for who, urls in pages.items():
        context, page = _narrow_page(browser, site, who)
        try:
            for url, has_table in urls:
                _assert_reflows(page, url, has_table)
            check_accessibility(page, f"{urls[-1][0]} at 375 px")
        finally:
            context.close()


def test_every_marac_mappa_and_audit_table_page_reflows_at_375_px(marac_site, browser):
    site = marac_site
    meeting = f"{site.url}/marac/meetings/{site.meeting_id}"
    pages = {
        "chair": [
            (f"{site.url}/marac/meetings", True),
            (meeting, False),
            (f"{meeting}/agenda/table", True),
            (f"{meeting}/print", True),
            (f"{site.url}/marac/actions/overdue", True),
            (f"{site.url}/status", True),
        ],
        "idva": [
            (f"{site.url}/marac/referrals", True),
            (f"{site.url}/marac/referrals/{site.case['referral_id']}", True),
            (f"{site.url}/marac/actions", False),
        ],
        "mappa": [
            (f"{site.url}/mappa/reviews", True),
            (f"{site.url}/mappa/nominals/{site.nominal_id}", True),
        ],
        "dpo": [(f"{site.url}/audit?subject_id={site.case['victim']['person_id']}", True)],
    }
    _check_pages(browser, site, pages)


def test_every_matac_table_page_reflows_at_375_px(matac_site, browser):  # noqa: F811
    site = matac_site
    api_post(site, "/api/matac/cohort", {"person_id": "p-a"}, "tvp", "analyst")
    pages = {
        "analyst": [
            (f"{site.url}/matac/ranking?area=oxford", True),
            (f"{site.url}/matac/ranking", True),
            (f"{site.url}/matac/perpetrators/p-a", True),
            (f"{site.url}/matac/cohort", True),
        ],
    }
    _check_pages(browser, site, pages)


def test_a_wide_table_scrolls_in_its_region_from_the_keyboard(marac_site, browser):
    site = marac_site
    context, page = _narrow_page(browser, site, "chair")
    try:
        page.goto(f"{site.url}/marac/meetings/{site.meeting_id}/agenda/table")
        region = page.get_by_role("region", name="Cases in agenda order")
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # 17 columns do not fit
        region.focus()
        expect(region).to_be_focused()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        assert region.evaluate("e => e.scrollLeft") > 0
    finally:
        context.close()


def test_every_table_in_the_templates_is_in_a_labelled_scroll_region():
    """The browser test can only see tables that have rows; this covers every template."""
    chrome, *services = PAGE_TEMPLATE_DIRS
    pages = [*chrome.rglob("*.html"), *(t for d in services for t in d.glob("*/*.html"))]
    assert len(pages) > 40, "the page templates were not found"
    # (a service's templates/ root holds the API's own printable HTML, not a page)
    for template in sorted(pages):
        source = template.read_text()
        for match in re.finditer(r"<table\b", source):
            before = source[: match.start()].rstrip().rsplit("\n", 1)[-1]
            assert re.search(
                r'class="tandem-table-region" role="region" aria-label=".+" tabindex="0">$',
                before,
            ), f"{template.relative_to(SERVICES_DIR)}: a table outside a scroll region"
