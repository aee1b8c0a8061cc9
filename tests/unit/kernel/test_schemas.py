"""The event contracts: ids pinned, files unedited, every version FULL_TRANSITIVE."""

import copy
import json

import pytest

from services.kernel.compatibility import full_compatibility_problems, full_transitive_problems
from services.kernel.registry import EmbeddedRegistry
from services.kernel.schemas import IDS_FILE, SchemaCatalogue
from services.kernel.settings import Settings
from services.kernel.streams import STREAMS

SCHEMAS_DIR = Settings().schemas_dir
CATALOGUE = SchemaCatalogue.load(SCHEMAS_DIR)


def test_every_version_is_pinned_and_unedited():
    pinned = json.loads((SCHEMAS_DIR / IDS_FILE).read_text())
    for schema in CATALOGUE.all():
        key = f"{schema.event_type}/v{schema.version}"
        assert key in pinned, f"{key} has no id: run `tandem schemas lock`"
        assert pinned[key]["fingerprint"] == schema.fingerprint, (
            f"{schema.path} changed after publication: add a new version instead"
        )
    assert len({entry["id"] for entry in pinned.values()}) == len(pinned)


def test_design_event_types_exist():
    expected = {
        "ReferralSubmitted", "RiskAssessed", "RepeatIncidentReported", "CaseListed",
        "MeetingScheduled", "AgendaPublished", "ActionAssigned", "ActionCompleted",
        "IncidentRecorded", "PerpetratorStatusChanged", "MatacNominated", "CohortJoined",
        "CohortLeft", "MappaNominalRegistered", "MappaCategoryAssigned", "MappaLevelSet",
        "MappaReviewHeld", "MappaManagementEnded", "SubjectErased", "DataAccessed",
    }  # fmt: skip
    assert expected <= set(CATALOGUE.event_types())


def test_every_event_type_travels_on_exactly_one_stream():
    on_streams = [t for s in STREAMS for t in s.event_types]
    assert sorted(on_streams) == sorted(set(on_streams))
    assert set(on_streams) == set(CATALOGUE.event_types())


@pytest.mark.parametrize("event_type", CATALOGUE.event_types())
def test_full_transitive_compatibility(event_type):
    versions = [s.definition for s in CATALOGUE.versions(event_type)]
    assert full_transitive_problems(versions) == []


def _sensitive_fields(schema, path=""):
    if isinstance(schema, list):
        for branch in schema:
            yield from _sensitive_fields(branch, path)
    elif isinstance(schema, dict) and schema.get("type") == "record":
        names = {f["name"] for f in schema["fields"]}
        for field in schema["fields"]:
            if "data_class" in field:
                yield f"{path}{field['name']}", field, names
            yield from _sensitive_fields(field["type"], f"{path}{field['name']}.")
    elif isinstance(schema, dict) and schema.get("type") == "array":
        yield from _sensitive_fields(schema["items"], path)


@pytest.mark.parametrize("event_type", CATALOGUE.event_types())
def test_sensitive_fields_name_a_data_class_and_a_subject(event_type):
    for path, field, siblings in _sensitive_fields(CATALOGUE.latest(event_type).definition):
        assert field["subject"] in siblings, f"{path}: subject field {field['subject']} missing"
        assert "." in field["data_class"] or field["data_class"] == "children", path
        kind = field["type"]
        assert kind in ("string", ["null", "string"], {"type": "array", "items": "string"}), path


def test_identity_fields_are_tagged():
    referral = CATALOGUE.latest("ReferralSubmitted")
    victim = referral.field("victim")["type"]
    by_name = {f["name"]: f for f in victim["fields"]}
    assert by_name["name"]["data_class"] == "victim.identity"
    assert by_name["date_of_birth"]["data_class"] == "victim.identity"
    assert by_name["address"]["data_class"] == "victim.address"
    assert "data_class" not in by_name["person_id"]


BASE = {
    "type": "record",
    "name": "Thing",
    "fields": [{"name": "id", "type": "string"}],
}


def _with_field(field):
    schema = copy.deepcopy(BASE)
    schema["fields"].append(field)
    return schema


def test_adding_a_field_with_a_default_is_compatible():
    newer = _with_field({"name": "note", "type": ["null", "string"], "default": None})
    assert full_compatibility_problems(newer, BASE) == []


def test_adding_a_field_without_a_default_is_caught():
    newer = _with_field({"name": "note", "type": "string"})
    problems = full_compatibility_problems(newer, BASE)
    assert problems == ["backward: note: added without a default, so older events cannot be read"]


def test_removing_a_field_without_a_default_is_caught():
    older = _with_field({"name": "note", "type": "string"})
    problems = full_compatibility_problems(BASE, older)
    assert problems == ["forward: note: added without a default, so older events cannot be read"]


def test_changing_a_type_is_caught():
    older = _with_field({"name": "n", "type": "string", "default": ""})
    newer = _with_field({"name": "n", "type": "int", "default": 0})
    problems = full_compatibility_problems(newer, older)
    assert "backward: n: reader type int cannot read string" in problems


def test_int_promotes_to_long_one_way_only():
    older = _with_field({"name": "n", "type": "int", "default": 0})
    newer = _with_field({"name": "n", "type": "long", "default": 0})
    assert full_compatibility_problems(newer, older) == [
        "forward: n: reader type int cannot read long"
    ]


def test_embedded_registry_ids_round_trip():
    registry = EmbeddedRegistry(CATALOGUE)
    for schema in CATALOGUE.all():
        assert registry.schema_for(registry.id_for(schema)) is schema
