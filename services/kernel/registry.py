"""Schema registries: where a schema id on the wire is turned back into a schema.

Two implementations of one small interface:

* ``EmbeddedRegistry`` serves the ids pinned in ``schemas/avro/ids.json``: no server needed.
* ``ConfluentRegistry`` talks to a Confluent-compatible HTTP registry (Confluent Schema
  Registry, Karapace). Subjects follow the RecordNameStrategy (``tandem.events.ReferralSubmitted``)
  because one topic carries several event types.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

from services.kernel.schemas import EventSchema, SchemaCatalogue, SchemaError


class SchemaRegistry(Protocol):
    """Maps schema ids to event schemas and back."""

    def id_for(self, schema: EventSchema) -> int: ...

    def schema_for(self, schema_id: int) -> EventSchema: ...


class UnknownSchemaId(SchemaError):
    """An event names a schema id this registry does not know."""


class EmbeddedRegistry:
    """Ids from the catalogue's lock file; a schema without a pinned id is an error."""

    def __init__(self, catalogue: SchemaCatalogue):
        self._catalogue = catalogue
        self._by_id: dict[int, EventSchema] = {}
        for schema in catalogue.all():
            key = (schema.event_type, schema.version)
            if key not in catalogue.ids:
                raise SchemaError(
                    f"{schema.path}: no schema id pinned; "
                    "run `tandem schemas lock` and commit ids.json"
                )
            self._by_id[catalogue.ids[key]] = schema
        if len(self._by_id) != len(catalogue.all()):
            raise SchemaError("ids.json assigns the same id to two schemas")

    def id_for(self, schema: EventSchema) -> int:
        return self._catalogue.ids[(schema.event_type, schema.version)]

    def schema_for(self, schema_id: int) -> EventSchema:
        try:
            return self._by_id[schema_id]
        except KeyError:
            raise UnknownSchemaId(f"schema id {schema_id} is not in the registry") from None


class ConfluentRegistry:
    """Client for a Confluent-compatible registry; registers the catalogue's schemas on start."""

    CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

    def __init__(self, url: str, catalogue: SchemaCatalogue, timeout: float = 10.0):
        self._url = url.rstrip("/")
        self._catalogue = catalogue
        self._timeout = timeout
        self._ids: dict[tuple[str, int], int] = {}
        self._by_id: dict[int, EventSchema] = {}
        for schema in catalogue.all():  # oldest version first, as a registry expects
            schema_id = self._register(schema)
            self._ids[(schema.event_type, schema.version)] = schema_id
            self._by_id[schema_id] = schema

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self._url + path,
            data=data,
            method=method,
            headers={"Content-Type": self.CONTENT_TYPE, "Accept": self.CONTENT_TYPE},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SchemaError(f"schema registry {self._url}{path}: {exc.code} {detail}") from exc
        except urllib.error.URLError as exc:
            raise SchemaError(
                f"schema registry {self._url} is not reachable: {exc.reason}"
            ) from exc

    def _register(self, schema: EventSchema) -> int:
        body = {"schemaType": "AVRO", "schema": json.dumps(schema.definition)}
        result = self._request("POST", f"/subjects/{schema.subject}/versions", body)
        return int(result["id"])

    def id_for(self, schema: EventSchema) -> int:
        return self._ids[(schema.event_type, schema.version)]

    def schema_for(self, schema_id: int) -> EventSchema:
        if schema_id in self._by_id:
            return self._by_id[schema_id]
        try:
            result = self._request("GET", f"/schemas/ids/{schema_id}")
        except SchemaError as exc:
            raise UnknownSchemaId(f"schema id {schema_id}: {exc}") from exc
        definition = json.loads(result["schema"])
        for schema in self._catalogue.all():
            if schema.definition == definition:
                self._by_id[schema_id] = schema
                return schema
        raise UnknownSchemaId(f"schema id {schema_id} is not one of this build's event schemas")
