"""JSON Schema pieces of the OpenAPI document: types (through msgspec, in one pass),
parameter defaults and constraints, the shared error schemas, and the naming rules (tags,
summaries) — what :mod:`bolt_api.openapi.schema`'s generator assembles per route.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import http
import inspect
import types
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec

from .._response import Response
from ..params import REQUIRED, Param

if TYPE_CHECKING:
    from .._binding import Binding

__all__ = [
    "HTTP_VALIDATION_ERROR_SCHEMA",
    "INPUT_FORMATS",
    "PROBLEM_DETAILS_SCHEMA",
    "REF_TEMPLATE",
    "TypeRef",
    "TypeSchemas",
    "VALIDATION_ERROR_SCHEMA",
    "default_tag",
    "fill_refs",
    "flatten_bindings",
    "group_field_rows",
    "humanise",
    "is_response_class",
    "is_sequence",
    "is_supported",
    "json_value",
    "manual_constraints",
    "schema_default",
    "status_phrase",
    "union_args",
    "wire_view",
]


REF_TEMPLATE = "#/components/schemas/{name}"


#: msgspec gives no ``format`` for these (it also accepts naive values); a request parameter
#: documents the RFC 3339 form it parses.
INPUT_FORMATS: dict[Any, str] = {
    int: "int64",
    datetime.datetime: "date-time",
    datetime.time: "time",
}


VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "type": {"type": "string", "title": "Error Type"},
        "loc": {
            "type": "array",
            "title": "Location",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "msg": {"type": "string", "title": "Message"},
        "input": {"title": "Input"},
        "ctx": {"type": "object", "title": "Context"},
    },
    "required": ["type", "loc", "msg"],
}


HTTP_VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "title": "Detail",
            "items": {"$ref": REF_TEMPLATE.format(name="ValidationError")},
        },
    },
    "required": ["detail"],
}


PROBLEM_DETAILS_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": REF_TEMPLATE.format(name="ValidationError")}},
    },
    "required": ["type", "title", "status"],
}


class TypeRef:
    """A placeholder for the schema of one type, filled in once all types are known."""

    __slots__ = ("extra", "index")

    def __init__(self, index: int, extra: dict[str, Any]) -> None:
        self.index = index
        self.extra = extra


class TypeSchemas:
    """Collects types, then builds all their schemas (and components) in one msgspec call."""

    def __init__(self) -> None:
        self._types: list[Any] = []
        self._positions: dict[Any, int] = {}

    def ref(self, tp: Any, extra: dict[str, Any] | None = None) -> TypeRef:
        try:
            index = self._positions.get(tp)
        except TypeError:  # unhashable annotation
            index = None
        if index is None:
            index = len(self._types)
            self._types.append(tp)
            with contextlib.suppress(TypeError):
                self._positions[tp] = index
        return TypeRef(index, dict(extra or {}))

    def resolve(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        supported = [i for i, tp in enumerate(self._types) if is_supported(tp)]
        schemas: list[dict[str, Any]] = [{} for _ in self._types]
        components: dict[str, Any] = {}
        if supported:
            out, components = msgspec.json.schema_components(
                [self._types[i] for i in supported], ref_template=REF_TEMPLATE
            )
            for i, schema in zip(supported, out, strict=True):
                schemas[i] = dict(schema)
        return schemas, dict(components)


def is_supported(tp: Any) -> bool:
    if tp is Any or tp is inspect.Parameter.empty:
        return False
    try:
        msgspec.json.schema_components([tp], ref_template=REF_TEMPLATE)
    except Exception:
        return False
    return True


def fill_refs(node: Any, schemas: list[dict[str, Any]]) -> Any:
    if isinstance(node, TypeRef):
        return {**schemas[node.index], **node.extra}
    if isinstance(node, dict):
        return {k: fill_refs(v, schemas) for k, v in node.items()}
    if isinstance(node, list):
        return [fill_refs(v, schemas) for v in node]
    return node


def default_tag(handler: Any) -> str:
    module = getattr(handler, "__module__", None) or "default"
    parts = module.split(".")
    name = parts[-2] if parts[-1] == "api" and len(parts) > 1 else parts[-1]
    return name[:1].upper() + name[1:]


def humanise(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in name.replace("_", " ").split())


def status_phrase(status: int) -> str:
    if status == 200:
        return "Successful Response"
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


def json_value(value: Any) -> tuple[bool, Any]:
    try:
        return True, msgspec.to_builtins(value)
    except Exception:
        return False, None


def schema_default(value: Any, tp: Any, marker: Param | None) -> tuple[bool, Any]:
    """``value`` as JSON when it is a valid instance of the (constrained) type: a validator
    rejects a document whose default breaks its own schema (``list`` default ``[]`` with
    ``min_length=1``), so such a default is left out."""
    if value is REQUIRED or value is None:
        return False, None
    constraints = marker.constraints() if marker is not None else {}
    target = Annotated[tp, msgspec.Meta(**constraints)] if constraints else tp
    if target is not Any and target is not inspect.Parameter.empty:
        try:
            msgspec.convert(value, target, strict=False)
        except Exception:
            return False, None
    return json_value(value)


def manual_constraints(marker: Param | None, sequence: bool) -> dict[str, Any]:
    """Constraints as JSON Schema keywords, for types msgspec cannot constrain itself."""
    if marker is None:
        return {}
    c = marker.constraints()
    names = {
        "gt": "exclusiveMinimum",
        "ge": "minimum",
        "lt": "exclusiveMaximum",
        "le": "maximum",
        "multiple_of": "multipleOf",
        "pattern": "pattern",
        "min_length": "minItems" if sequence else "minLength",
        "max_length": "maxItems" if sequence else "maxLength",
    }
    return {names[k]: v for k, v in c.items()}


def is_sequence(tp: Any) -> bool:
    return tp in (list, tuple, set, frozenset) or get_origin(tp) in (list, tuple, set, frozenset)


def is_response_class(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Response)


def union_args(tp: Any) -> tuple[Any, ...]:
    if get_origin(tp) in (Union, types.UnionType):
        return get_args(tp)
    return ()


def wire_view(tp: Any, direction: str) -> Any:
    """The type whose schema a request (``direction="input"``) or a response (``"output"``)
    shows for ``tp``: a serializer's input or output shape (read-only or write-only fields
    left out), also as the item of a list or inside ``X | None``; any other type as is."""
    view = getattr(tp, "__bolt_schema__", None) if isinstance(tp, type) else None
    if view is not None:
        return view(direction)
    origin = get_origin(tp)
    if origin in (list, tuple, set, frozenset) and len(get_args(tp)) == 1:
        inner = wire_view(get_args(tp)[0], direction)
        return tp if inner is get_args(tp)[0] else origin[inner]
    if origin in (Union, types.UnionType):
        members = tuple(wire_view(a, direction) for a in get_args(tp))
        return tp if members == get_args(tp) else Union[members]  # noqa: UP007
    return tp


def flatten_bindings(bindings: Iterable[Binding]) -> Iterator[Binding]:
    """Every binding that reads the request, dependencies' own included."""
    for b in bindings:
        if b.kind == "depends":
            if b.dependency is not None:
                yield from flatten_bindings(b.dependency.bindings)
        elif b.kind != "request":
            yield b


def group_field_rows(tp: Any) -> list[tuple[str, Any, bool, Any]]:
    """``(wire name, type, required, default)`` per field of a grouped Struct/dataclass."""
    rows: list[tuple[str, Any, bool, Any]] = []
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        for f in msgspec.structs.fields(tp):
            default = f.default if f.default is not msgspec.NODEFAULT else REQUIRED
            rows.append((f.encode_name, f.type, f.required, default))
    elif dataclasses.is_dataclass(tp):
        hints = get_type_hints(tp)
        for df in dataclasses.fields(tp):
            required = (
                df.default is dataclasses.MISSING and df.default_factory is dataclasses.MISSING
            )
            default = df.default if df.default is not dataclasses.MISSING else REQUIRED
            rows.append((df.name, hints.get(df.name, Any), required, default))
    return rows
