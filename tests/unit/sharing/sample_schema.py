"""A referral event schema exercising every place a sensitive field may sit."""

from typing import Any


def sensitive(name: str, data_class: str, subject: str = "person_id", optional: bool = True):
    field: dict[str, Any] = {
        "name": name,
        "type": ["null", "string"] if optional else "string",
        "data_class": data_class,
        "subject": subject,
    }
    if optional:
        field["default"] = None
    return field


REFERRAL: dict[str, Any] = {
    "type": "record",
    "name": "ReferralSubmitted",
    "namespace": "tandem.marac.v1",
    "fields": [
        {"name": "case_id", "type": "string"},
        {
            "name": "risk_level",
            "type": {"type": "enum", "name": "RiskLevel", "symbols": ["STANDARD", "HIGH"]},
        },
        {
            "name": "victim",
            "type": {
                "type": "record",
                "name": "Victim",
                "fields": [
                    {"name": "person_id", "type": "string"},
                    sensitive("name", "victim.identity", optional=False),
                    sensitive("date_of_birth", "victim.identity"),
                    sensitive("address", "victim.address"),
                    sensitive("health_notes", "victim.health"),
                    {"name": "area", "type": "string"},
                ],
            },
        },
        {
            "name": "perpetrators",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Perpetrator",
                    "fields": [
                        {"name": "person_id", "type": "string"},
                        sensitive("name", "perpetrator.identity", optional=False),
                        sensitive("date_of_birth", "perpetrator.identity"),
                        {
                            "name": "aliases",
                            "type": {"type": "array", "items": "string"},
                            "default": [],
                            "data_class": "perpetrator.identity",
                            "subject": "person_id",
                        },
                        sensitive("offending_history", "offending.detail"),
                    ],
                },
            },
        },
        {
            "name": "children",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Child",
                    "fields": [
                        {"name": "person_id", "type": "string"},
                        sensitive("name", "children", optional=False),
                        sensitive("school", "children"),
                    ],
                },
            },
        },
        # A named type used again by its short name, inside an optional.
        {"name": "previous_perpetrator", "type": ["null", "Perpetrator"], "default": None},
        {
            "name": "referrer",
            "type": [
                "null",
                {
                    "type": "record",
                    "name": "Referrer",
                    "fields": [
                        {"name": "referrer_id", "type": "string"},
                        {"name": "agency", "type": "string"},
                        sensitive("phone", "referrer.contact", subject="referrer_id"),
                    ],
                },
            ],
            "default": None,
        },
        sensitive("risk_summary", "risk.narrative", subject="case_id"),
    ],
}


def referral() -> dict[str, Any]:
    """A plaintext referral: two perpetrators, a child, nulls and an absent optional."""
    return {
        "case_id": "case-1",
        "risk_level": "HIGH",
        "victim": {
            "person_id": "victim-1",
            "name": "Jane Smith",
            "date_of_birth": "1990-02-03",
            "address": "12 Acacia Avenue, Oxford OX1 1AA",
            "health_notes": "Pregnant, 20 weeks",
            "area": "oxford",
        },
        "perpetrators": [
            {
                "person_id": "perp-1",
                "name": "John Doe",
                "date_of_birth": None,
                "aliases": ["Johnny D", "J.D."],
                "offending_history": "Two prior assaults",
            },
            {
                "person_id": "perp-2",
                "name": "Mark Roe",
                "date_of_birth": "1985-07-01",
                "aliases": [],
                "offending_history": None,
            },
        ],
        "children": [{"person_id": "child-1", "name": "Amy Smith", "school": "St Mary's Primary"}],
        "previous_perpetrator": None,
        "referrer": {"referrer_id": "ref-7", "agency": "idva-oxon", "phone": "01865 000000"},
        "risk_summary": "Threats to kill after separation",
    }
