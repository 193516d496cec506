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
  ``{"detail": [{"type", "loc", "msg", "input"?, "ctx"?}]}``, and one with ``@rate_limit``
  ``429`` with its ``Retry-After`` and ``X-RateLimit-*`` headers;
* tags are the route's, else the handler module's last component (the one before it when
  that is ``api``), capitalised; the summary is ``summary=`` or the humanised function name;
  the description is ``description=`` or the handler's docstring.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from .._django_responses import is_django_response_type
from .._plan import wire_key
from .._response import Redirect, Response
from ..auth._access import requires_authentication, resolve
from ..auth._guards import AllowAny, IsAuthenticated
from ..datastructures import UploadFile
from ..errors import problem_details
from ..params import Param
from ._json_schema import (
    HTTP_VALIDATION_ERROR_SCHEMA,
    INPUT_FORMATS,
    PROBLEM_DETAILS_SCHEMA,
    REF_TEMPLATE,
    VALIDATION_ERROR_SCHEMA,
    TypeRef,
    TypeSchemas,
    default_tag,
    fill_refs,
    flatten_bindings,
    group_field_rows,
    humanise,
    is_response_class,
    is_sequence,
    is_supported,
    json_value,
    manual_constraints,
    schema_default,
    status_phrase,
    union_args,
    wire_view,
)
from .spec import to_spec

if TYPE_CHECKING:
    from .._app import BoltAPI, RouteEntry
    from .._binding import Binding
    from .config import OpenAPIConfig

__all__ = ["OPENAPI_VERSION", "build_openapi_schema", "openapi_path"]

OPENAPI_VERSION = "3.1.0"
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
_INTEGER_HEADER = {"schema": {"type": "integer"}}
#: A ``@rate_limit`` route's 429 (its body is whatever the error formatter makes of it).
_RATE_LIMITED: dict[str, Any] = {
    "description": "Rate limit exceeded",
    "headers": {
        "Retry-After": {**_INTEGER_HEADER, "description": "Seconds to wait"},
        "X-RateLimit-Limit": {**_INTEGER_HEADER, "description": "Requests per second"},
        "X-RateLimit-Burst": {**_INTEGER_HEADER, "description": "Requests allowed at once"},
    },
}


def openapi_path(route: RouteEntry) -> str:
    """The route's path in OpenAPI syntax: ``/items/{item_id}``, ``/files/{rest}``."""
    parts = [text if kind == "lit" else "{" + text + "}" for kind, text in route.template.segments]
    return "/" + "/".join(parts)


def build_openapi_schema(api: BoltAPI, config: OpenAPIConfig | None = None) -> dict[str, Any]:
    """The OpenAPI document for every route of ``api`` (``api.openapi_config`` by default)."""
    cfg = config if config is not None else api.openapi_config
    formatter = getattr(getattr(api, "_errors", None), "formatter", None)
    generator = _Generator(cfg, formatter)
    generator.default_auth = getattr(api, "default_auth", None)
    generator.default_guards = getattr(api, "default_guards", None)
    # WebSocket routes are not operations OpenAPI can describe (django-bolt leaves them
    # out unless asked; bolt-api refuses include_in_schema=True for them)
    return generator.build([r for r in api.routes if not r.definition.websocket])


# --- the generator ----------------------------------------------------------------------------


class _Generator:
    def __init__(self, config: OpenAPIConfig, formatter: Any = None) -> None:
        self.config = config
        #: The API's ``error_formatter``: it decides what a 422 looks like.
        self.formatter = formatter
        self.types = TypeSchemas()
        self.operation_ids: dict[str, int] = {}
        self.uses_validation_error = False
        self.uses_query_method = False
        self.tags_seen: list[str] = []
        #: The API's last-resort backends and guards (``BoltAPI.default_auth``, ...).
        self.default_auth: Any = None
        self.default_guards: Any = None
        #: ``securitySchemes`` by name, and the name given to each backend (by identity).
        self.security_schemes: dict[str, dict[str, Any]] = {}
        self.scheme_names: dict[int, str] = {}

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
        paths = fill_refs(paths, schemas)
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
        if self.security_schemes:
            components["securitySchemes"] = {
                **self.security_schemes,
                **(components.get("securitySchemes") or {}),
            }
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
        tags = list(d.tags) or [default_tag(handler)]
        for tag in tags:
            if tag not in self.tags_seen:
                self.tags_seen.append(tag)
        op: dict[str, Any] = {"tags": tags, "summary": d.summary or humanise(name)}
        description = d.description
        if description is None and self.config.use_handler_docstrings:
            doc = getattr(handler, "__doc__", None)
            description = inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None
        if description:
            op["description"] = description
        op["operationId"] = self._operation_id(f"{route.method.lower()}_{name}")
        bindings = list(flatten_bindings(route.bindings))
        parameters = self._parameters(route, bindings)
        if parameters:
            op["parameters"] = parameters
        body = self._request_body(bindings)
        if body is not None:
            op["requestBody"] = body
        op["responses"] = self._responses(route, bool(bindings))
        security = self._security(route)
        if security is not None:
            op["security"] = security
        if d.extra.get("deprecated"):
            op["deprecated"] = True
        return op

    def _security(self, route: RouteEntry) -> list[dict[str, list[str]]] | None:
        """The operation's ``security``: any one of its backends; ``{}`` too when its guards
        let unauthenticated requests through. ``None`` for a route without backends."""
        backends, guards = resolve(route.definition, self.default_auth, self.default_guards)
        if not backends:
            return None
        options: list[dict[str, list[str]]] = [{self._scheme(b): []} for b in backends]
        if not requires_authentication(guards):
            options.append({})
        return options

    def _scheme(self, backend: Any) -> str:
        name = self.scheme_names.get(id(backend))
        if name is not None:
            return name
        spec = backend.openapi_scheme()
        base = name = backend.scheme_name
        count = 1
        while name in self.security_schemes and self.security_schemes[name] != spec:
            count += 1
            name = f"{base}_{count}"
        self.security_schemes[name] = spec
        self.scheme_names[id(backend)] = name
        return name

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
                for wire, tp, required, default in group_field_rows(b.annotation):
                    add(
                        self._parameter(
                            b.source,
                            wire_key(b.source, wire, None),
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
            ok, value = schema_default(default, tp, marker)
            if ok:
                extra["default"] = value
        if marker is not None and marker.example is not None:
            ok, value = json_value(marker.example)
            if ok:
                param["example"] = value
        if tp in INPUT_FORMATS:
            extra["format"] = INPUT_FORMATS[tp]
        schema = self._constrained(tp, marker, extra)
        if source == "path" and tp is str and not (marker and marker.min_length):
            # The router never matches an empty segment.
            schema.extra.setdefault("minLength", 1)
        param["schema"] = schema
        return param

    def _constrained(self, tp: Any, marker: Param | None, extra: dict[str, Any]) -> TypeRef:
        constraints = marker.constraints() if marker is not None else {}
        if constraints:
            candidate = Annotated[tp, msgspec.Meta(**constraints)]
            if is_supported(candidate):
                return self.types.ref(candidate, extra)
            extra = {**manual_constraints(marker, is_sequence(tp)), **extra}
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
                media["schema"] = self.types.ref(wire_view(whole.annotation, "input"))
                required = whole.required
                marker = whole.marker
                if marker is not None:
                    description = marker.description
                    if marker.example is not None:
                        ok, value = json_value(marker.example)
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
                for wire, tp, field_required, default in group_field_rows(b.annotation):
                    extra: dict[str, Any] = {}
                    if not field_required:
                        ok, value = schema_default(default, tp, None)
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
                    ok, value = schema_default(b.default, b.annotation, b.marker)
                    if ok:
                        extra["default"] = value
                annotation = wire_view(b.annotation, "input") if b.kind == "embed" else b.annotation
                properties[b.key] = self._constrained(annotation, b.marker, extra)
            if b.required:
                required.append(b.key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema

    # -- responses -------------------------------------------------------------------------

    def _responses(self, route: RouteEntry, binds: bool) -> dict[str, Any]:
        """``route.return_type``: the declared response type, as the route's encoder sees it."""
        d = route.definition
        status = d.status_code if d.status_code is not None else 200
        responses: dict[str, Any] = {str(status): self._response(status, route.return_type)}
        if binds and self.config.include_error_responses:
            responses["422"] = self._validation_response()
        if self.config.include_error_responses:
            responses.update(self._access_responses(route))
            if getattr(d.handler, "__bolt_rate_limit__", None) is not None:
                responses["429"] = _RATE_LIMITED
        return responses

    def _access_responses(self, route: RouteEntry) -> dict[str, Any]:
        """401 when the guards can refuse an anonymous request (on a route with backends),
        403 when one can refuse an authenticated one (any guard beyond ``IsAuthenticated``)."""
        backends, guards = resolve(route.definition, self.default_auth, self.default_guards)
        out: dict[str, Any] = {}
        if backends and requires_authentication(guards):
            out["401"] = {"description": "Authentication required"}
        for guard in guards:
            if isinstance(guard, AllowAny):
                break
            if not isinstance(guard, IsAuthenticated):
                out["403"] = {"description": "Permission denied"}
                break
        return out

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
        response: dict[str, Any] = {"description": status_phrase(status)}
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
        if is_response_class(tp):
            if tp is Response or issubclass(tp, Redirect):
                return None
            media_type: str = tp.default_media_type
            return {media_type: {}}
        if any(is_response_class(a) or a in (str, bytes) for a in union_args(tp)):
            return None
        if tp is UploadFile or is_django_response_type(tp):  # content unknown until it runs
            return None
        return {"application/json": {"schema": self.types.ref(wire_view(tp, "output"))}}
