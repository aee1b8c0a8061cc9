"""Reading sensitive-field annotations from Avro schemas."""

import copy
from typing import Any

import fastavro
import pytest

from services.sharing.errors import SensitiveSchemaError
from services.sharing.sensitive_schema import SensitiveField, sensitive_fields
from tests.unit.sharing.sample_schema import REFERRAL

PERPETRATOR_FIELDS = [
    ("name", "perpetrator.identity"),
    ("date_of_birth", "perpetrator.identity"),
    ("aliases[*]", "perpetrator.identity"),
    ("offending_history", "offending.detail"),
]


def test_every_sensitive_location_is_found_in_schema_order() -> None:
    expected = [
        SensitiveField("victim.name", "victim.identity", "victim.person_id"),
        SensitiveField("victim.date_of_birth", "victim.identity", "victim.person_id"),
        SensitiveField("victim.address", "victim.address", "victim.person_id"),
        SensitiveField("victim.health_notes", "victim.health", "victim.person_id"),
        SensitiveField("perpetrators[*].name", "perpetrator.identity", "perpetrators[*].person_id"),
        SensitiveField(
            "perpetrators[*].date_of_birth", "perpetrator.identity", "perpetrators[*].person_id"
        ),
        SensitiveField(
            "perpetrators[*].aliases[*]", "perpetrator.identity", "perpetrators[*].person_id"
        ),
        SensitiveField(
            "perpetrators[*].offending_history", "offending.detail", "perpetrators[*].person_id"
        ),
        SensitiveField("children[*].name", "children", "children[*].person_id"),
        SensitiveField("children[*].school", "children", "children[*].person_id"),
        SensitiveField(
            "previous_perpetrator.name", "perpetrator.identity", "previous_perpetrator.person_id"
        ),
        SensitiveField(
            "previous_perpetrator.date_of_birth",
            "perpetrator.identity",
            "previous_perpetrator.person_id",
        ),
        SensitiveField(
            "previous_perpetrator.aliases[*]",
            "perpetrator.identity",
            "previous_perpetrator.person_id",
        ),
        SensitiveField(
            "previous_perpetrator.offending_history",
            "offending.detail",
            "previous_perpetrator.person_id",
        ),
        SensitiveField("referrer.phone", "referrer.contact", "referrer.referrer_id"),
        SensitiveField("risk_summary", "risk.narrative", "case_id"),
    ]
    assert sensitive_fields(REFERRAL) == expected


def test_the_sample_is_a_valid_avro_schema() -> None:
    fastavro.parse_schema(copy.deepcopy(REFERRAL))


def test_a_schema_without_annotations_has_no_sensitive_fields() -> None:
    schema = {"type": "record", "name": "Plain", "fields": [{"name": "id", "type": "string"}]}
    assert sensitive_fields(schema) == []


def test_full_names_and_other_namespaces_resolve() -> None:
    schema = {
        "type": "record",
        "name": "Outer",
        "namespace": "a.b",
        "fields": [
            {
                "name": "first",
                "type": {
                    "type": "record",
                    "name": "x.y.Person",
                    "fields": [
                        {"name": "id", "type": "string"},
                        {
                            "name": "name",
                            "type": "string",
                            "data_class": "victim.identity",
                            "subject": "id",
                        },
                    ],
                },
            },
            {"name": "second", "type": "x.y.Person"},
            {
                "name": "many",
                "type": {"type": "array", "items": {"type": "array", "items": "x.y.Person"}},
            },
        ],
    }
    assert [f.path for f in sensitive_fields(schema)] == [
        "first.name",
        "second.name",
        "many[*][*].name",
    ]


def record_with(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "Event", "fields": [*fields]}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            record_with(
                {"name": "id", "type": "string"},
                {"name": "name", "type": "string", "data_class": "victim.name", "subject": "id"},
            ),
            "Event.name: unknown data class 'victim.name'",
        ),
        (
            record_with({"name": "name", "type": "string", "data_class": "victim.identity"}),
            "Event.name: needs both 'data_class' and 'subject'",
        ),
        (
            record_with(
                {"name": "name", "type": "string", "data_class": "victim.identity", "subject": "id"}
            ),
            "Event.name: subject 'id' is not a sibling field",
        ),
        (
            record_with(
                {
                    "name": "id",
                    "type": "string",
                    "data_class": "victim.identity",
                    "subject": "name",
                },
                {
                    "name": "name",
                    "type": "string",
                    "data_class": "victim.identity",
                    "subject": "id",
                },
            ),
            "must be a plain string field (in the clear)",
        ),
        (
            record_with(
                {"name": "id", "type": "long"},
                {
                    "name": "name",
                    "type": "string",
                    "data_class": "victim.identity",
                    "subject": "id",
                },
            ),
            "Event.name: subject 'id' must be a plain string field",
        ),
        (
            record_with(
                {"name": "id", "type": "string"},
                {"name": "age", "type": "int", "data_class": "victim.identity", "subject": "id"},
            ),
            "Event.age: a sensitive field must be a string",
        ),
        (
            record_with(
                {"name": "id", "type": "string"},
                {
                    "name": "x",
                    "type": ["null", "string", "int"],
                    "data_class": "children",
                    "subject": "id",
                },
            ),
            "Event.x: a sensitive field must be a string",
        ),
        (
            record_with({"name": "x", "type": "Nowhere"}),
            "Event.x: unknown type 'Nowhere'",
        ),
        (
            record_with(
                {
                    "name": "notes",
                    "type": {
                        "type": "map",
                        "values": {
                            "type": "record",
                            "name": "Note",
                            "fields": [
                                {"name": "id", "type": "string"},
                                {
                                    "name": "text",
                                    "type": "string",
                                    "data_class": "risk.narrative",
                                    "subject": "id",
                                },
                            ],
                        },
                    },
                }
            ),
            "Event.notes: sensitive fields inside maps are not supported",
        ),
        (
            record_with(
                {
                    "name": "who",
                    "type": [
                        "null",
                        {
                            "type": "record",
                            "name": "A",
                            "fields": [
                                {"name": "id", "type": "string"},
                                {
                                    "name": "n",
                                    "type": "string",
                                    "data_class": "children",
                                    "subject": "id",
                                },
                            ],
                        },
                        {
                            "type": "record",
                            "name": "B",
                            "fields": [
                                {"name": "id", "type": "string"},
                                {
                                    "name": "n",
                                    "type": "string",
                                    "data_class": "children",
                                    "subject": "id",
                                },
                            ],
                        },
                    ],
                }
            ),
            "Event.who: a union may have only one branch with sensitive fields",
        ),
        (
            record_with({"name": "next", "type": ["null", "Event"]}),
            "Event.next: recursive type Event is not supported",
        ),
        (
            record_with(
                {"name": "a", "type": {"type": "enum", "name": "Event", "symbols": ["X"]}},
            ),
            "type Event is defined twice",
        ),
    ],
)
def test_inconsistent_annotations_are_refused(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(SensitiveSchemaError) as raised:
        sensitive_fields(schema)
    assert message in str(raised.value)


def test_the_root_must_be_a_record() -> None:
    with pytest.raises(SensitiveSchemaError, match="must be a record"):
        sensitive_fields({"type": "array", "items": "string"})  # type: ignore[arg-type]
