"""Avro schema compatibility, so that every version can read every other (FULL_TRANSITIVE).

Events are kept forever and read by code that has moved on, and old consumers may still run
while new producers roll out. FULL_TRANSITIVE means every version can read data written by every
earlier version and the other way round. This implements the Avro specification's schema
resolution rules over JSON schema definitions and reports each problem with its field path.
"""

from __future__ import annotations

from typing import Any

_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}


def _type_name(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return "union"
    return schema["type"] if isinstance(schema["type"], str) else _type_name(schema["type"])


def _collect_named(schema: Any, names: dict[str, Any], namespace: str = "") -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect_named(branch, names, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "enum", "fixed"):
            ns = schema.get("namespace", namespace)
            full = schema["name"] if "." in schema["name"] else f"{ns}.{schema['name']}".lstrip(".")
            names[full] = schema
            names.setdefault(schema["name"], schema)
            for field in schema.get("fields", []):
                _collect_named(field["type"], names, ns)
        elif kind == "array":
            _collect_named(schema["items"], names, namespace)
        elif kind == "map":
            _collect_named(schema["values"], names, namespace)
        elif isinstance(kind, (dict, list)):
            _collect_named(kind, names, namespace)


class _Checker:
    def __init__(self, reader: Any, writer: Any):
        self.reader_names: dict[str, Any] = {}
        self.writer_names: dict[str, Any] = {}
        _collect_named(reader, self.reader_names)
        _collect_named(writer, self.writer_names)
        self.problems: list[str] = []

    def resolve(self, schema: Any, names: dict[str, Any]) -> Any:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            return names.get(schema, schema)
        if isinstance(schema, dict) and isinstance(schema.get("type"), (dict, list)):
            return schema["type"]
        if (
            isinstance(schema, dict)
            and schema.get("type") in _PRIMITIVES
            and "logicalType" in schema
        ):
            return schema["type"]
        return schema

    def check(self, reader: Any, writer: Any, path: str) -> bool:
        """Record problems if data written with ``writer`` cannot be read with ``reader``."""
        reader = self.resolve(reader, self.reader_names)
        writer = self.resolve(writer, self.writer_names)
        if isinstance(writer, list):
            ok = True
            for branch in writer:
                ok &= self.check(reader, branch, path)
            return ok
        if isinstance(reader, list):
            if any(self._matches(branch, writer, path) for branch in reader):
                return True
            self.problems.append(
                f"{path}: no branch of the reader's union reads {_type_name(writer)}"
            )
            return False
        reader_kind, writer_kind = _type_name(reader), _type_name(writer)
        if reader_kind != writer_kind:
            if reader_kind in _PROMOTIONS.get(writer_kind, set()):
                return True
            self.problems.append(f"{path}: reader type {reader_kind} cannot read {writer_kind}")
            return False
        if reader_kind == "record":
            return self._check_record(reader, writer, path)
        if reader_kind == "enum":
            missing = set(writer["symbols"]) - set(reader["symbols"])
            if missing and "default" not in reader:
                self.problems.append(f"{path}: reader enum lacks symbols {sorted(missing)}")
                return False
            return True
        if reader_kind == "array":
            return self.check(reader["items"], writer["items"], f"{path}[]")
        if reader_kind == "map":
            return self.check(reader["values"], writer["values"], f"{path}{{}}")
        if reader_kind == "fixed" and reader.get("size") != writer.get("size"):
            self.problems.append(f"{path}: fixed sizes differ")
            return False
        return True

    def _matches(self, reader_branch: Any, writer: Any, path: str) -> bool:
        probe = _Checker.__new__(_Checker)
        probe.reader_names, probe.writer_names, probe.problems = (
            self.reader_names,
            self.writer_names,
            [],
        )
        return probe.check(reader_branch, writer, path)

    def _check_record(self, reader: dict, writer: dict, path: str) -> bool:
        ok = True
        writer_fields = {f["name"]: f for f in writer.get("fields", [])}
        for field in reader.get("fields", []):
            field_path = f"{path}.{field['name']}" if path else field["name"]
            source = writer_fields.get(field["name"])
            if source is None:
                for alias in field.get("aliases", []):
                    source = writer_fields.get(alias)
                    if source:
                        break
            if source is None:
                if "default" not in field:
                    self.problems.append(
                        f"{field_path}: added without a default, so older events cannot be read"
                    )
                    ok = False
                continue
            ok &= self.check(field["type"], source["type"], field_path)
        return ok


def can_read(reader: dict[str, Any], writer: dict[str, Any]) -> list[str]:
    """Problems preventing ``reader`` from reading data written with ``writer`` (empty if none)."""
    checker = _Checker(reader, writer)
    checker.check(reader, writer, "")
    return checker.problems


def full_compatibility_problems(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    """Both directions: new reads old (backward) and old reads new (forward)."""
    return [f"backward: {p}" for p in can_read(new, old)] + [
        f"forward: {p}" for p in can_read(old, new)
    ]


def full_transitive_problems(versions: list[dict[str, Any]]) -> list[str]:
    """Every version against every earlier one, as a FULL_TRANSITIVE registry would check."""
    problems = []
    for index, newer in enumerate(versions):
        for older_index, older in enumerate(versions[:index]):
            for problem in full_compatibility_problems(newer, older):
                problems.append(f"v{index + 1} vs v{older_index + 1}: {problem}")
    return problems
