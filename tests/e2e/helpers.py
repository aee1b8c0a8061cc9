"""Steps the browser tests share: filling in the referral form, making data directly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from projections.sharing import person_terms
from services.bootstrap import Platform
from services.marac import api as marac_api
from services.marac import queries
from services.marac.domain.stalking import STALKING_QUESTIONS
from services.marac.intake import submit_referral
from services.marac.models import ActionRequest, MeetingRequest, ReferralRequest
from services.sharing.service import Caller
from tests.e2e.conftest import USERS, check_accessibility, screenshot
from tests.integration.marac.referral_data import PARTNER_KEYS, referral


def caller(who: str) -> Caller:
    agency, role = USERS[who]
    return Caller(who, agency, role)


def next_meeting_date(today: dt.date, days: int = 28) -> dt.date:
    day = today + dt.timedelta(days=days)
    while day.weekday() != 3:  # Thursday
        day += dt.timedelta(days=1)
    return day


def schedule_meeting(platform: Platform, when: dt.date, area: str = "oxford") -> str:
    meeting = marac_api.schedule_meeting(
        MeetingRequest(marac_area=area, meeting_date=when), caller("chair"), platform
    )
    with platform.engine.connect() as conn:  # commands project their own events
        assert queries.meeting(conn, meeting.meeting_id) is not None
    return meeting.meeting_id


def refer(platform: Platform, who: str = "idva", **kwargs) -> dict:
    """A referral made as the API would make it (for tests that need one already there)."""
    body = ReferralRequest.model_validate(referral(**kwargs))
    with platform.commands.begin() as command:
        submission = submit_referral(platform, command.conn, caller(who), body)
        command.record(submission.events)
    accepted = submission.accepted
    victim = accepted.victim.person_id
    with platform.engine.connect() as conn:  # projected (and the victim indexed) in the command
        assert queries.referral(conn, accepted.referral_id) is not None
        assert conn.execute(
            select(person_terms.c.person_id).where(person_terms.c.person_id == victim)
        ).first()
    return accepted.model_dump(mode="json")


def assign_action(
    platform: Platform, case_id: str, meeting_id: str, agency: str, text: str, due: dt.date
) -> str:
    with platform.engine.connect() as conn:
        action = marac_api.assign_action(
            ActionRequest(
                case_id=case_id,
                meeting_id=meeting_id,
                owner_agency=agency,
                description=text,
                due_date=due,
            ),
            caller("chair"),
            conn,
            platform,
        )
    with platform.engine.connect() as conn:
        assert queries.action(conn, action.action_id) is not None
    return action.action_id


def fill_date(page, name: str, day: dt.date | str) -> None:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def choose(page, name: str, value: str) -> None:
    page.locator(f"input[name='{name}'][value='{value}']").check()


def continue_(page) -> None:
    page.get_by_role("button", name="Continue").first.click()


def complete_referral(
    page, base: str, *, victim: str, yes: int, check_pages=False, stalking: dict | None = None
) -> None:
    """From "Refer a case" to "Check your answers", as an IDVA would.

    The first ``yes`` DASH questions are answered yes; when they include stalking, the
    stalking screen is answered from ``stalking`` (question key -> answer; "no" otherwise).
    """

    def looked_at(name: str) -> None:
        if check_pages:
            check_accessibility(page, name)
            screenshot(page, name)

    page.goto(f"{base}/marac/referrals/new")
    looked_at("referral-1-start")
    page.get_by_role("button", name="Start now").click()

    page.get_by_label("MARAC area").select_option("oxford")
    page.get_by_label("Your full name").fill("Sam Patel")
    page.get_by_label("Email address (optional)").fill("sam.patel@idva.example")
    looked_at("referral-2-about")
    continue_(page)

    page.get_by_label("Full name").fill(victim)
    fill_date(page, "date_of_birth", "1990-02-03")
    page.get_by_label("Address (optional)").fill("12 Cowley Road, Oxford OX4 1AA")
    page.get_by_label("Phone number (optional)").fill("07700 900123")
    choose(page, "safe_to_call", "yes")
    choose(page, "gender", "female")
    page.get_by_label("Health needs (optional)").fill(
        "Anxiety; under the community mental health team"
    )
    looked_at("referral-3-victim")
    continue_(page)

    page.get_by_label("Full name").fill("John Smith")
    fill_date(page, "date_of_birth", "1987-06-30")
    page.get_by_label("Relationship to the victim").fill("ex-partner")
    choose(page, "add_another", "no")
    looked_at("referral-4-perpetrator")
    continue_(page)

    choose(page, "has_children", "yes")
    continue_(page)
    page.get_by_label("Full name").fill("Amy Smith")
    fill_date(page, "date_of_birth", "2018-04-01")
    choose(page, "add_another", "no")
    looked_at("referral-5-child")
    continue_(page)

    for part in (1, 2, 3):
        for key in PARTNER_KEYS[(part - 1) * 8 : part * 8]:
            choose(page, key, "yes" if PARTNER_KEYS.index(key) < yes else "no")
        if part == 2:
            looked_at("referral-6-dash")
        continue_(page)

    if PARTNER_KEYS.index("stalking_or_harassment") < yes:
        page.wait_for_url("**/stalking")
        for key in STALKING_QUESTIONS:
            choose(page, key, (stalking or {}).get(key, "no"))
        looked_at("referral-6b-stalking")
        continue_(page)

    page.get_by_label("Why are you referring this case?").fill(
        "Strangled during an argument about child contact."
    )
    page.locator("input[name='agencies_involved'][value='tvp']").check()
    choose(page, "idva_allocated", "yes")
    choose(page, "victim_aware", "yes")
    choose(page, "victim_consented", "yes")
    looked_at("referral-7-criteria")
    page.get_by_role("button", name="Continue to check your answers").click()
    page.wait_for_url("**/check")
