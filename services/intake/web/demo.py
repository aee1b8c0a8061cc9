"""``tandem up --demo``: demo accounts for each role and a few fictional cases.

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

from services.bootstrap import Platform
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
    _seed_cases(platform, say)
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


def _seed_cases(platform: Platform, say: Callable[[str], None]) -> None:
    from services.marac import api as marac_api
    from services.marac.intake import ReferralRefused, submit_referral
    from services.marac.models import MeetingRequest, ReferralRequest

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
