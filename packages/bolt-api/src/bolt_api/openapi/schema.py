"""The OpenAPI 3.1 document, generated from an API's compiled routes.

Everything comes from what registration already worked out: the path template, the
:class:`~bolt_api._binding.Binding` of each parameter (source, wire key, type, default,
marker), ``status_code=``, ``response_model=`` or the return annotation, tags, summary and
description. Types become JSON Schema through ``msgspec.json.schema_components`` in one
pass over the whole API, so Structs land once in ``components/schemas`` and are referenced as
``#/components/schemas/<Name>``.

Rules, in short:

* path ``/items/{item_id}`` stays FastAPI-style; a catch-all ``{rest:path}`` is ``{rest}``;
* ``operationId`` is ``f"{method.lower()}_{handler.__name__}"``, suffixed ``_2``, ``_3``...
  when a handler serves several routes; automatic ``HEAD`` routes are not listed;
* parameters carry their schema, ``required``, ``default``, constraints (``gt`` ->
  ``exclusiveMinimum``, ``ge`` -> ``minimum``, ``lt``/``le``, ``multiple_of`` ->
  ``multipleOf``, ``min_length``/``max_length`` -> ``minLength``/``maxLength`` (or
  ``minItems``/``maxItems`` for lists), ``pattern``), the alias as name, and the marker's
  description, example and deprecation;
* the response is documented under ``status_code=`` (else 200): ``204`` without content,
  ``str`` as ``text/plain``, ``bytes`` as ``application/octet-stream``, a ``Response`` class
  without a schema, anything else as JSON;
* every operation that binds a parameter may answer ``422`` with
  ``{"detail": [{"type", "loc", "msg", "input"?, "ctx"?}]}``;
* tags are the route's, else the handler module's last component (the one before it when
  that is ``api``), capitalised; the summary is ``summary=`` or the humanised function name;
  the description is ``description=`` or the handler's docstring.
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

from .._router import RouteDef
from ..datastructures import UploadFile
from ..errors import problem_details
from ..params import REQUIRED, Param
from ..responses import Redirect, Response
from .spec import to_spec

if TYPE_CHECKING:
    from .._app import BoltAPI, RouteEntry
    from .._binding import Binding
    from .config import OpenAPIConfig

__all__ = ["OPENAPI_VERSION", "build_openapi_schema", "openapi_path"]

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{name}"
_PARAM_SOURCES = ("path", "query", "header", "cookie")
_METHOD_KEYS = {
    "GET": "get",
    "PUT": "put",
    "POST": "post",
    "DELETE": "delete",
    "OPTIONS": "options",
    "HEAD": "head",
    "PATCH": "patch",
    "QUERY": "query",
}
_NO_CONTENT = frozenset({204, 205, 304})
#: msgspec gives no ``format`` for these (it also accepts naive values); a request parameter
#: documents the RFC 3339 form it parses.
_INPUT_FORMATS: dict[Any, str] = {datetime.datetime: "date-time", datetime.time: "time"}

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


def openapi_path(route: RouteEntry) -> str:
    """The route's path in OpenAPI syntax: ``/items/{item_id}``, ``/files/{rest}``."""
    parts = [text if kind == "lit" else "{" + text + "}" for kind, text in route.template.segments]
    return "/" + "/".join(parts)


def build_openapi_schema(api: BoltAPI, config: OpenAPIConfig | None = None) -> dict[str, Any]:
    """The OpenAPI document for every route of ``api`` (``api.openapi_config`` by default)."""
    cfg = config if config is not None else api.openapi_config
    formatter = getattr(getattr(api, "_errors", None), "formatter", None)
    return _Generator(cfg, formatter).build(api.routes)


# --- deferred type schemas ------------------------------------------------------------------


class _TypeRef:
    """A placeholder for the schema of one type, filled in once all types are known."""

    __slots__ = ("extra", "index")

    def __init__(self, index: int, extra: dict[str, Any]) -> None:
        self.index = index
        self.extra = extra


class _TypeSchemas:
    """Collects types, then builds all their schemas (and components) in one msgspec call."""

    def __init__(self) -> None:
        self._types: list[Any] = []
        self._positions: dict[Any, int] = {}

    def ref(self, tp: Any, extra: dict[str, Any] | None = None) -> _TypeRef:
        try:
            index = self._positions.get(tp)
        except TypeError:  # unhashable annotation
            index = None
        if index is None:
            index = len(self._types)
            self._types.append(tp)
            with contextlib.suppress(TypeError):
                self._positions[tp] = index
        return _TypeRef(index, dict(extra or {}))

    def resolve(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        supported = [i for i, tp in enumerate(self._types) if _supported(tp)]
        schemas: list[dict[str, Any]] = [{} for _ in self._types]
        components: dict[str, Any] = {}
        if supported:
            out, components = msgspec.json.schema_components(
                [self._types[i] for i in supported], ref_template=REF_TEMPLATE
            )
            for i, schema in zip(supported, out, strict=True):
                schemas[i] = dict(schema)
        return schemas, dict(components)


def _supported(tp: Any) -> bool:
    if tp is Any or tp is inspect.Parameter.empty:
        return False
    try:
        msgspec.json.schema_components([tp], ref_template=REF_TEMPLATE)
    except Exception:
        return False
    return True


def _fill(node: Any, schemas: list[dict[str, Any]]) -> Any:
    if isinstance(node, _TypeRef):
        return {**schemas[node.index], **node.extra}
    if isinstance(node, dict):
        return {k: _fill(v, schemas) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, schemas) for v in node]
    return node


# --- helpers ----------------------------------------------------------------------------------


def _return_type(route: RouteDef) -> Any:
    """The declared response type, exactly as the route's encoder sees it."""
    from .._app import _return_type as declared  # import cycle: app imports this package

    return declared(route)


def _default_tag(handler: Any) -> str:
    module = getattr(handler, "__module__", None) or "default"
    parts = module.split(".")
    name = parts[-2] if parts[-1] == "api" and len(parts) > 1 else parts[-1]
    return name[:1].upper() + name[1:]


def _humanise(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in name.replace("_", " ").split())


def _phrase(status: int) -> str:
    if status == 200:
        return "Successful Response"
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


def _json_value(value: Any) -> tuple[bool, Any]:
    try:
        return True, msgspec.to_builtins(value)
    except Exception:
        return False, None


def _default(value: Any, tp: Any, marker: Param | None) -> tuple[bool, Any]:
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
    return _json_value(value)


def _manual_constraints(marker: Param | None, sequence: bool) -> dict[str, Any]:
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


def _is_sequence(tp: Any) -> bool:
    return tp in (list, tuple, set, frozenset) or get_origin(tp) in (list, tuple, set, frozenset)


def _is_response_class(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Response)


def _union_args(tp: Any) -> tuple[Any, ...]:
    if get_origin(tp) in (Union, types.UnionType):
        return get_args(tp)
    return ()


def _flatten(bindings: Iterable[Binding]) -> Iterator[Binding]:
    """Every binding that reads the request, dependencies' own included."""
    for b in bindings:
        if b.kind == "depends":
            if b.dependency is not None:
                yield from _flatten(b.dependency.bindings)
        elif b.kind != "request":
            yield b


def _group_fields(tp: Any) -> list[tuple[str, Any, bool, Any]]:
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


def _wire(source: str, name: str) -> str:
    return name.replace("_", "-").lower() if source == "header" else name


# --- the generator ----------------------------------------------------------------------------


class _Generator:
    def __init__(self, config: OpenAPIConfig, formatter: Any = None) -> None:
        self.config = config
        #: The API's ``error_formatter``: it decides what a 422 looks like.
        self.formatter = formatter
        self.types = _TypeSchemas()
        self.operation_ids: dict[str, int] = {}
        self.uses_validation_error = False
        self.uses_query_method = False
        self.tags_seen: list[str] = []

    # -- document --------------------------------------------------------------------------

    def build(self, routes: Iterable[RouteEntry]) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for route in routes:
            if not self._included(route):
                continue
            operation = self._operation(route)
            path = openapi_path(route)
            paths.setdefault(path, {})[_METHOD_KEYS[route.method]] = operation
            if route.method == "QUERY":
                self.uses_query_method = True
        schemas, components = self.types.resolve()
        paths = _fill(paths, schemas)
        if self.uses_validation_error:
            components.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
            if self.formatter is problem_details:
                components.setdefault("ProblemDetails", PROBLEM_DETAILS_SCHEMA)
            else:
                components.setdefault("HTTPValidationError", HTTP_VALIDATION_ERROR_SCHEMA)
        return self._document(paths, components)

    def _document(self, paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
        cfg = self.config
        doc: dict[str, Any] = {
            "openapi": "3.2.0" if self.uses_query_method else OPENAPI_VERSION,
            "info": cfg.info(),
        }
        if cfg.servers:
            doc["servers"] = to_spec(cfg.servers)
        doc["paths"] = paths
        extra = to_spec(cfg.components)
        components: dict[str, Any] = {}
        merged_schemas = {**schemas, **(extra.pop("schemas", None) or {})}
        if merged_schemas:
            components["schemas"] = dict(sorted(merged_schemas.items()))
        components.update({k: v for k, v in extra.items() if v})
        if components:
            doc["components"] = components
        if cfg.security:
            doc["security"] = to_spec(cfg.security)
        if cfg.tags:
            doc["tags"] = to_spec(cfg.tags)
        elif self.tags_seen:
            doc["tags"] = [{"name": t} for t in self.tags_seen]
        if cfg.external_docs is not None:
            doc["externalDocs"] = to_spec(cfg.external_docs)
        if cfg.webhooks:
            doc["webhooks"] = to_spec(cfg.webhooks)
        return doc

    def _included(self, route: RouteEntry) -> bool:
        d = route.definition
        if not getattr(d, "include_in_schema", True) or d.extra.get("include_in_schema") is False:
            return False
        path = route.template.source
        docs = self.config.path
        for prefix in (*self.config.exclude_paths, docs):
            prefix = prefix.rstrip("/")
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                return False
        return True

    # -- operations ------------------------------------------------------------------------

    def _operation(self, route: RouteEntry) -> dict[str, Any]:
        d = route.definition
        handler = d.handler
        name = getattr(handler, "__name__", None) or type(handler).__name__
        tags = list(d.tags) or [_default_tag(handler)]
        for tag in tags:
            if tag not in self.tags_seen:
                self.tags_seen.append(tag)
        op: dict[str, Any] = {"tags": tags, "summary": d.summary or _humanise(name)}
        description = d.description
        if description is None and self.config.use_handler_docstrings:
            doc = getattr(handler, "__doc__", None)
            description = inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None
        if description:
            op["description"] = description
        op["operationId"] = self._operation_id(f"{route.method.lower()}_{name}")
        bindings = list(_flatten(route.bindings))
        parameters = self._parameters(route, bindings)
        if parameters:
            op["parameters"] = parameters
        body = self._request_body(bindings)
        if body is not None:
            op["requestBody"] = body
        op["responses"] = self._responses(d, bool(bindings))
        if d.extra.get("deprecated"):
            op["deprecated"] = True
        return op

    def _operation_id(self, base: str) -> str:
        count = self.operation_ids.get(base, 0) + 1
        self.operation_ids[base] = count
        return base if count == 1 else f"{base}_{count}"

    # -- parameters ------------------------------------------------------------------------

    def _parameters(self, route: RouteEntry, bindings: list[Binding]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()

        def add(param: dict[str, Any]) -> None:
            key = (param["in"], param["name"].lower() if param["in"] == "header" else param["name"])
            if key not in seen:
                seen.add(key)
                out.append(param)

        for b in bindings:
            if b.source not in _PARAM_SOURCES:
                continue
            if b.kind == "group":
                for wire, tp, required, default in _group_fields(b.annotation):
                    add(
                        self._parameter(
                            b.source,
                            _wire(b.source, wire),
                            tp,
                            None,
                            required and b.required,
                            default,
                        )
                    )
            else:
                add(
                    self._parameter(
                        b.source,
                        b.key,
                        b.annotation,
                        b.marker,
                        b.source == "path" or b.required,
                        b.default,
                    )
                )
        # Path parameters the handler reads from ``request.path_params`` itself.
        for name in route.template.param_names:
            if ("path", name) not in seen:
                add(
                    {
                        "name": name,
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    }
                )
        return out

    def _parameter(
        self, source: str, name: str, tp: Any, marker: Param | None, required: bool, default: Any
    ) -> dict[str, Any]:
        param: dict[str, Any] = {"name": name, "in": source, "required": required}
        if marker is not None and marker.description:
            param["description"] = marker.description
        if marker is not None and marker.deprecated:
            param["deprecated"] = True
        extra: dict[str, Any] = {}
        if not required:
            ok, value = _default(default, tp, marker)
            if ok:
                extra["default"] = value
        if marker is not None and marker.example is not None:
            ok, value = _json_value(marker.example)
            if ok:
                param["example"] = value
        if tp in _INPUT_FORMATS:
            extra["format"] = _INPUT_FORMATS[tp]
        schema = self._constrained(tp, marker, extra)
        if source == "path" and tp is str and not (marker and marker.min_length):
            # The router never matches an empty segment.
            schema.extra.setdefault("minLength", 1)
        param["schema"] = schema
        return param

    def _constrained(self, tp: Any, marker: Param | None, extra: dict[str, Any]) -> _TypeRef:
        constraints = marker.constraints() if marker is not None else {}
        if constraints:
            candidate = Annotated[tp, msgspec.Meta(**constraints)]
            if _supported(candidate):
                return self.types.ref(candidate, extra)
            extra = {**_manual_constraints(marker, _is_sequence(tp)), **extra}
        return self.types.ref(tp, extra)

    # -- request bodies --------------------------------------------------------------------

    def _request_body(self, bindings: list[Binding]) -> dict[str, Any] | None:
        json_bodies = [b for b in bindings if b.kind in ("body", "embed")]
        form = [b for b in bindings if b.source in ("form", "file")]
        content: dict[str, Any] = {}
        required = False
        description: str | None = None
        if json_bodies:
            whole = (
                json_bodies[0]
                if (len(json_bodies) == 1 and json_bodies[0].kind == "body")
                else None
            )
            media: dict[str, Any] = {}
            if whole is not None:
                media["schema"] = self.types.ref(whole.annotation)
                required = whole.required
                marker = whole.marker
                if marker is not None:
                    description = marker.description
                    if marker.example is not None:
                        ok, value = _json_value(marker.example)
                        if ok:
                            media["example"] = value
            else:
                media["schema"] = self._object(json_bodies)
                required = any(b.required for b in json_bodies)
            content["application/json"] = media
        if form:
            schema = self._object(form)
            required = required or any(b.required for b in form)
            has_files = any(b.source == "file" for b in form)
            if not has_files:
                content["application/x-www-form-urlencoded"] = {"schema": schema}
            multipart: dict[str, Any] = {"schema": schema}
            encoding = {
                b.key: {"contentType": ", ".join(b.marker.allowed_types)}
                for b in form
                if b.source == "file" and b.marker is not None and b.marker.allowed_types
            }
            if encoding:
                multipart["encoding"] = encoding
            content["multipart/form-data"] = multipart
        if not content:
            return None
        body: dict[str, Any] = {"content": content, "required": required}
        if description:
            body["description"] = description
        return body

    def _object(self, bindings: list[Binding]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for b in bindings:
            if b.kind == "group":
                for wire, tp, field_required, default in _group_fields(b.annotation):
                    extra: dict[str, Any] = {}
                    if not field_required:
                        ok, value = _default(default, tp, None)
                        if ok:
                            extra["default"] = value
                    properties[wire] = self.types.ref(tp, extra)
                    if field_required and b.required:
                        required.append(wire)
                continue
            if b.kind in ("file", "files"):
                binary: dict[str, Any] = {"type": "string", "format": "binary"}
                properties[b.key] = (
                    binary if b.kind == "file" else {"type": "array", "items": binary}
                )
                if b.marker is not None and b.marker.description:
                    properties[b.key]["description"] = b.marker.description
            else:
                extra = {}
                if b.marker is not None and b.marker.description:
                    extra["description"] = b.marker.description
                if not b.required:
                    ok, value = _default(b.default, b.annotation, b.marker)
                    if ok:
                        extra["default"] = value
                properties[b.key] = self._constrained(b.annotation, b.marker, extra)
            if b.required:
                required.append(b.key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema

    # -- responses -------------------------------------------------------------------------

    def _responses(self, d: RouteDef, binds: bool) -> dict[str, Any]:
        status = d.status_code if d.status_code is not None else 200
        responses: dict[str, Any] = {str(status): self._response(status, _return_type(d))}
        if binds and self.config.include_error_responses:
            responses["422"] = self._validation_response()
        return responses

    def _validation_response(self) -> dict[str, Any]:
        if self.formatter is None:
            media, name = "application/json", "HTTPValidationError"
        elif self.formatter is problem_details:
            media, name = "application/problem+json", "ProblemDetails"
        else:  # a custom error_formatter: its body is not known
            return {"description": "Validation Error"}
        self.uses_validation_error = True
        return {
            "description": "Validation Error",
            "content": {media: {"schema": {"$ref": REF_TEMPLATE.format(name=name)}}},
        }

    def _response(self, status: int, tp: Any) -> dict[str, Any]:
        response: dict[str, Any] = {"description": _phrase(status)}
        if status in _NO_CONTENT or status < 200:
            return response
        content = self._response_content(tp)
        if content is not None:
            response["content"] = content
        return response

    def _response_content(self, tp: Any) -> dict[str, Any] | None:
        if tp is None or tp is Any or tp is object:
            return {"application/json": {"schema": {}}}
        if tp is type(None):
            return {"application/json": {"schema": {"type": "null"}}}
        if tp is str:
            return {"text/plain": {"schema": {"type": "string"}}}
        if tp in (bytes, bytearray):
            return {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        if _is_response_class(tp):
            if tp is Response or issubclass(tp, Redirect):
                return None
            media_type: str = tp.default_media_type
            return {media_type: {}}
        if any(_is_response_class(a) or a in (str, bytes) for a in _union_args(tp)):
            return None
        if tp is UploadFile:
            return None
        return {"application/json": {"schema": self.types.ref(tp)}}
