import datetime as dt

import pytest

from services.kernel.conform import FieldError, conform, to_json
from services.kernel.schemas import SchemaCatalogue
from services.kernel.settings import Settings
from tests.factories import referral_payload

REFERRAL = SchemaCatalogue.load(Settings().schemas_dir).latest("ReferralSubmitted").definition


def _record(payload):
    envelope = {
        "event_id": "e", "event_type": "ReferralSubmitted", "schema_version": 1,
        "occurred_at": "2026-11-02T10:00:00Z", "recorded_at": "2026-11-02T10:00:01+00:00",
        "agency": "idva-oxon", "actor": "u", "aggregate_id": "c", "correlation_id": "e",
    }  # fmt: skip
    return {"envelope": envelope, **payload}


def test_iso_strings_become_dates_and_defaults_are_filled():
    payload = referral_payload()
    payload["referral_date"] = "2026-11-02"
    record = conform(REFERRAL, _record(payload))
    assert record["referral_date"] == dt.date(2026, 11, 2)
    assert record["envelope"]["occurred_at"] == dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    assert record["children"][0]["school"] is None
    assert record["police"] is None


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (lambda p: p.pop("victim"), "victim", "is required"),
        (lambda p: p["perpetrators"][0].pop("relationship_to_victim"),
         "perpetrators[0].relationship_to_victim", "is required"),
        (lambda p: p.__setitem__("dash_score", "high"), "dash_score", "expected a whole number"),
        (lambda p: p.__setitem__("referral_date", "2026-02-30"), "referral_date",
         "expected a date as YYYY-MM-DD"),
        (lambda p: p["victim"].__setitem__("nickname", "J"), "victim.nickname",
         "is not a field of Victim"),
        (lambda p: p.__setitem__("criteria", "repeat"), "criteria", "expected a list"),
    ],
)  # fmt: skip
def test_errors_name_the_field(change, path, problem):
    payload = referral_payload()
    change(payload)
    with pytest.raises(FieldError) as caught:
        conform(REFERRAL, _record(payload))
    assert caught.value.path == path
    assert problem in caught.value.problem


def test_to_json_turns_dates_into_iso_strings():
    assert to_json({"d": dt.date(2026, 1, 2), "l": [dt.date(2026, 1, 3)]}) == {
        "d": "2026-01-02",
        "l": ["2026-01-03"],
    }
