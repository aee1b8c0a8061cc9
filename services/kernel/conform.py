"""Check a value against an Avro schema, converting JSON-friendly forms, naming the bad field.

fastavro's own errors do not say which nested field is wrong in a way a partner agency can act
on. This walks the schema once, turns ISO date strings into dates (so JSON lines and HTTP
bodies can be published), and raises ``FieldError`` with a path such as
``perpetrators[0].relationship_to_victim``. It also converts back to JSON for ``tandem tail``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

_MISSING = object()


class FieldError(ValueError):
    """A value does not fit its schema; ``path`` names the field."""

    def __init__(self, path: str, problem: str):
        self.path = path or "(event)"
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Walker:
    def __init__(self, root: dict[str, Any]):
        self.named: dict[str, Any] = {}
        self._collect(root, "")

    def _collect(self, schema: Any, namespace: str) -> None:
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch, namespace)
        elif isinstance(schema, dict):
            kind = schema.get("type")
            if kind in ("record", "enum", "fixed"):
                ns = schema.get("namespace", namespace)
                self.named[schema["name"]] = schema
                self.named[f"{ns}.{schema['name']}"] = schema
                for field in schema.get("fields", []):
                    self._collect(field["type"], ns)
            elif kind == "array":
                self._collect(schema["items"], namespace)
            elif kind == "map":
                self._collect(schema["values"], namespace)

    def conform(self, schema: Any, value: Any, path: str) -> Any:
        if isinstance(schema, str) and schema in self.named:
            schema = self.named[schema]
        if isinstance(schema, list):
            return self._union(schema, value, path)
        kind = schema if isinstance(schema, str) else schema["type"]
        logical = schema.get("logicalType") if isinstance(schema, dict) else None
        if logical == "date":
            return _to_date(value, path)
        if logical in ("timestamp-micros", "timestamp-millis"):
            return _to_datetime(value, path)
        if kind == "null":
            if value is not None:
                raise FieldError(path, f"expected null, got {value!r}")
            return None
        if kind == "boolean":
            if not isinstance(value, bool):
                raise FieldError(path, f"expected true or false, got {value!r}")
            return value
        if kind in ("int", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise FieldError(path, f"expected a whole number, got {value!r}")
            return value
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise FieldError(path, f"expected a number, got {value!r}")
            return float(value)
        if kind == "string":
            if not isinstance(value, str):
                raise FieldError(path, f"expected text, got {type(value).__name__}")
            return value
        if kind == "bytes":
            if not isinstance(value, (bytes, bytearray)):
                raise FieldError(path, "expected bytes")
            return bytes(value)
        if kind == "enum":
            if value not in schema["symbols"]:
                raise FieldError(path, f"must be one of {schema['symbols']}, got {value!r}")
            return value
        if kind == "array":
            if not isinstance(value, (list, tuple)):
                raise FieldError(path, "expected a list")
            return [
                self.conform(schema["items"], item, f"{path}[{i}]") for i, item in enumerate(value)
            ]
        if kind == "map":
            if not isinstance(value, dict):
                raise FieldError(path, "expected an object")
            return {k: self.conform(schema["values"], v, f"{path}.{k}") for k, v in value.items()}
        if kind == "record":
            return self._record(schema, value, path)
        if isinstance(kind, (dict, list)):
            return self.conform(kind, value, path)
        raise FieldError(path, f"unsupported schema type {kind!r}")

    def _record(self, schema: dict[str, Any], value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise FieldError(path, "expected an object")
        known = {f["name"] for f in schema["fields"]}
        unknown = sorted(set(value) - known)
        if unknown:
            raise FieldError(_join(path, unknown[0]), "is not a field of " + schema["name"])
        result = {}
        for field in schema["fields"]:
            field_path = _join(path, field["name"])
            raw = value.get(field["name"], _MISSING)
            if raw is _MISSING:
                if "default" not in field:
                    raise FieldError(field_path, "is required")
                raw = field["default"]
            result[field["name"]] = self.conform(field["type"], raw, field_path)
        return result

    def _union(self, branches: list[Any], value: Any, path: str) -> Any:
        if value is None and "null" in branches:
            return None
        errors = []
        for branch in branches:
            if branch == "null":
                continue
            try:
                return self.conform(branch, value, path)
            except FieldError as exc:
                errors.append(exc)
        if value is None:
            raise FieldError(path, "is required")
        # The deepest error names the most specific field.
        best = max(errors, key=lambda e: e.path.count(".") + e.path.count("["))
        raise best


def _to_date(value: Any, path: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise FieldError(path, f"expected a date as YYYY-MM-DD, got {value!r}")


def _to_datetime(value: Any, path: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(path, f"expected an ISO timestamp, got {value!r}") from None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    raise FieldError(path, f"expected an ISO timestamp, got {value!r}")


_WALKERS: dict[int, tuple[dict[str, Any], _Walker]] = {}


def _walker(schema: dict[str, Any]) -> _Walker:
    """One walker per schema object: collecting named types once, not on every event."""
    cached = _WALKERS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, _Walker(schema))
        _WALKERS[id(schema)] = cached
    return cached[1]


def conform(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """Validate ``value`` against a record schema; return it in fastavro's native types."""
    return _walker(schema).conform(schema, value, "")


def conform_field(schema: dict[str, Any], field_name: str, value: Any) -> Any:
    """Validate one top-level field of a record schema (used for payloads without envelope)."""
    walker = _walker(schema)
    for field in schema["fields"]:
        if field["name"] == field_name:
            return walker.conform(field["type"], value, field_name)
    raise FieldError(field_name, "is not a field of " + schema["name"])


def to_json(value: Any) -> Any:
    """fastavro's native values as JSON-serialisable data (dates as ISO strings)."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value
