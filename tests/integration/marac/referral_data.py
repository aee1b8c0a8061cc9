"""Referral requests as partners send them, built by hand."""

from __future__ import annotations

PARTNER_KEYS = [
    "injury", "very_frightened", "afraid_of_what", "isolated", "depressed_or_suicidal",
    "separation", "child_contact_conflict", "stalking_or_harassment", "pregnant_or_recent_birth",
    "abuse_more_often", "abuse_getting_worse", "controlling_or_jealous", "weapons_used",
    "threats_to_kill", "strangulation", "sexual_abuse", "other_person_threatens",
    "hurt_anyone_else", "animal_abuse", "financial_issues", "substance_or_mental_health",
    "suicide_threats", "breached_bail_or_orders", "criminal_history",
]  # fmt: skip


def dash(yes: int) -> dict:
    """Partner DASH answers with the first ``yes`` questions answered yes, the rest no."""
    return {
        "form": "partner",
        "answers": {k: ("yes" if i < yes else "no") for i, k in enumerate(PARTNER_KEYS)},
    }


def referral(
    *,
    victim: str = "Jane Smith",
    victim_dob: str = "1990-02-03",
    perpetrator: str = "John Smith",
    perpetrator_dob: str = "1987-06-30",
    yes: int = 15,
    referral_date: str | None = None,
    judgement: str | None = None,
    area: str = "oxford",
    **extra,
) -> dict:
    body = {
        "marac_area": area,
        "referrer": {"name": "Sam Patel", "email": "sam.patel@idva.example"},
        "victim": {
            "name": victim,
            "date_of_birth": victim_dob,
            "address": "12 Cowley Road, Oxford OX4 1AA",
            "phone": "07700 900123",
            "gender": "female",
            "ethnicity": "black",
            "disability": "no",
            "lgbt": "no",
            "health_notes": "Anxiety; under the community mental health team",
        },
        "perpetrators": [
            {
                "name": perpetrator,
                "date_of_birth": perpetrator_dob,
                "relationship_to_victim": "ex-partner",
                "address": "4 Iffley Road, Oxford",
            }
        ],
        "children": [
            {"name": "Amy Smith", "date_of_birth": "2018-04-01", "school": "St Mary's Primary"}
        ],
        "dash": dash(yes),
        "victim_aware": "yes",
        "victim_consented": "yes",
        "reason": "Strangled during an argument about child contact.",
    }
    if referral_date:
        body["referral_date"] = referral_date
    if judgement:
        body["professional_judgement_reason"] = judgement
    body.update(extra)
    return body
