"""The per-request half of binding: the function that fills a :class:`~bolt_api._plan.Plan`.

:func:`make_binder` turns a plan's bindings into one closure, with every decision made when
it is built; at request time it only looks values up and converts them, appending *every*
error to one list, which becomes a single 422.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ._body_errors import field_errors
from ._forms import FormData
from ._plan import (
    Binder,
    Binding,
    BodyValue,
    RequestScope,
    group_fields,
    upload_fields,
)
from .engine import Request
from .exceptions import RequestValidationError
from .params import REQUIRED

__all__ = ["UNBOUND", "body_value", "every_error", "make_binder", "validation_error"]

_LABELS = {
    "query": "query parameter",
    "path": "path parameter",
    "header": "header",
    "cookie": "cookie",
    "body": "request body",
    "form": "form field",
    "file": "file",
}


_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def validation_error(
    exc: msgspec.DecodeError, prefix: list[Any], raw: Any = None
) -> dict[str, Any]:
    """A msgspec error as one entry of the 422 list, its ``$.a[0].b`` path turned into loc."""
    message = str(exc)
    if not isinstance(exc, msgspec.ValidationError):
        return {"type": "json_invalid", "loc": prefix, "msg": message}
    loc = list(prefix)
    msg, sep, where = message.rpartition(" - at `")
    if sep:
        path = where.rstrip("`")
        for name, index in _PATH_TOKEN.findall(path[1:] if path.startswith("$") else path):
            loc.append(int(index) if index else name)
    else:
        msg = message
    kind = "missing" if msg.startswith("Object missing required field") else "validation_error"
    if kind == "missing" and msg.count("`") >= 2:
        loc.append(msg.rsplit("`", 2)[-2])
    error: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg}
    if raw is not None and not sep and kind != "missing":
        error["input"] = raw
    return error


def every_error(
    tp: Any, raw: bytes | msgspec.Raw, prefix: list[Any], first: msgspec.ValidationError
) -> list[dict[str, Any]]:
    """The 422 entries of a JSON value that failed to decode as ``tp`` with ``first``: one per
    bad field when ``tp`` is a Struct or dataclass (``bolt_api._body_errors``), else ``first``.
    Only called once the typed decode has failed, so a valid body pays nothing for it."""
    found = field_errors(tp, raw)
    if not found:
        return [validation_error(first, prefix)]
    return [validation_error(exc, [*prefix, *loc]) for loc, exc in found]


def _too_deep(loc: list[Any]) -> dict[str, Any]:
    """msgspec's ``RecursionError`` for JSON nested too deeply, as a 422 entry (not a 500)."""
    return {"type": "json_invalid", "loc": loc, "msg": "JSON is nested too deeply"}


def _missing(source: str, key: str) -> dict[str, Any]:
    loc = ["body"] if source == "body" and key == "" else [source, key]
    return {
        "type": "missing",
        "loc": loc,
        "msg": f"Missing required {_LABELS[source]}" + (f" '{key}'" if key else ""),
    }


def _too_long(source: str, key: str, value: str, limit: int) -> dict[str, Any]:
    return {
        "type": "string_too_long",
        "loc": [source, key],
        "msg": f"Parameter too long: {len(value)} characters (max {limit})",
    }


def _source_maps(request: Request, scope: RequestScope | None, source: str, multi: bool) -> Any:
    if source == "query":
        return request.query_multi if multi else request.query
    if source == "header":
        return request.headers
    if source == "cookie":
        return request.cookies
    if source == "path":
        return request.path_params or {}
    if scope is None:  # pragma: no cover - plans with forms always get a scope
        raise RuntimeError("form binding without a request scope")
    form = scope.form_data(request)
    if form is None:
        return None
    return form.fields if multi else {k: v[-1] for k, v in form.fields.items()}


def make_binder(bindings: tuple[Binding, ...], limit: int) -> Binder:
    """The per-request function for ``bindings`` (one closure, all decisions made here)."""
    bodies = [b for b in bindings if b.kind == "body"]
    embedded = [b for b in bindings if b.kind == "embed"]
    whole_body = bodies[0] if len(bodies) == 1 and not embedded else None
    if whole_body is None:
        embedded += bodies
    scalars = [b for b in bindings if b.kind in ("scalar", "multi", "group")]
    uploads = [b for b in bindings if b.kind in ("file", "files")]
    request_names = [b.name for b in bindings if b.kind == "request"]
    object_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
    groups = {b.name: group_fields(b.annotation, b.source) for b in scalars if b.kind == "group"}
    form_uploads = {
        b.name: found
        for b in scalars
        if b.kind == "group" and b.source == "form" and (found := upload_fields(b.annotation))
    }
    bind_whole_body = None if whole_body is None else _body_binder(whole_body)
    if bind_whole_body is not None and len(bindings) == 1:
        return bind_whole_body

    def bind(
        request: Request, scope: RequestScope | None, errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        maps: dict[tuple[str, bool], Any] = {}
        for b in scalars:
            src, kind = b.source, b.kind
            multi = kind in ("multi", "group") and src in ("query", "form")
            mkey = (src, multi)
            mapping = maps.get(mkey)
            if mapping is None:
                mapping = maps[mkey] = _source_maps(request, scope, src, multi)
                if mapping is None:  # the form did not parse; its error is recorded
                    continue
            if kind == "group":
                raw: Any = {}
                for field_name, wire, is_seq in groups[b.name]:
                    value = mapping.get(wire)
                    if value is not None:
                        raw[field_name] = (value if is_seq else value[-1]) if multi else value
                uploads_of = form_uploads.get(b.name) if src == "form" else None
                if uploads_of and scope is not None and scope.form is not None:
                    for field_name, wire, is_list in uploads_of:
                        files = scope.form.files.get(wire)
                        if files:
                            raw[field_name] = list(files) if is_list else files[-1]
                if not raw and b.default is not REQUIRED:
                    kwargs[b.name] = b.default
                    continue
            else:
                raw = mapping.get(b.key)
                if raw is None:
                    if b.default is REQUIRED:
                        errors.append(_missing(src, b.key))
                    else:
                        kwargs[b.name] = b.default
                    continue
                if kind == "scalar":
                    if len(raw) > limit:
                        errors.append(_too_long(src, b.key, raw, limit))
                        continue
                elif any(len(v) > limit for v in raw):
                    errors.append(_too_long(src, b.key, max(raw, key=len), limit))
                    continue
            if b.convert is None:
                kwargs[b.name] = raw if kind != "multi" else list(raw)
                continue
            try:
                kwargs[b.name] = b.convert(raw)
            except msgspec.ValidationError as exc:
                if kind == "group":
                    errors.append(validation_error(exc, [src]))
                else:
                    error = {
                        "type": "validation_error",
                        "loc": [src, b.key],
                        "msg": str(exc),
                        "input": raw,
                    }
                    errors.append(error)
            except (ValueError, TypeError) as exc:
                errors.append(
                    {"type": "validation_error", "loc": [src, b.key], "msg": str(exc), "input": raw}
                )
        if bind_whole_body is not None:
            kwargs.update(bind_whole_body(request, scope, errors))
        elif embedded:
            _bind_embedded(request.body, embedded, object_decoder, kwargs, errors)
        if uploads and scope is not None:
            form = scope.form_data(request)
            if form is not None:
                for b in uploads:
                    _bind_upload(b, form, kwargs, errors)
        for name in request_names:
            kwargs[name] = request
        return kwargs

    return bind


#: What a :data:`BodyValue` returns when the body did not bind (its error is recorded).
UNBOUND: Any = object()


def body_value(binding: Binding) -> BodyValue:
    """The value of the whole JSON body for ``binding``, or :data:`UNBOUND` with the error
    appended: the one set of body rules, for :func:`_body_binder` and for a route that
    passes the body positionally (``Plan.body_value``)."""
    decode, default, annotation = binding.convert, binding.default, binding.annotation
    assert decode is not None

    def value(request: Request, errors: list[dict[str, Any]]) -> Any:
        body = request.body
        if not body:
            if default is REQUIRED:
                errors.append(_missing("body", ""))
                return UNBOUND
            return default
        try:
            return decode(body)
        except msgspec.ValidationError as exc:
            errors.extend(every_error(annotation, body, ["body"], exc))
            return UNBOUND
        except RequestValidationError as exc:  # a serializer's validators (all its errors)
            errors.extend(exc.errors)
            return UNBOUND
        except msgspec.DecodeError as exc:
            errors.append(validation_error(exc, ["body"]))
            return UNBOUND
        except RecursionError:
            errors.append(_too_deep(["body"]))
            return UNBOUND

    return value


def _body_binder(binding: Binding) -> Binder:
    """Binds the whole JSON body to ``binding``: the binder of a handler that takes only the
    body, and the body step of every other binder."""
    name, value = binding.name, body_value(binding)

    def bind_body(
        request: Request, scope: RequestScope | None, errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        bound = value(request, errors)
        return {} if bound is UNBOUND else {name: bound}

    return bind_body


def _type_allowed(content_type: str, allowed: tuple[str, ...]) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == media or (pattern.endswith("/*") and media.startswith(pattern[:-1])):
            return True
    return False


def _bind_upload(
    b: Binding, form: FormData, kwargs: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    files = form.files.get(b.key)
    if not files:
        if b.default is REQUIRED:
            errors.append(_missing("file", b.key))
        else:
            kwargs[b.name] = b.default
        return
    marker = b.marker
    loc = ["body", b.key]
    if marker is not None:
        if marker.max_files is not None and len(files) > marker.max_files:
            errors.append(
                {
                    "type": "too_many_files",
                    "loc": loc,
                    "msg": f"Too many files: {len(files)} (max {marker.max_files})",
                }
            )
            return
        for upload in files:
            if marker.max_size is not None and upload.size > marker.max_size:
                errors.append(
                    {
                        "type": "file_too_large",
                        "loc": loc,
                        "msg": f"File {upload.filename!r} is {upload.size} bytes "
                        f"(max {marker.max_size})",
                    }
                )
                return
            if marker.min_size is not None and upload.size < marker.min_size:
                errors.append(
                    {
                        "type": "file_too_small",
                        "loc": loc,
                        "msg": f"File {upload.filename!r} is {upload.size} bytes "
                        f"(min {marker.min_size})",
                    }
                )
                return
            if marker.allowed_types is not None and not _type_allowed(
                upload.content_type, marker.allowed_types
            ):
                errors.append(
                    {
                        "type": "file_type_not_allowed",
                        "loc": loc,
                        "msg": f"File type {upload.content_type!r} is not allowed "
                        f"(allowed: {', '.join(marker.allowed_types)})",
                    }
                )
                return
    kwargs[b.name] = files[-1] if b.kind == "file" else list(files)


def _bind_embedded(
    body: bytes,
    embedded: list[Binding],
    decoder: msgspec.json.Decoder[Any],
    kwargs: dict[str, Any],
    errors: list[dict[str, Any]],
) -> None:
    fields: dict[str, msgspec.Raw] = {}
    if body:
        try:
            fields = decoder.decode(body)
        except msgspec.DecodeError as exc:
            errors.append(validation_error(exc, ["body"]))
            return
        except RecursionError:
            errors.append(_too_deep(["body"]))
            return
    for b in embedded:
        raw = fields.get(b.key)
        if raw is None:
            if b.default is REQUIRED:
                errors.append(
                    {
                        "type": "missing",
                        "loc": ["body", b.key],
                        "msg": f"Missing required body field '{b.key}'",
                    }
                )
            else:
                kwargs[b.name] = b.default
            continue
        try:
            kwargs[b.name] = b.convert(raw)  # type: ignore[misc]
        except msgspec.ValidationError as exc:
            errors.extend(every_error(b.annotation, raw, ["body", b.key], exc))
        except RequestValidationError as exc:  # a serializer's: its locs under this key
            errors.extend({**e, "loc": ["body", b.key, *e["loc"][1:]]} for e in exc.errors)
        except msgspec.DecodeError as exc:
            errors.append(validation_error(exc, ["body", b.key]))
        except RecursionError:
            errors.append(_too_deep(["body", b.key]))
