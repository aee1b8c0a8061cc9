"""Where the sensitive values are in an Avro record, read from the schema's annotations.

Convention (other code depends on it): a sensitive field carries `"data_class"` and
`"subject"` (the name of a sibling field, in the clear, that holds the data subject's id).
Its type is `"string"`, `["null", "string"]`, or an array of strings (each item is its own
value). A field that was published in the clear before it was classified also carries
`"encrypted_since": N`, the first schema version whose writers encrypt it: events written
with an earlier version hold its value as legacy plaintext (see `services.sharing.records`).
Sensitive fields may sit in nested records, optional records and arrays of records; named
types may be referenced by name after their first definition.

The schema is compiled once into a plan that lists only the routes that lead to
sensitive values; `map_sensitive` walks a record along those routes.
"""

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.sharing.data_classes import is_data_class
from services.sharing.errors import SensitiveSchemaError

_INDEX = re.compile(r"\[\d+\]")
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


@dataclass(frozen=True)
class SensitiveField:
    """One sensitive location: `path` uses `[*]` for array items, e.g. `perpetrators[*].name`.

    `subject_field` is the path of the sibling that holds the subject id.
    """

    path: str
    data_class: str
    subject_field: str
    encrypted_since: int = 1


@dataclass(frozen=True)
class LeafPlan:
    """A sensitive string field (or array of strings when `many`)."""

    name: str
    data_class: str
    subject: str
    many: bool
    encrypted_since: int = 1


@dataclass(frozen=True)
class RecordPlan:
    """The fields of one record type that are, or lead to, sensitive values."""

    full_name: str
    fields: tuple["LeafPlan | NestedPlan", ...]


@dataclass(frozen=True)
class ArrayPlan:
    """An array whose items lead to sensitive values."""

    items: "RecordPlan | ArrayPlan"


@dataclass(frozen=True)
class NestedPlan:
    """A field whose value (a record or array, possibly optional) contains sensitive values."""

    name: str
    value: RecordPlan | ArrayPlan


Visitor = Callable[[str, str, Any, Any], Any]
"""Called as visit(path, data_class, subject_id, value) for each non-null sensitive value;
its result replaces the value."""


def plan_for(schema: Mapping[str, Any] | RecordPlan) -> RecordPlan:
    """Compile (or reuse the compiled plan of) a record schema."""
    if isinstance(schema, RecordPlan):
        return schema
    return _compile_cached(json.dumps(schema, sort_keys=True))


def sensitive_fields(schema: Mapping[str, Any] | RecordPlan) -> list[SensitiveField]:
    """Every sensitive location in the schema, in schema order."""
    return list(_patterns(plan_for(schema), ""))


def legacy_plaintext_since(schema: Mapping[str, Any] | RecordPlan) -> dict[str, int]:
    """Path pattern -> first encrypting version, for fields that were once in the clear."""
    return {f.path: f.encrypted_since for f in sensitive_fields(schema) if f.encrypted_since > 1}


def path_pattern(path: str) -> str:
    """`perpetrators[0].name` -> `perpetrators[*].name`, to look a concrete path up."""
    return _INDEX.sub("[*]", path)


def map_sensitive(plan: RecordPlan, record: Mapping[str, Any], visit: Visitor) -> dict[str, Any]:
    """A copy of the record with each non-null sensitive value replaced by `visit(...)`.

    Containers on the way to a sensitive value are copied; everything else is shared.
    Nulls stay null and absent fields stay absent.
    """
    return _map_record(plan, record, "", visit)


# -- walking records -------------------------------------------------------------------


def _map_record(
    plan: RecordPlan, record: Mapping[str, Any], prefix: str, visit: Visitor
) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise TypeError(f"{prefix or 'record'}: expected a record, got {type(record).__name__}")
    result = dict(record)
    for field in plan.fields:
        value = record.get(field.name)
        if value is None:
            continue
        path = _join(prefix, field.name)
        if isinstance(field, NestedPlan):
            result[field.name] = _map_value(field.value, value, path, visit)
        elif field.many:
            items = _as_list(value, path)
            subject = record.get(field.subject)
            result[field.name] = [
                None if item is None else visit(f"{path}[{i}]", field.data_class, subject, item)
                for i, item in enumerate(items)
            ]
        else:
            result[field.name] = visit(path, field.data_class, record.get(field.subject), value)
    return result


def _map_value(plan: RecordPlan | ArrayPlan, value: Any, path: str, visit: Visitor) -> Any:
    if value is None:
        return None
    if isinstance(plan, RecordPlan):
        return _map_record(plan, value, path, visit)
    return [
        _map_value(plan.items, item, f"{path}[{i}]", visit)
        for i, item in enumerate(_as_list(value, path))
    ]


def _as_list(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{path}: expected an array, got {type(value).__name__}")
    return value


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _patterns(plan: RecordPlan | ArrayPlan, prefix: str) -> Iterator[SensitiveField]:
    if isinstance(plan, ArrayPlan):
        yield from _patterns(plan.items, f"{prefix}[*]")
        return
    for field in plan.fields:
        path = _join(prefix, field.name)
        if isinstance(field, NestedPlan):
            yield from _patterns(field.value, path)
        else:
            suffix = "[*]" if field.many else ""
            yield SensitiveField(
                path + suffix,
                field.data_class,
                _join(prefix, field.subject),
                field.encrypted_since,
            )


# -- compiling schemas -----------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compile_cached(schema_json: str) -> RecordPlan:
    schema = json.loads(schema_json)
    if not isinstance(schema, Mapping) or schema.get("type") not in ("record", "error"):
        raise SensitiveSchemaError("an event schema must be a record")
    return _Compiler().record(schema, "")


class _Compiler:
    """Resolves named types in definition order and keeps only sensitive routes."""

    def __init__(self) -> None:
        self._named: dict[str, RecordPlan | None] = {}
        self._in_progress: set[str] = set()

    def record(self, schema: Mapping[str, Any], namespace: str) -> RecordPlan:
        full_name, namespace = self._define(schema, namespace)
        self._in_progress.add(full_name)
        fields = schema.get("fields")
        if not isinstance(fields, list):
            raise SensitiveSchemaError(f"{full_name}: a record needs a list of fields")
        siblings = {field["name"]: field for field in fields}
        plans: list[LeafPlan | NestedPlan] = []
        for field in fields:
            if "data_class" in field or "subject" in field:
                plans.append(self._leaf(field, siblings, full_name))
                continue
            value = self.value(field["type"], namespace, f"{full_name}.{field['name']}")
            if value is not None:
                plans.append(NestedPlan(field["name"], value))
        self._in_progress.discard(full_name)
        plan = RecordPlan(full_name, tuple(plans))
        self._named[full_name] = plan
        return plan

    def value(self, schema: Any, namespace: str, where: str) -> RecordPlan | ArrayPlan | None:
        """The plan for a value of this type, or None when nothing inside is sensitive."""
        if isinstance(schema, str):
            return None if schema in _PRIMITIVES else self._reference(schema, namespace, where)
        if isinstance(schema, list):
            found = [p for p in (self.value(b, namespace, where) for b in schema) if p is not None]
            if len(found) > 1:
                raise SensitiveSchemaError(
                    f"{where}: a union may have only one branch with sensitive fields"
                )
            return found[0] if found else None
        if not isinstance(schema, Mapping):
            raise SensitiveSchemaError(f"{where}: unreadable type {schema!r}")
        kind = schema.get("type")
        if kind in ("record", "error"):
            plan = self.record(schema, namespace)
            return plan if plan.fields else None
        if kind in ("enum", "fixed"):
            self._named[self._define(schema, namespace)[0]] = None
            return None
        if kind == "array":
            items = self.value(schema.get("items"), namespace, f"{where}[*]")
            return ArrayPlan(items) if items is not None else None
        if kind == "map":
            if self.value(schema.get("values"), namespace, f"{where}{{*}}") is not None:
                raise SensitiveSchemaError(
                    f"{where}: sensitive fields inside maps are not supported"
                )
            return None
        return self.value(kind, namespace, where)

    def _define(self, schema: Mapping[str, Any], namespace: str) -> tuple[str, str]:
        """Register a named type; returns (full name, namespace for what it encloses)."""
        name = schema.get("name")
        if not isinstance(name, str) or not name:
            raise SensitiveSchemaError(f"a {schema.get('type')} needs a name")
        if "." in name:
            full_name = name
        else:
            own = schema.get("namespace", namespace)
            full_name = f"{own}.{name}" if own else name
        if full_name in self._named or full_name in self._in_progress:
            raise SensitiveSchemaError(f"type {full_name} is defined twice")
        return full_name, full_name.rpartition(".")[0]

    def _reference(self, name: str, namespace: str, where: str) -> RecordPlan | None:
        candidates = [name] if "." in name or not namespace else [f"{namespace}.{name}", name]
        for candidate in candidates:
            if candidate in self._in_progress:
                raise SensitiveSchemaError(f"{where}: recursive type {candidate} is not supported")
            if candidate in self._named:
                plan = self._named[candidate]
                return plan if plan is not None and plan.fields else None
        raise SensitiveSchemaError(f"{where}: unknown type {name!r} (define it before use)")

    def _leaf(self, field: Mapping[str, Any], siblings: Mapping[str, Any], record: str) -> LeafPlan:
        name = field["name"]
        where = f"{record}.{name}"
        data_class, subject = field.get("data_class"), field.get("subject")
        if not isinstance(data_class, str) or not isinstance(subject, str):
            raise SensitiveSchemaError(f"{where}: needs both 'data_class' and 'subject'")
        if not is_data_class(data_class):
            raise SensitiveSchemaError(f"{where}: unknown data class {data_class!r}")
        sibling = siblings.get(subject)
        if sibling is None or subject == name:
            raise SensitiveSchemaError(f"{where}: subject {subject!r} is not a sibling field")
        if "data_class" in sibling or _string_shape(sibling["type"]) != "one":
            raise SensitiveSchemaError(
                f"{where}: subject {subject!r} must be a plain string field (in the clear)"
            )
        shape = _string_shape(field["type"])
        if shape is None:
            raise SensitiveSchemaError(
                f"{where}: a sensitive field must be a string, an optional string "
                "or an array of strings"
            )
        since = field.get("encrypted_since", 1)
        if not isinstance(since, int) or isinstance(since, bool) or since < 1:
            raise SensitiveSchemaError(f"{where}: encrypted_since must be a version number >= 1")
        return LeafPlan(name, data_class, subject, many=shape == "many", encrypted_since=since)


def _string_shape(schema: Any) -> str | None:
    """'one' for (optional) string, 'many' for (optional) array of strings, else None."""
    schema = _without_null(schema)
    if _is_string(schema):
        return "one"
    is_array = isinstance(schema, Mapping) and schema.get("type") == "array"
    if is_array and _is_string(_without_null(schema.get("items"))):
        return "many"
    return None


def _without_null(schema: Any) -> Any:
    if isinstance(schema, list):
        rest = [branch for branch in schema if branch != "null"]
        return rest[0] if len(rest) == 1 and len(schema) <= 2 else None
    return schema


def _is_string(schema: Any) -> bool:
    return schema == "string" or (isinstance(schema, Mapping) and schema.get("type") == "string")
