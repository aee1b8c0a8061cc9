"""``tandem up --demo``: demo accounts for each role, and fictional MARAC cases, MATAC
incidents and MAPPA nominals, so every role's pages have something in them.

Everything made here is demo data: the people are fictional, every name carries "Demo" and
every free-text field says DEMO DATA. The accounts get random passwords, kept in
``<data dir>/demo-accounts.txt`` (owner-only) and printed at each start. Never use --demo
on a deployment that holds real cases.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from projections.sharing import match_proposals
from services.bootstrap import Platform
from services.intake import api_examples
from services.intake.accounts import AccountError, Accounts
from services.intake.auth import TokenError, check_role
from services.sharing.secret_files import read_or_create_private_file
from services.sharing.service import Caller

DEMO_ACCOUNTS = [
    ("demo-idva", "idva-oxon", "referrer", "IDVA (Oxfordshire IDVA service): refers cases"),
    ("demo-housing", "housing-oxford", "referrer", "Housing officer (Oxford City Council)"),
    ("demo-chair", "marac-coord", "coordinator", "MARAC coordinator and chair"),
    ("demo-analyst", "tvp", "analyst", "Police analyst (Thames Valley Police): MATAC"),
    ("demo-mappa", "mappa-coord", "mappa_coordinator", "MAPPA coordinator"),
]

DEMO_NOTE = "DEMO DATA: a fictional case for trying Tandem."


def _passwords(path: Path) -> dict[str, str]:
    def make() -> bytes:
        lines = [f"{name} {secrets.token_hex(8)}" for name, *_ in DEMO_ACCOUNTS]
        return ("\n".join(lines) + "\n").encode()

    text = read_or_create_private_file(path, make).decode()
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def seed(platform: Platform, say: Callable[[str], None] = print) -> None:
    data_dir = platform.settings.data_dir
    passwords = _passwords(data_dir / "demo-accounts.txt")
    accounts = Accounts(platform.settings.vault_database_url)
    agreements = platform.sharing.agreements.get()
    say("\nDEMO accounts (demo data only; passwords are in demo-accounts.txt in the data dir):")
    try:
        for username, agency, role, description in DEMO_ACCOUNTS:
            try:
                check_role(agreements, agency, role, platform.today())
            except TokenError as exc:
                say(f"  {username:14} not created: {exc}")
                continue
            if accounts.get(username) is None:
                accounts.add(username, agency, role, passwords[username])
            say(f"  {username:14} password {passwords[username]:18} {description}")
    except AccountError as exc:
        say(f"  could not create the demo accounts: {exc}")
    finally:
        accounts.close()

    marker = data_dir / "demo-seeded"
    if marker.exists():
        say("  (demo cases were added on an earlier start)")
        return
    example_ids: dict[str, str] = {}
    _seed_cases(platform, say, example_ids)
    _seed_matac(platform, say, example_ids)
    _seed_mappa(platform, say, example_ids)
    api_examples.record_demo_ids(data_dir, example_ids)
    marker.write_text(f"demo cases added {dt.datetime.now(dt.UTC).isoformat()}\n")


def _referral(victim: str, dob: str, perpetrator: str, yes: int, children: list, **extra):
    from services.marac.domain.dash import PARTNER_QUESTIONS

    body = {
        "marac_area": "oxford",
        "referrer": {"name": "Sam Demo", "email": "sam.demo@idva.example"},
        "victim": {
            "name": victim,
            "date_of_birth": dob,
            "address": "1 Demo Street, Oxford OX4 1AA",
            "phone": "07700 900000",
            "safe_to_call": True,
            "gender": "female",
            "ethnicity": "white_british",
            "disability": "no",
            "lgbt": "no",
            "health_notes": "DEMO DATA: anxiety; under the community mental health team",
        },
        "perpetrators": [
            {
                "name": perpetrator,
                "date_of_birth": "1985-03-14",
                "relationship_to_victim": "ex-partner",
                "address": "2 Demo Road, Oxford",
            }
        ],
        "children": children,
        "dash": {
            "form": "partner",
            "answers": {k: ("yes" if i < yes else "no") for i, k in enumerate(PARTNER_QUESTIONS)},
        },
        "victim_aware": "yes",
        "victim_consented": "yes",
        "reason": DEMO_NOTE,
        "agencies_involved": ["tvp", "idva-oxon"],
        "idva_allocated": True,
    }
    body.update(extra)
    return body


def _seed_cases(platform: Platform, say: Callable[[str], None], example_ids: dict) -> None:
    from services.marac import api as marac_api
    from services.marac.intake import ReferralRefused, submit_referral
    from services.marac.models import ActionRequest, MeetingRequest, ReferralRequest

    today = platform.today()
    meeting_date = today + dt.timedelta(days=21)
    while meeting_date.weekday() != 3:  # a Thursday
        meeting_date += dt.timedelta(days=1)
    chair = Caller("demo-chair", "marac-coord", "coordinator")
    meeting = marac_api.schedule_meeting(
        MeetingRequest(
            marac_area="oxford", meeting_date=meeting_date, venue="Demo venue", chair_agency="tvp"
        ),
        chair,
        platform,
    )
    say(f"\nDEMO cases: an Oxford MARAC meeting on {meeting_date} ({meeting.meeting_id})")
    idva = Caller("demo-idva", "idva-oxon", "referrer")
    housing = Caller("demo-housing", "housing-oxford", "referrer")
    cases = [
        (
            idva,
            _referral(
                "Amelia Demo",
                "1991-05-02",
                "Mark Demo",
                16,
                [
                    {
                        "name": "Lily Demo",
                        "date_of_birth": "2019-09-01",
                        "school": "Demo Primary School",
                    }
                ],
            ),
        ),
        (
            housing,
            _referral(
                "Priya Demo",
                "1988-11-20",
                "Daniel Demo",
                9,
                [],
                professional_judgement_reason="DEMO DATA: threats to kill made "
                "to her sister last week.",
            ),
        ),
        (
            idva,
            _referral(
                "Grace Demo",
                "1979-01-30",
                "Steven Demo",
                14,
                [
                    {"name": "Noah Demo", "date_of_birth": "2015-02-11"},
                    {"name": "Ella Demo", "date_of_birth": "2017-06-23"},
                ],
            ),
        ),
    ]
    for caller, body in cases:
        try:
            with platform.commands.begin() as command:
                submission = submit_referral(
                    platform, command.conn, caller, ReferralRequest.model_validate(body)
                )
                command.record(submission.events)
        except ReferralRefused as exc:
            say(f"  demo referral refused: {exc}")
            continue
        referral_id = submission.accepted.referral_id
        case_id = submission.accepted.case_id
        say(f"  referral {referral_id}: {body['victim']['name']}, case {case_id}")
        if body["victim"]["name"] == "Amelia Demo":
            example_ids[api_examples.CASE_ID] = case_id
            example_ids[api_examples.REFERRAL_ID] = referral_id
        if body["victim"]["name"] == "Grace Demo":
            example_ids[api_examples.ERASED_SUBJECT_ID] = submission.accepted.victim.person_id
    example_ids[api_examples.MEETING_ID] = meeting.meeting_id
    if api_examples.CASE_ID in example_ids:
        action = marac_api.assign_action(
            ActionRequest(
                case_id=example_ids[api_examples.CASE_ID],
                meeting_id=meeting.meeting_id,
                owner_agency="housing-oxford",
                description="DEMO DATA: fit a lock change and a sanctuary scheme",
                due_date=meeting_date + dt.timedelta(days=14),
            ),
            chair,
            None,
            platform,
        )
        example_ids[api_examples.ACTION_ID] = action.action_id
        say(f"  action {action.action_id} for Oxford City Council housing on Amelia Demo's case")


def _seed_matac(platform: Platform, say: Callable[[str], None], example_ids: dict) -> None:
    """Incidents over the last year for two suspects in Oxford, so the ranking has a shape.

    A last incident names "Marc Demo" with Mark Demo's date of birth: a near match, so the
    coordinator's person-matches page has a proposal to decide.
    """
    from fastapi import HTTPException

    from services.matac import api as matac_api
    from services.matac.models import IncidentIn

    analyst = Caller("demo-analyst", "tvp", "analyst")
    policy = matac_api.current_policy(platform)
    today = platform.today()
    suspects = {
        "Mark Demo": "1985-03-14",  # Amelia Demo's ex-partner in the MARAC demo case
        "Kyle Demo": "1993-07-08",
    }
    incidents = [
        ("Mark Demo", 20, ["abh"], ["Amelia Demo"]),
        ("Mark Demo", 75, ["coercive_control"], ["Amelia Demo"]),
        ("Mark Demo", 160, ["common_assault"], ["Amelia Demo", "Beth Demo"]),
        ("Kyle Demo", 40, ["harassment"], ["Chloe Demo"]),
        ("Kyle Demo", 300, ["non_crime"], ["Chloe Demo"]),
        ("Mark Demo", 10, ["harassment"], ["Bethany Demo"]),  # Beth Demo? a near match
    ]
    recorded = 0
    for number, (suspect, days_ago, offences, victims) in enumerate(incidents, start=1):
        body = IncidentIn.model_validate(
            {
                "incident_id": f"DEMO-{today.year}-{number:04d}",
                "occurred_on": (today - dt.timedelta(days=days_ago)).isoformat(),
                "policing_area": "oxford",
                "is_crime": offences != ["non_crime"],
                "offence_categories": [] if offences == ["non_crime"] else offences,
                "suspect": {"name": suspect, "date_of_birth": suspects[suspect]},
                "victims": [{"name": v, "date_of_birth": "1990-01-01"} for v in victims],
                "summary": DEMO_NOTE,
            }
        )
        try:
            accepted = matac_api.record_incident(body, analyst, platform, policy)
            recorded += 1
        except HTTPException as exc:
            say(f"  demo incident refused: {exc.detail}")
            continue
        if suspect == "Mark Demo":
            example_ids[api_examples.PERPETRATOR_ID] = accepted.suspect_person_id
    say(f"DEMO MATAC: {recorded} police incidents in Oxford for two fictional suspects")
    with platform.engine.connect() as conn:
        proposal = conn.execute(
            select(match_proposals.c.proposal_id).where(match_proposals.c.status == "pending")
        ).scalar()
    if proposal:
        example_ids[api_examples.MATCH_PROPOSAL_ID] = proposal
        say("  Bethany Demo may be Beth Demo: a person match for the coordinator to decide")


def _seed_mappa(platform: Platform, say: Callable[[str], None], example_ids: dict) -> None:
    """Two nominals at levels 1 and 2, one with its review overdue, and one just registered."""
    from fastapi import HTTPException, Response

    from services.mappa import api as mappa_api
    from services.mappa.models import (
        AssignCategoryRequest,
        RegisterNominalRequest,
        SetLevelRequest,
    )

    coordinator = Caller("demo-mappa", "mappa-coord", "mappa_coordinator")
    today = platform.today()
    nominals = [
        ("Robert Demo", 2, 2, 300),  # level 2 (16-week reviews), registered 300 days ago
        ("Gary Demo", 1, 1, 60),
    ]
    for name, category, level, days_ago in nominals:
        registered = today - dt.timedelta(days=days_ago)
        try:
            accepted = mappa_api.register_nominal(
                RegisterNominalRequest.model_validate(
                    {
                        "area": "thames-valley",
                        "lead_agency": "probation-tv",
                        "registered_on": registered.isoformat(),
                        "name": name,
                        "date_of_birth": "1980-04-04",
                        "index_offence": DEMO_NOTE,
                        "address": "3 Demo Close, Reading",
                        "address_risk": DEMO_NOTE,
                        "rosh_level": "high" if level == 2 else "medium",
                        "risk_management_plan": DEMO_NOTE,
                    }
                ),
                coordinator,
                platform,
                Response(),
            )
            nominal_id = accepted.nominal_id
            mappa_api.assign_category(
                nominal_id,
                AssignCategoryRequest(
                    category=category,
                    effective_on=registered,
                    # category 1 (registered sexual offender) has a notification period
                    notification_end=registered + dt.timedelta(days=3650)
                    if category == 1
                    else None,
                ),
                coordinator,
                platform,
            )
            mappa_api.set_level(
                nominal_id,
                SetLevelRequest(level=level, effective_on=registered, reason=DEMO_NOTE),
                coordinator,
                platform,
            )
        except HTTPException as exc:
            say(f"  demo nominal refused: {exc.detail}")
            continue
        say(f"DEMO MAPPA: {name}, category {category}, level {level} ({nominal_id})")
    # The nominal the API reference's examples act on: registered, nothing decided yet.
    try:
        accepted = mappa_api.register_nominal(
            RegisterNominalRequest.model_validate(
                {
                    "area": "thames-valley",
                    "lead_agency": "probation-tv",
                    "registered_on": api_examples.example_date(
                        api_examples.EXAMPLE_NOMINAL_REGISTERED_ON, today
                    ).isoformat(),
                    "name": "Lee Demo",
                    "date_of_birth": "1979-10-10",
                    "index_offence": DEMO_NOTE,
                    "risk_management_plan": DEMO_NOTE,
                }
            ),
            coordinator,
            platform,
            Response(),
        )
    except HTTPException as exc:
        say(f"  demo nominal refused: {exc.detail}")
        return
    example_ids[api_examples.NOMINAL_ID] = accepted.nominal_id
    say(f"DEMO MAPPA: Lee Demo, just registered ({accepted.nominal_id})")
