"""The Confluent-compatible registry client, against a minimal registry speaking its protocol.

The server here implements the three calls the client makes (register a schema under a
subject, look a schema up by id) as the Confluent Schema Registry documents them, so the test
checks the client's requests and its handling of the answers.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.kernel.codec import Codec
from services.kernel.registry import ConfluentRegistry, UnknownSchemaId
from services.kernel.schemas import SchemaCatalogue, SchemaError
from services.kernel.settings import Settings
from tests.factories import meeting_event

CATALOGUE = SchemaCatalogue.load(Settings().schemas_dir)


class _Registry(BaseHTTPRequestHandler):
    schemas: dict[int, str] = {}
    subjects: dict[str, list[int]] = {}
    content_types: list[str] = []

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 (http.server's naming)
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "subjects" or parts[2] != "versions":
            return self._reply(404, {"error_code": 404, "message": "not found"})
        self.content_types.append(self.headers["Content-Type"])
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body.get("schemaType") != "AVRO":
            return self._reply(422, {"error_code": 42201, "message": "bad schema type"})
        wanted = json.loads(body["schema"])
        known = [i for i, text in self.schemas.items() if json.loads(text) == wanted]
        schema_id = known[0] if known else 100 + len(self.schemas)
        self.schemas[schema_id] = body["schema"]
        self.subjects.setdefault(parts[1], []).append(schema_id)
        return self._reply(200, {"id": schema_id})

    def do_GET(self):  # noqa: N802
        parts = self.path.strip("/").split("/")
        if parts[:2] == ["schemas", "ids"] and int(parts[2]) in self.schemas:
            return self._reply(200, {"schema": self.schemas[int(parts[2])]})
        return self._reply(404, {"error_code": 40403, "message": "Schema not found"})

    def log_message(self, *args):
        pass


@pytest.fixture
def registry_url():
    _Registry.schemas, _Registry.subjects, _Registry.content_types = {}, {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_registers_every_version_under_its_record_name(registry_url):
    registry = ConfluentRegistry(registry_url, CATALOGUE)
    latest = CATALOGUE.latest("MeetingScheduled").version
    assert _Registry.subjects["tandem.events.MeetingScheduled"] == [
        registry.id_for(CATALOGUE.get("MeetingScheduled", v)) for v in range(1, latest + 1)
    ]
    assert len(_Registry.schemas) == len(CATALOGUE.all())
    assert set(_Registry.content_types) == {"application/vnd.schemaregistry.v1+json"}


def test_codec_round_trip_with_registry_ids(registry_url):
    codec = Codec(CATALOGUE, ConfluentRegistry(registry_url, CATALOGUE))
    data = codec.encode(meeting_event())
    assert codec.schema_id_of(data) >= 100
    assert codec.decode(data).payload["marac_area"] == "oxford"


def test_a_fresh_client_resolves_an_id_it_did_not_register(registry_url):
    writer = ConfluentRegistry(registry_url, CATALOGUE)
    schema_id = writer.id_for(CATALOGUE.latest("ReferralSubmitted"))
    reader = ConfluentRegistry(registry_url, CATALOGUE)
    reader._by_id.clear()  # as if another process had registered it
    assert reader.schema_for(schema_id).event_type == "ReferralSubmitted"
    with pytest.raises(UnknownSchemaId, match="schema id 99999"):
        reader.schema_for(99999)


def test_an_unreachable_registry_says_so():
    with pytest.raises(SchemaError, match="schema registry http://127.0.0.1:9 is not reachable"):
        ConfluentRegistry("http://127.0.0.1:9", CATALOGUE, timeout=2)
