"""Fields classified in a later schema version, and JSON answers split by data class."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from services.kernel.schemas import SchemaCatalogue
from services.kernel.settings import Settings
from services.marac.domain.dash import POLICE_QUESTIONS
from services.marac.domain.stalking import STALKING_OFFENDING_QUESTIONS, STALKING_QUESTIONS
from services.sharing.errors import SensitiveSchemaError, SharingError, TamperedCiphertext
from services.sharing.fields import is_ciphertext
from services.sharing.records import Protected, decrypt_record, encrypt_record, verify_record
from services.sharing.sensitive_schema import legacy_plaintext_since, sensitive_fields
from services.sharing.splits import split_plain, split_revealed, splits_for
from services.sharing.vault import KeyVault

EVENT = "0b8a6c1e-2f3d-4e5a-9b7c-1d2e3f4a5b6c"
CATALOGUE = SchemaCatalogue.load(Settings().schemas_dir)

SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Sample",
    "fields": [
        {"name": "case_id", "type": "string"},
        {"name": "note", "type": ["null", "string"], "default": None,
         "data_class": "risk.narrative", "subject": "case_id", "encrypted_since": 2},
        {"name": "answers", "type": "string", "data_class": "risk.narrative", "subject": "case_id"},
        {"name": "answers_health", "type": ["null", "string"], "default": None,
         "data_class": "victim.health", "subject": "case_id",
         "split_from": "answers", "split_keys": ["depressed"]},
    ],
}  # fmt: skip


@dataclass
class Decision:
    allowed: bool
    reason: str | None


def only(*classes: str):
    def decide(data_class: str) -> Decision:
        allowed = data_class in classes
        return Decision(allowed, None if allowed else f"withheld: no {data_class}")

    return decide


def reveal(vault: KeyVault, record: dict, decide, writer_version: int | None = None) -> dict:
    result, _ = decrypt_record(
        SCHEMA, record, EVENT, vault,
        may_read=lambda dc: decide(dc).allowed, withheld_reason=lambda dc: decide(dc).reason,
        writer_version=writer_version,
    )  # fmt: skip
    return result


def test_legacy_plaintext_is_accepted_only_from_a_writer_before_the_classification(
    vault: KeyVault,
) -> None:
    old = {"case_id": "c-1", "note": "in the clear", "answers": "{}"}
    old = encrypt_record({**SCHEMA, "fields": SCHEMA["fields"][:1] + SCHEMA["fields"][2:3]},
                         old, EVENT, vault)  # fmt: skip
    assert old["note"] == "in the clear"
    verify_record(SCHEMA, old, EVENT, vault, writer_version=1)
    with pytest.raises(TamperedCiphertext, match="note: expected a field token"):
        verify_record(SCHEMA, old, EVENT, vault, writer_version=2)
    with pytest.raises(TamperedCiphertext):
        verify_record(SCHEMA, old, EVENT, vault)  # version unknown: no plaintext allowed


def test_legacy_plaintext_is_shown_or_withheld_by_its_new_class(vault: KeyVault) -> None:
    old = {"case_id": "c-1", "note": "in the clear", "answers": "{}"}
    shown = reveal(vault, old | {"answers": encrypt_record(SCHEMA, old, EVENT, vault)["answers"]},
                   only("risk.narrative"))  # fmt: skip
    assert shown["note"] == Protected("shown", "risk.narrative", value="in the clear")
    withheld = reveal(vault, {"case_id": "c-1", "note": "in the clear"}, only())
    assert withheld["note"] == Protected(
        "withheld", "risk.narrative", reason="withheld: no risk.narrative"
    )


def test_new_writers_encrypt_a_classified_field(vault: KeyVault) -> None:
    record = encrypt_record(SCHEMA, {"case_id": "c-1", "note": "x", "answers": "{}"}, EVENT, vault)
    assert is_ciphertext(record["note"])
    verify_record(SCHEMA, record, EVENT, vault, writer_version=2)


def test_split_moves_the_listed_answers_into_their_own_field() -> None:
    splits = splits_for(SCHEMA)
    payload = {"case_id": "c-1", "answers": json.dumps({"injury": "yes", "depressed": "yes"})}
    split = split_plain(splits, payload)
    assert json.loads(split["answers"]) == {"injury": "yes"}
    assert json.loads(split["answers_health"]) == {"depressed": "yes"}
    assert split_plain(splits, split) == split  # already split: left alone
    leaky = split | {"answers": json.dumps({"depressed": "no"})}
    with pytest.raises(SharingError, match="depressed belong in a split field"):
        split_plain(splits, leaky)


def test_a_split_event_keeps_the_health_answers_out_of_the_narrative_token(
    vault: KeyVault,
) -> None:
    payload = {"case_id": "c-1", "answers": json.dumps({"injury": "yes", "depressed": "yes"})}
    record = encrypt_record(SCHEMA, split_plain(splits_for(SCHEMA), payload), EVENT, vault)
    narrative_only = reveal(vault, record, only("risk.narrative"), writer_version=2)
    assert json.loads(narrative_only["answers"].value) == {"injury": "yes"}
    assert narrative_only["answers_health"].status == "withheld"


def test_an_event_from_before_the_split_is_split_on_read() -> None:
    splits = splits_for(SCHEMA)
    everything = json.dumps({"injury": "yes", "depressed": "yes"})
    payload = {"case_id": "c-1", "answers": Protected("shown", "risk.narrative", value=everything)}

    housing, also = split_revealed(splits, payload, only("risk.narrative"))
    assert json.loads(housing["answers"].value) == {"injury": "yes"}
    assert housing["answers_health"] == Protected(
        "withheld", "victim.health", reason="withheld: no victim.health"
    )
    assert also == set()

    health, also = split_revealed(splits, payload, only("risk.narrative", "victim.health"))
    assert json.loads(health["answers_health"].value) == {"depressed": "yes"}
    assert also == {("c-1", "victim.health")}

    narrative_withheld = {"case_id": "c-1", "answers": Protected("withheld", "risk.narrative",
                                                                 reason="no")}  # fmt: skip
    result, _ = split_revealed(splits, narrative_withheld, only("victim.health"))
    assert result["answers_health"].status == "withheld"


def test_split_annotations_are_checked() -> None:
    bad = {**SCHEMA, "fields": SCHEMA["fields"][:3] + [
        {**SCHEMA["fields"][3], "split_keys": []}]}  # fmt: skip
    with pytest.raises(SensitiveSchemaError, match="split_keys"):
        splits_for(bad)
    with pytest.raises(SensitiveSchemaError, match="encrypted_since"):
        sensitive_fields({**SCHEMA, "fields": [SCHEMA["fields"][0],
                          {**SCHEMA["fields"][1], "encrypted_since": 0}]})  # fmt: skip


@pytest.mark.parametrize("event_type", ["ReferralSubmitted", "RiskAssessed"])
def test_every_dash_question_has_exactly_one_home(event_type: str) -> None:
    definition = CATALOGUE.latest(event_type).definition
    splits = [s for s in splits_for(definition) if s.source == "dash_answers"]
    assert {s.data_class for s in splits} == {"victim.health", "children", "offending.detail"}
    split_keys = [k for s in splits for k in s.keys]
    assert len(split_keys) == len(set(split_keys))
    assert set(split_keys) <= set(POLICE_QUESTIONS)
    health = next(s for s in splits if s.data_class == "victim.health")
    assert {"depressed_or_suicidal", "pregnant_or_recent_birth"} <= health.keys


def test_the_stalking_screen_answers_on_offending_are_split_off_as_the_dash_ones_are() -> None:
    definition = CATALOGUE.latest("ReferralSubmitted").definition
    (split,) = [s for s in splits_for(definition) if s.source == "stalking_screen"]
    assert split.data_class == "offending.detail"
    assert split.keys == STALKING_OFFENDING_QUESTIONS
    assert split.keys <= set(STALKING_QUESTIONS)
    source = next(f for f in definition["fields"] if f["name"] == "stalking_screen")
    assert (source["data_class"], source["subject"]) == ("risk.narrative", "case_id")


def test_the_free_text_fields_are_classified_in_the_latest_schemas() -> None:
    expected = {
        ("ReferralSubmitted", "perpetrators[*].relationship_to_victim"): 2,
        ("MappaLevelSet", "decided_by"): 3,
        ("MappaManagementEnded", "reason"): 2,
        ("CohortLeft", "reason"): 2,
    }
    for (event_type, path), since in expected.items():
        plan = legacy_plaintext_since(CATALOGUE.latest(event_type).definition)
        assert plan.get(path) == since, (event_type, path)
