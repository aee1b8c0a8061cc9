import io
import struct

import fastavro
import pytest

from services.kernel.codec import Codec, DecodeError, EventValidationError
from services.kernel.registry import EmbeddedRegistry
from services.kernel.schemas import SchemaCatalogue
from services.kernel.settings import Settings
from tests.factories import meeting_event, referral_event

CATALOGUE = SchemaCatalogue.load(Settings().schemas_dir)
REGISTRY = EmbeddedRegistry(CATALOGUE)
CODEC = Codec(CATALOGUE, REGISTRY)


def test_round_trip_keeps_envelope_and_payload():
    event = referral_event(victim_name="Jane Smith")
    decoded = CODEC.decode(CODEC.encode(event))
    assert decoded.event_id == event.event_id
    assert decoded.envelope.agency == "idva-oxon"
    assert decoded.envelope.occurred_at == event.envelope.occurred_at
    assert decoded.envelope.schema_version == CATALOGUE.latest("ReferralSubmitted").version
    assert decoded.payload["victim"]["name"] == "Jane Smith"
    assert decoded.payload["perpetrators"][0]["person_id"] == "p-perp-1"


def test_confluent_framing():
    event = referral_event()
    data = CODEC.encode(event)
    magic, schema_id = struct.unpack(">bI", data[:5])
    assert magic == 0
    latest = CATALOGUE.latest("ReferralSubmitted").version
    assert schema_id == CATALOGUE.ids[("ReferralSubmitted", latest)]


def test_event_written_with_v1_is_read_by_code_on_the_latest_version():
    v1 = CATALOGUE.get("MeetingScheduled", 1)
    assert CATALOGUE.latest("MeetingScheduled").version > 1
    event = meeting_event()
    record = CODEC.validate(event)
    record.pop("chair_agency")  # v1 has no such field
    record["envelope"]["schema_version"] = 1
    buffer = io.BytesIO()
    buffer.write(struct.pack(">bI", 0, REGISTRY.id_for(v1)))
    fastavro.schemaless_writer(buffer, v1.parsed, record)

    decoded = CODEC.decode(buffer.getvalue())
    assert decoded.envelope.schema_version == 1
    assert decoded.payload["chair_agency"] is None
    assert decoded.payload["capacity"] == 20


def test_writers_use_the_latest_version():
    decoded = CODEC.decode(CODEC.encode(meeting_event(chair_agency="tvp")))
    assert decoded.envelope.schema_version == CATALOGUE.latest("MeetingScheduled").version
    assert decoded.payload["chair_agency"] == "tvp"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "shorter than the 5-byte Confluent header"),
        (b"\x01\x00\x00\x00\x01abc", "magic byte is 1"),
        (b"\x00\x00\x0f\x42\x40abc", "unknown schema id 1000000"),
    ],
)
def test_undecodable_bytes_say_why(data, reason):
    with pytest.raises(DecodeError, match=reason):
        CODEC.decode(data)


def test_truncated_body_is_a_decode_error():
    data = CODEC.encode(referral_event())
    with pytest.raises(DecodeError, match="body does not match ReferralSubmitted v"):
        CODEC.decode(data[:40])


def test_invalid_event_names_type_and_field():
    event = referral_event()
    del event.payload["victim"]["name"]
    with pytest.raises(EventValidationError) as caught:
        CODEC.encode(event)
    assert str(caught.value) == "ReferralSubmitted: victim.name: is required"


def test_unknown_event_type_is_refused():
    event = meeting_event()
    bad = type(event)(type(event.envelope)(**{**event.envelope.__dict__, "event_type": "Nope"}))
    with pytest.raises(EventValidationError, match="unknown event type 'Nope'"):
        CODEC.encode(bad)
